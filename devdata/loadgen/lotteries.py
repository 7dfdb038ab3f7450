"""Lotteries of the load data, in every state a city's draws are in at any moment: drawn,
failed for too few sign-ups (流标), frozen and waiting for entropy, open with sign-ups, just
announced.

Each lottery is planned first (times, sign-ups, entropy values); its rows are written from the
plan, and its log events are produced in time order by :func:`events`, which the caller merges
across lotteries so the log's times never go backwards.  Announcements, commitments, sealed
secrets, plans, records and signatures come from the same code the app uses
(:mod:`lottery`, :mod:`market.crypto`, :mod:`market.domain.entropy`); times follow the rules
of lottery-v1.md §7 that ``flask transparency audit`` checks.
"""

from __future__ import annotations

import hashlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from lottery.bundle import build_record, sign_record
from lottery.draw import canonical_pool, commitment, pool_root
from lottery.encoding import V
from lottery.events import record_hash
from lottery.sources import public_time
from market import crypto
from market.domain.entropy import (
    DrawCalendar,
    DrawYear,
    ExternalKind,
    drand_plan_entry,
    lottery_plan_entry,
)
from market.selection.draw import SECRET_PURPOSE, SYSTEM, failed_reason
from market.timeutil import iso_z
from market.transparency.keys import platform_key

HOUR = 3600
DAY = 24 * HOUR
STATES = ("drawn", "failed", "frozen", "open", "announced")
# Shares of the lotteries in the minor states; the rest are drawn.
SHARES = {"failed": 0.04, "frozen": 0.03, "open": 0.10, "announced": 0.03}
WITHDRAW_REASON = "业务安排调整，主动退出本次报名"


@dataclass(frozen=True)
class Agency:
    """An admitted agency that lists a service type, with the account that signs it up."""

    org_id: int
    public_id: str
    user_id: int
    account_id: str
    days: int  # the listing's committed days


@dataclass(frozen=True)
class Person:
    user_id: int
    account_id: str


@dataclass
class Timeline:
    """Where generated history may lie (Unix seconds): after the log's last event, before
    now; ``signup`` is the sign-up window, ``delay`` the minimum wait for external entropy."""

    start: int
    end: int
    signup: int
    delay: int

    @property
    def ssq(self) -> bool:
        """福彩双色球 (draws three times a week) when windows are days long, else drand."""
        return self.signup >= 2 * DAY

    @property
    def tail(self) -> int:
        """The longest time from the close to the draw."""
        return self.delay + (4 * DAY if self.ssq else 10 * 60) + HOUR


@dataclass
class LotteryPlan:
    """Everything about one lottery, decided before anything is written."""

    index: int
    pk: int
    state: str
    request_pk: int
    request_public_id: str
    service_code: str
    published: int
    closes: int
    registrants: list[Agency] = field(default_factory=list)
    register_at: list[int] = field(default_factory=list)
    withdrawn: dict[int, int] = field(default_factory=dict)  # registrant index -> time
    closed_at: int | None = None  # the freeze or the void
    witnesses: list[Person] = field(default_factory=list)
    sources: list[tuple[int, dict[str, Any], Person]] = field(default_factory=list)
    announcement: dict[str, Any] = field(default_factory=dict)
    external_at: int = 0  # T
    external_kind: str = "ssq"
    external_label: str = ""  # the request's; a drand plan entry adds the round
    ranking: list[str] = field(default_factory=list)
    record_hash: str = ""

    @property
    def lottery_id(self) -> str:
        return f"LT-{self.pk:06d}"

    def pool(self) -> list[str]:
        return canonical_pool(a.public_id for i, a in enumerate(self.registrants)
                              if i not in self.withdrawn)


def dt(t: int) -> datetime:
    return datetime.fromtimestamp(t, UTC)


def iso(t: int) -> str:
    return iso_z(dt(t))


