"""Load-test data (``flask demo generate-load``): on top of the demo city or an empty migrated
database, synthetic agencies (:mod:`devdata.loadgen.agencies`), owners with projects, selection
requests (drafts, direct selections, lotteries in every state) and a draw log of a given size.

Bulk inserts, no ORM and no audit trail (nobody did these things), but everything that is
signed, sealed or hashed comes from the app's own code, so ``flask transparency audit`` accepts
the log and every drawn lottery's bundle verifies.  The log is made of real lottery events only:
its size is reached by the number of sign-ups, so ``--leaves`` is bounded by the lotteries
times the agencies that list each lottery's service.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, fields

import click
from flask import current_app
from flask.cli import with_appcontext

from devdata.loadgen import lotteries as lots
from devdata.loadgen import people
from devdata.loadgen.agencies import (
    GENERATED_PASSWORD,
    analyze,
    fix_sequences,
    generate_agencies,
    next_id,
    service_type_ids,
)
from devdata.loadgen.bulklog import BulkLog, Sink
from devdata.loadgen.lotteries import DAY, HOUR, Agency, LotteryPlan, Person, Timeline, dt
from devdata.loadgen.people import Owner
from devdata.loadgen.province import province_tenants
from devdata.loadgen.requests import RequestRows
from market import pagecache, timeutil
from market.accounts.models import OrgKind, Role
from market.accounts.passwords import hash_password
from market.config import refuse_published_passwords_in_production
from market.db import db
from market.settings import service as settings

Progress = Callable[[str], None]
SEQUENCED = ("organisation", "user_account", "membership", "project", "selection_request",
             "witness", "lottery", "entropy_entry", "signup", "award")


@dataclass(frozen=True)
class LoadSizes:
    """What ``flask demo generate-load`` adds (``leaves``: the log's size afterwards)."""

    agencies: int = 10_000
    listings: int = 40_000
    requests: int = 5_000
    lotteries: int = 2_000
    leaves: int = 1_000_000
    days: int = 730
    tenants: int = 1  # > 1: a province (devdata.loadgen.province), everything spread over it

    def scaled(self, factor: float) -> LoadSizes:
        return LoadSizes(**{f.name: (getattr(self, f.name) if f.name in ("days", "tenants") else
                                     round(getattr(self, f.name) * factor)) for f in fields(self)})


def _timeline(log: BulkLog, days: int) -> Timeline:
    now = int(timeutil.now().timestamp())
    start = now - days * DAY
    if log.last_at is not None:  # the log's times never go backwards
        start = max(start, int(log.last_at.timestamp()) + 1)
    end = now - 60
    if end - start < 8 * HOUR:
        raise click.ClickException(
            "the log's last event is less than 8 hours ago: no room for a history before now")
    delay = int(current_app.config["EXTERNAL_ENTROPY_MIN_DELAY_HOURS"]) * HOUR
    return Timeline(start, end, min(14 * DAY, (end - start) // 8), delay)


def _spread(budget: int, mins: list[int], caps: list[int], weights: list[float]) -> list[int]:
    """Registrations per lottery: at least ``mins``, at most ``caps``, ``budget`` in all,
    the rest in proportion to ``weights``."""
    counts = list(mins)
    left = budget - sum(mins)
    while left > 0:
        open_ = [i for i, c in enumerate(counts) if c < caps[i] and weights[i] > 0]
        if not open_:
            raise click.ClickException(f"{left:,} more sign-ups than the agencies allow: add "
                                       "agencies or lotteries, or ask for fewer leaves")
        total = sum(weights[i] for i in open_)
        given = 0
        for i in open_:
            share = min(caps[i] - counts[i], int(left * weights[i] / total))
            counts[i] += share
            given += share
        if given == 0:  # the remainder, one each to the heaviest
            for i in sorted(open_, key=lambda i: -weights[i])[:left]:
                counts[i] += 1
                given += 1
        left -= given
    return counts


def generate_load(sizes: LoadSizes, *, seed: int = 2026, progress: Progress | None = None
                  ) -> dict[str, int]:
    """Add the load data in the current transaction (the caller commits); returns counts."""
    say = progress or (lambda _msg: None)
    if sizes.lotteries > sizes.requests:
        raise click.UsageError("there cannot be more lotteries than requests")
    rng = random.Random(seed)  # noqa: S311  # synthetic data
    started = time.perf_counter()
    spread = province_tenants(sizes.tenants) if sizes.tenants > 1 else []
    if spread:
        say(f"tenants: {', '.join(f'{t.code} {t.name}' for t in spread)}")
    if sizes.agencies:
        say(f"agencies: {sizes.agencies:,} with {sizes.listings:,} listings")
        generate_agencies(sizes.agencies, sizes.listings, progress=say, spread=spread)
    now = timeutil.now().replace(microsecond=0)
    pw = hash_password(GENERATED_PASSWORD)
    types = service_type_ids()
    operator = people.someone(OrgKind.OPERATOR, Role.OPERATOR, "云川市政务服务中心（平台运营）",
                              pw, now)
    regulator = people.someone(OrgKind.REGULATOR, Role.REGULATOR, "云川市政务服务管理办公室",
                               pw, now)
    # 200 owners a tenant at most, one at least
    count = max(2, sizes.tenants, min(200 * sizes.tenants, sizes.requests // 25))
    owners = people.owners(count, pw, now, spread)
    by_service = people.agencies_by_service(types)
    log = BulkLog()
    line = _timeline(log, sizes.days)
    minimum = settings.effective("MIN_ELIGIBLE_REGISTRANTS")
    plans = _plan_lotteries(sizes, line, by_service, owners, regulator, minimum, log.size, rng)
    say(f"lotteries: {len(plans):,} planned, {sum(len(p.registrants) for p in plans):,} "
        f"sign-ups ({time.perf_counter() - started:.0f} s)")
    rows = RequestRows(types, line, minimum, rng)
    _write_requests(sizes, plans, rows, owners, operator, by_service, say)
    say(f"requests: {sizes.requests:,} written ({time.perf_counter() - started:.0f} s)")
    _write_log(log, plans, minimum, say)
    fix_sequences(SEQUENCED)
    # Core inserts skip the ORM events that mark cached notices and agency records stale.
    pagecache.invalidate(pagecache.DIRECTORY)
    pagecache.invalidate(pagecache.SELECTION)
    pagecache.invalidate(pagecache.RECORDS)
    say(f"log: {log.size:,} leaves, {log.checkpoints:,} new checkpoints "
        f"({time.perf_counter() - started:.0f} s)")
    return {"agencies": sizes.agencies, "requests": sizes.requests, "lotteries": len(plans),
            "leaves": log.size, "signups": sum(len(p.registrants) for p in plans)}


def _plan_lotteries(sizes: LoadSizes, line: Timeline, by_service: dict[str, list[Agency]],
                    owners: list[Owner], regulator: Person, minimum: int, log_size: int,
                    rng: random.Random) -> list[LotteryPlan]:
    """States, services, times and sign-up counts (the log's size comes out right)."""
    usable = [code for code, agencies in by_service.items() if len(agencies) >= minimum + 1]
    if sizes.lotteries and not usable:
        raise click.ClickException(f"no service type is listed by {minimum + 1} agencies")
    request0, lottery0 = next_id("selection_request"), next_id("lottery")
    plans, mins, caps, weights, withdrawals = [], [], [], [], []
    for i, state in enumerate(lots.assign_states(sizes.lotteries, rng)):
        code = rng.choice(usable)
        owner = owners[i % len(owners)]
        plan = LotteryPlan(i, lottery0 + i, state, request0 + i, f"RQ-{request0 + i:06d}", code,
                           0, 0)
        plan.witnesses = [owner.delegate] + ([regulator] if rng.random() < 0.5 else [])
        lots.schedule(plan, line, rng)
        cap = len(by_service[code])
        w = 1 if state in ("drawn", "frozen", "open") and rng.random() < 0.2 else 0
        low = {"drawn": minimum + w, "frozen": minimum + w, "open": 1 + w,
               "failed": rng.randint(0, minimum - 1), "announced": 0}[state]
        plans.append(plan)
        withdrawals.append(w)
        mins.append(low)
        caps.append(cap if state in ("drawn", "frozen", "open") else low)
        weights.append(rng.lognormvariate(0, 0.75) * (0.4 if state == "open" else 1.0)
                       if state in ("drawn", "frozen", "open") else 0.0)
    fixed = sum(lots.fixed_events(p.state, len(p.witnesses), w)
                for p, w in zip(plans, withdrawals, strict=True))
    wanted = max(sizes.leaves - log_size - fixed, sum(mins))
    if sizes.leaves and sizes.leaves - log_size - fixed < sum(mins):
        raise click.ClickException(f"--leaves must be at least {log_size + fixed + sum(mins):,} "
                                   f"for {sizes.lotteries:,} lotteries")
    counts = _spread(wanted, mins, caps, weights)
    for plan, count, w in zip(plans, counts, withdrawals, strict=True):
        lots.place_signups(plan, count, by_service[plan.service_code], w, rng, line.end)
    return plans


def _write_requests(sizes: LoadSizes, plans: list[LotteryPlan], rows: RequestRows,
                    owners: list[Owner], operator: Person,
                    agencies: dict[str, list[Agency]], say: Progress) -> None:
    """The lotteries' requests first (their ids were planned), then the others."""
    for plan in plans:
        rows.lottery(plan, owners[plan.index % len(owners)], operator)
        if len(rows.rows["lottery"]) >= 200:
            rows.flush()
            say(f"  lotteries {plan.index + 1:,}/{len(plans):,}")
    for k in range(len(plans), sizes.requests):
        rows.other(k, owners[k % len(owners)], agencies)
        if len(rows.rows["selection_request"]) >= 2000:
            rows.flush()
    rows.flush()


def _write_log(log: BulkLog, plans: list[LotteryPlan], minimum: int, say: Progress) -> None:
    """Every lottery's events, merged in time order; a checkpoint after each append the app
    would have made on its own (every event but sign-ups and withdrawals, which the app also
    signs one by one; here they are signed together with the next step)."""
    signups = Sink(db.metadata.tables["signup"])
    signup_id = next_id("signup")
    started, total = time.perf_counter(), log.size
    stream = heapq.merge(*(lots.events(p, minimum) for p in plans))
    for n, (t, index, _n, type_, data) in enumerate(stream, start=1):
        plan = plans[index]
        at = dt(t)
        if type_ == "register":
            agency = plan.registrants[data]
            event = log.append("register", plan.lottery_id, at,
                               {"agency_id": agency.public_id, "by": agency.account_id})
            left = plan.withdrawn.get(data)
            signups.add({"id": signup_id, "request_id": plan.request_pk,
                         "lottery_id": plan.lottery_id, "agency_org_id": agency.org_id,
                         "by_id": agency.user_id, "at": at, "log_seq": event["seq"],
                         "withdrawn_at": dt(left) if left is not None else None,
                         "withdraw_reason": lots.WITHDRAW_REASON if left is not None else None,
                         "excluded_at": None, "exclude_reason": None, "receipt": None})
            signup_id += 1
        else:
            log.append(type_, plan.lottery_id, at, data)
            if type_ != "withdraw":
                log.checkpoint()
        if n % 100_000 == 0:
            say(f"  log {total + n:,} leaves ({time.perf_counter() - started:.0f} s)")
    log.close()
    signups.flush()


@click.command("generate-load")
@click.option("--agencies", default=LoadSizes.agencies, show_default=True)
@click.option("--listings", default=LoadSizes.listings, show_default=True)
@click.option("--requests", default=LoadSizes.requests, show_default=True)
@click.option("--lotteries", default=LoadSizes.lotteries, show_default=True)
@click.option("--leaves", default=LoadSizes.leaves, show_default=True,
              help="size of the draw log afterwards")
@click.option("--days", default=LoadSizes.days, show_default=True,
              help="how far back the generated history starts (at most)")
@click.option("--scale", default=1.0, show_default=True,
              help="multiply every number above but --days (10 for the growth runs)")
@click.option("--tenants", default=LoadSizes.tenants, show_default=True,
              help="more than 1: a province of that many cities and counties (fictional "
                   "539xxx codes), agencies and owners spread over them")
@click.option("--seed", default=2026, show_default=True)
@with_appcontext
def generate_load_command(agencies: int, listings: int, requests: int, lotteries: int,
                          leaves: int, days: int, scale: float, tenants: int, seed: int) -> None:
    """Add load-test data: agencies, requests, lotteries in every state, a large draw log."""
    refuse_published_passwords_in_production()
    sizes = LoadSizes(agencies, listings, requests, lotteries, leaves, days,
                      tenants).scaled(scale)
    t = time.perf_counter()
    counts = generate_load(sizes, seed=seed, progress=click.echo)
    click.echo("committing and analysing…")
    analyze()
    click.echo(", ".join(f"{v:,} {k}" for k, v in counts.items())
               + f" in {time.perf_counter() - t:.0f} s. Generated accounts' password: "
               f"{GENERATED_PASSWORD}")