def assign_states(n: int, rng: random.Random) -> list[str]:
    """``n`` states in random order: the shares of :data:`SHARES` (at least one each from ten
    lotteries up), the rest drawn."""
    counts = {s: (max(1, round(n * share)) if n >= 10 else 0) for s, share in SHARES.items()}
    states = [s for s, c in counts.items() for _ in range(c)]
    states += ["drawn"] * (n - len(states))
    rng.shuffle(states)
    return states


def fixed_events(state: str, witnesses: int, withdrawals: int) -> int:
    """Log events of a lottery other than its registrations: the announce, withdrawals and,
    by state, the freeze, witness values, external value and draw, or the void."""
    return 1 + withdrawals + {"drawn": 1 + witnesses + 2, "failed": 1,
                              "frozen": 1 + witnesses}.get(state, 0)


def schedule(plan: LotteryPlan, line: Timeline, rng: random.Random) -> None:
    """Publication and close times by state (sign-ups are placed later)."""
    s, end = line.signup, line.end
    if plan.state in ("drawn", "failed"):
        plan.published = rng.randint(line.start, end - s - line.tail)
        plan.closes = plan.published + s
    elif plan.state == "frozen":
        plan.closes = rng.randint(end - min(20 * HOUR, s // 2), end - 40 * 60)
        plan.published = plan.closes - s
    elif plan.state == "open":
        plan.published = rng.randint(end - s * 4 // 5, end - min(2 * HOUR, s // 4))
        plan.closes = plan.published + s
    else:  # announced, nobody signed up yet
        plan.published = rng.randint(end - min(6 * HOUR, s // 2), end - 60)
        plan.closes = plan.published + s


# Synthetic load data: every year confirmed, without pauses (the issue numbers of real years
# come from the operators' draw schedule, market.selection.external).
_SYNTHETIC_DRAWS = DrawCalendar(DrawYear(y, {}, confirmed=True) for y in range(2000, 2101))


def external_plan_entry(line: Timeline, closes: int) -> dict[str, Any]:
    """The external source, public at least ``delay`` after the close (as plan_of chooses)."""
    not_before = dt(closes + line.delay)
    if line.ssq:
        return lottery_plan_entry(_SYNTHETIC_DRAWS.next_draw(ExternalKind.SSQ, not_before))
    return drand_plan_entry(not_before)


def _external_value(entry: dict[str, Any]) -> dict[str, Any]:
    """A value determined by the label: lotteries sharing an issue or a round share its value,
    as the log's audit demands (one label, one value)."""
    rng = random.Random(entry["label"])  # noqa: S311  # synthetic results, not secrets
    if entry["kind"] == "drand":
        signature = rng.randbytes(48).hex()
        return {**entry, "signature": signature,
                "value": hashlib.sha256(bytes.fromhex(signature)).hexdigest()}
    reds = sorted(rng.sample(range(1, 34), 6))
    return {**entry, "value": " ".join(map(str, reds)) + f" + {rng.randint(1, 16)}"}


def place_signups(plan: LotteryPlan, count: int, agencies: list[Agency], withdrawals: int,
                  rng: random.Random, end: int) -> None:
    """``count`` registrations between publication and the close (or now), ``withdrawals``
    of them withdrawn later, before the close."""
    last = min(plan.closes, end)
    plan.registrants = rng.sample(agencies, count)
    plan.register_at = sorted(rng.randint(plan.published + 60, last) for _ in range(count))
    for i in rng.sample(range(count), min(withdrawals, count)):
        plan.withdrawn[i] = rng.randint(plan.register_at[i], last)


def finish(plan: LotteryPlan, announcement: dict[str, Any], line: Timeline, operator: Person,
           rng: random.Random) -> tuple[bytes, dict[str, Any] | None, str | None]:
    """Announcement, entropy values and, for a drawn lottery, the signed record.

    ``announcement`` holds the request's terms (owner, project, price…); returns the sealed
    secret, the record and its signature."""
    secret = os.urandom(32)
    entry = external_plan_entry(line, plan.closes)
    plan.external_kind = "ssq" if line.ssq else "drand"
    plan.external_label = entry["label"] if line.ssq else "drand quicknet"
    plan.external_at = int(datetime.strptime(public_time(entry), "%Y-%m-%dT%H:%M:%SZ")
                           .replace(tzinfo=UTC).timestamp())
    entropy_plan = [{"kind": "witness", "label": w_label(i, w)}
                    for i, w in enumerate(plan.witnesses)] + [entry]
    plan.announcement = {
        **announcement, "v": V, "lottery_id": plan.lottery_id,
        "request_id": plan.request_public_id, "replaces": None, "k": 1,
        "signup_closes_at": iso(plan.closes),
        "commitment": commitment(plan.lottery_id, secret).hex(), "entropy_plan": entropy_plan}
    sealed = crypto.seal(SECRET_PURPOSE, plan.lottery_id, secret)
    if plan.state in ("drawn", "frozen", "failed"):
        plan.closed_at = plan.closes + rng.randint(0, 300)  # the first tick after the close
    if plan.state in ("drawn", "frozen"):
        last = plan.external_at - 1 if plan.state == "drawn" else min(plan.external_at - 1,
                                                                      line.end)
        for i, w in enumerate(plan.witnesses):
            at = plan.closes + 20 * 60 + 5 * 60 * i
            if at <= last:
                plan.sources.append((at, {"kind": "witness", "label": entropy_plan[i]["label"],
                                          "value": str(rng.randrange(10**7, 10**8))}, w))
    if plan.state != "drawn":
        return sealed, None, None
    drawn = plan.external_at + (40 * 60 if entry["kind"] == "public_lottery" else 30)
    plan.sources.append((drawn, _external_value(entry), operator))
    record = build_record(plan.announcement, secret, [s for _, s, _ in plan.sources],
                          plan.pool(), iso(drawn))
    plan.ranking = list(record["ranking"])
    plan.record_hash = record_hash(record).hex()
    return sealed, record, sign_record(platform_key().private, record)


def w_label(position: int, witness: Person) -> str:
    """The witness's plan label, as the request form writes it."""
    return f"见证人{position + 1}（{witness.account_id}）"


def events(plan: LotteryPlan, minimum: int) -> Iterator[tuple[int, int, int, str, Any]]:
    """The lottery's log events in order: ``(time, lottery index, n, type, data)``; data of
    ``register`` is the registrant's index (the caller stores the sign-up with its seq)."""
    n = 0

    def ev(t: int, type_: str, data: Any) -> tuple[int, int, int, str, Any]:
        nonlocal n
        n += 1
        return (t, plan.index, n, type_, data)

    yield ev(plan.published, "announce", {"announcement": plan.announcement})
    steps: list[tuple[int, int, int]] = [(t, 0, i) for i, t in enumerate(plan.register_at)]
    steps += [(t, 1, i) for i, t in plan.withdrawn.items()]
    for t, kind, i in sorted(steps):
        agency = plan.registrants[i]
        if kind == 0:
            yield ev(t, "register", i)
        else:
            yield ev(t, "withdraw", {"agency_id": agency.public_id, "reason": WITHDRAW_REASON,
                                     "by": agency.account_id})
    if plan.closed_at is None:
        return
    if plan.state == "failed":
        yield ev(plan.closed_at, "void", {"reason": failed_reason(minimum, len(plan.pool())),
                                          "decided_by": SYSTEM})
        return
    pool = plan.pool()
    yield ev(plan.closed_at, "freeze", {"pool": pool, "pool_root": pool_root(pool).hex()})
    for at, source, person in plan.sources:
        yield ev(at, "entropy", {"source": source, "entered_by": person.account_id})
    if plan.state == "drawn":
        yield ev(plan.sources[-1][0], "draw", {"record_hash": plan.record_hash,
                                               "ranking": plan.ranking})
