"""Selection benchmark: a lottery with 5,000 registrants closes and draws; 50
concurrent draw requests give one draw; the public draw page renders.

    python bench/selection_bench.py [--agencies 5000] [--runs 3] [--no-postgres]
                                    [--no-sqlite] [--no-concurrent] [--growth 10] [--out FILE]
    python bench/selection_bench.py --no-sqlite --no-concurrent --growth 10 --runs 3
                                    # the draw page's growth on PostgreSQL only

Runs on SQLite and on a throwaway PostgreSQL cluster (tests/support/postgres.py).  Prints a
markdown table; times are medians of ``--runs`` fresh databases.  ``--growth 10`` repeats the
close→draw and the draw page with ten times the registrants and reports the ratio; ``--out``
writes the block for tools/perf_report.py.  The draw page's figure is a view that renders (the
page cache's scope is bumped before each, as a change would); the cached figure is printed
beside it on stderr.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.machine import machine_lines  # noqa: E402
from market import create_app, timeutil  # noqa: E402
from market.accounts.models import Membership, Organisation, OrgStatus, Role, User  # noqa: E402
from market.accounts.passwords import hash_password, use_cheap_parameters  # noqa: E402
from market.agencies.models import Listing  # noqa: E402
from market.catalogue.models import ServiceType  # noqa: E402
from market.db import db  # noqa: E402
from market.selection import draw, procedures  # noqa: E402
from market.selection import requests as ops  # noqa: E402
from market.selection.models import Lottery, SignUp  # noqa: E402
from market.transparency import log  # noqa: E402
from tests.support.live import serve  # noqa: E402
from tests.support.postgres import create_database, throwaway_cluster  # noqa: E402

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def build(url: str, instance: str, agencies: int):  # type: ignore[no-untyped-def]
    os.environ["MARKET_INSTANCE_PATH"] = instance
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False})
    with app.app_context(), timeutil.frozen(START):
        db.drop_all()
        db.create_all()
        st = ServiceType(code="EIA", name="环境影响评价", qualification_types=[],
                         practitioner_types=[])
        db.session.add(st)
        from market.accounts import operations as acc

        owner = acc.create_organisation(acc.OrgKind.OWNER, "业主", credit_code=None)
        pw = hash_password("bench-password-1")
        people = []
        regulator = acc.create_organisation(acc.OrgKind.REGULATOR, "监管", credit_code=None)
        for role, org in ((Role.OWNER_ADMIN, owner), (Role.OWNER_DELEGATE, owner),
                          (Role.REGULATOR, regulator)):
            u = User(account_id=f"U-B{role.value}", email=f"{role.value}@b.cn", name=role.value,
                     password_hash=pw, active=True, created_at=START, password_changed_at=START)
            db.session.add(u)
            db.session.add(Membership(user=u, organisation=org, role=role.value, created_at=START))
            people.append(u)
        db.session.flush()
        # Agencies in bulk: the benchmark measures the draw, not the set-up.
        orgs = [Organisation(public_id=f"AG-{i:06d}", kind="agency", name=f"机构{i}",
                             status=OrgStatus.ADMITTED.value, created_at=START,
                             tenant_id=owner.tenant_id)
                for i in range(1, agencies + 1)]
        db.session.add_all(orgs)
        db.session.flush()
        users = [User(account_id=f"U-A{i:06d}", email=f"a{i}@b.cn", name=f"a{i}", password_hash=pw,
                      active=True, created_at=START, password_changed_at=START)
                 for i in range(1, agencies + 1)]
        db.session.add_all(users)
        db.session.flush()
        db.session.add_all(Membership(user_id=u.id, organisation_id=o.id, role="agency_admin",
                                      created_at=START) for u, o in zip(users, orgs, strict=True))
        db.session.add_all(Listing(organisation_id=o.id, service_type_id=st.id, version=1,
                                   fee_low_fen=100, fee_kind="fixed", amount_fen=100,
                                   committed_days=10, effective_from=START) for o in orgs)
        project = ops.create_project(owner, name="项目", code="2026-539901-47-01-000123",
                                     fund_source="fiscal", investment_fen=10**9, location="云川")
        from market.selection.external import save_draw_year

        save_draw_year(START.year, ssq_text="", fc3d_text="", source="bench", confirmed=True,
                       user_id=None)
        data = ops.RequestInput(
            project_id=project.id, service_code="EIA", title="基准", scope="基准",
            qualification_type=None, qualification_level=None, practitioners={},
            price_kind="fixed", price_fen=100_000, cap_fen=None, floor_fen=None,
            service_days=10, signing_days=5, method="lottery",
            signup_closes_at=START + timedelta(days=7), external_kind="ssq",
            witness_ids=[people[1].id, people[2].id])
        req = ops.save_draft(owner, data, people[0])
        ops.publish(owner, req)
        lottery = draw.current_lottery(req)
        # Sign-ups: real log appends, one batch (the per-request path is the tests' job).
        items = [("register", lottery.lottery_id, {"agency_id": o.public_id, "by": u.account_id})
                 for o, u in zip(orgs, users, strict=True)]
        events = log.append(items)
        db.session.add_all(SignUp(request_id=req.id, lottery_id=lottery.lottery_id,
                                  agency_org_id=o.id, by_id=u.id, at=START, log_seq=e["seq"])
                           for o, u, e in zip(orgs, users, events, strict=True))
        db.session.commit()
        return app, req.id, lottery.lottery_id, (people[1].id, people[2].id)


def close_and_draw(app, request_id: int, lottery_id: str, witness_ids: tuple[int, int]) -> float:  # type: ignore[no-untyped-def]
    from market.selection.models import SelectionRequest
    from market.selection.procedures import submit_external

    with app.app_context():
        t0 = time.perf_counter()
        with timeutil.frozen(START + timedelta(days=7, minutes=1)):
            req = db.session.get(SelectionRequest, request_id)
            procedures.advance(req)
            db.session.commit()
            lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
            for witness_id, digits in zip(witness_ids, ("20260309", "88112233"), strict=True):
                draw.enter_witness(lottery, db.session.get(User, witness_id), digits)
            db.session.commit()
            external_at = lottery.external_at
        with timeutil.frozen(external_at + timedelta(minutes=5)):
            lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
            official = external_at.astimezone(timeutil.SHANGHAI).date()
            for witness_id in witness_ids:  # typed twice, the second time by the regulator
                submit_external(lottery, db.session.get(User, witness_id), "3 7 12 19 25 31 + 9",
                                "", official)
            db.session.commit()
        elapsed = time.perf_counter() - t0
        assert db.session.scalar(sa.select(Lottery.state).where(
            Lottery.lottery_id == lottery_id)) == "drawn"
        return elapsed


def page_times(app, lottery_id: str, runs: int = 7, *, cached: bool = False) -> float:  # type: ignore[no-untyped-def]
    """Median wall time of the draw page.  By default each view follows a change (the page
    cache's ``selection`` scope is bumped before it, untimed), so every view renders, as the
    first one after a sign-up or a draw does; ``cached``: repeat views, served from the cache."""
    from market import pagecache

    client = app.test_client()
    times = []
    for _ in range(runs):
        if not cached:
            with app.app_context():
                pagecache.invalidate(pagecache.SELECTION)
                db.session.commit()
        t0 = time.perf_counter()
        r = client.get(f"/lotteries/{lottery_id}")
        times.append(time.perf_counter() - t0)
        assert r.status_code == 200
    return statistics.median(times)


def concurrent_draws(app, request_id: int, lottery_id: str, witness_ids: tuple[int, int], n: int = 50) -> int:  # type: ignore[no-untyped-def]
    """Close and witness, type the external value once, then ``n`` threads post its second
    entry at once over HTTP."""
    import urllib.request

    from market.selection.models import SelectionRequest
    from market.selection.procedures import submit_external

    with app.app_context(), timeutil.frozen(START + timedelta(days=7, minutes=1)):
        procedures.advance(db.session.get(SelectionRequest, request_id))
        db.session.commit()
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
        for witness_id, digits in zip(witness_ids, ("20260309", "88112233"), strict=True):
            draw.enter_witness(lottery, db.session.get(User, witness_id), digits)
        db.session.commit()
        external_at = lottery.external_at
    official = external_at.astimezone(timeutil.SHANGHAI).date()
    with app.app_context(), timeutil.frozen(external_at + timedelta(minutes=4)):
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
        submit_external(lottery, db.session.get(User, witness_ids[0]), "3 7 12 19 25 31 + 9",
                        "", official)
        db.session.commit()
    app.config["LOGIN_DISABLED"] = False
    results: list[int] = []
    with timeutil.frozen(external_at + timedelta(minutes=5)), serve(app) as url:
        # Each thread logs in as the regulator (the second entry) with a cookie jar.
        import http.cookiejar

        def worker(barrier: threading.Barrier) -> None:
            jar = http.cookiejar.CookieJar()
            opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
            body = b"email=regulator%40b.cn&password=bench-password-1"
            opener.open(url + "/login", data=body, timeout=60)
            barrier.wait()
            data = f"value=3+7+12+19+25+31+%2B+9&official_date={official}".encode()
            try:
                results.append(opener.open(f"{url}/lotteries/{lottery_id}/external", data=data,
                                           timeout=120).status)
            except Exception:  # noqa: BLE001  # a refused duplicate is an answer too
                results.append(0)

        barrier = threading.Barrier(n)
        threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    with app.app_context():
        draws = sum(1 for leaf in log.leaves(0, log.size()) if b'"type":"draw"' in leaf)
    return draws


def measure(backend: str, base: str | None, tmp: str, agencies: int, runs: int,
            tag: str) -> tuple[float, float]:
    """Median close→draw and draw-page times over ``runs`` fresh databases."""
    closes, pages = [], []
    for run in range(runs):
        url = (f"sqlite:///{tmp}/bench-{tag}-{run}.db" if backend == "sqlite"
               else create_database(base or "", f"bench_{tag}_{run}"))
        app, rid, lid, wid = build(url, f"{tmp}/inst", agencies)
        closes.append(close_and_draw(app, rid, lid, wid))
        pages.append(page_times(app, lid))
        hit = page_times(app, lid, cached=True)
        with app.app_context():
            db.engine.dispose()
        print(f"{backend} {agencies} run {run + 1}: close+draw {closes[-1]:.2f} s, "
              f"page {pages[-1] * 1000:.1f} ms (from the cache: {hit * 1000:.1f} ms)",
              file=sys.stderr, flush=True)
    return statistics.median(closes), statistics.median(pages)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--agencies", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-concurrent", action="store_true",
                        help="skip the 50 concurrent draw requests (the growth of the page only)")
    parser.add_argument("--growth", type=int, default=0, metavar="FACTOR",
                        help="also measure with FACTOR times the registrants (10: growth run)")
    parser.add_argument("--out", help="write the markdown block here (for tools/perf_report.py)")
    args = parser.parse_args()
    use_cheap_parameters()
    started = time.perf_counter()
    rows, growth = [], []
    backends = ([] if args.no_sqlite else ["sqlite"]) + ([] if args.no_postgres else ["postgresql"])
    with tempfile.TemporaryDirectory() as tmp:
        cluster = base = pgdir = None
        if "postgresql" in backends:
            pgdir = Path(tempfile.mkdtemp(prefix="market-pg-"))
            cluster = throwaway_cluster(pgdir)
            base = cluster.__enter__()
        try:
            for backend in backends:
                close_s, page_s = measure(backend, base, tmp, args.agencies, args.runs, "n")
                draws: int | None = None  # not measured
                if not args.no_concurrent:
                    url = (f"sqlite:///{tmp}/bench-c.db" if backend == "sqlite"
                           else create_database(base or "", "bench_c"))
                    app, rid, lid, wid = build(url, f"{tmp}/inst", 200)
                    draws = concurrent_draws(app, rid, lid, wid)
                rows.append((backend, close_s, page_s, draws))
                if args.growth:
                    big = measure(backend, base, tmp, args.agencies * args.growth, args.runs,
                                  "g")
                    growth.append((backend, (close_s, page_s), big))
        finally:
            if cluster is not None:
                cluster.__exit__(None, None, None)
            if pgdir is not None:
                shutil.rmtree(pgdir, ignore_errors=True)
    lines = [
        *machine_lines(),
        f"- Data: {args.agencies:,} registrants, median of {args.runs} fresh databases; "
        f"`bench/selection_bench.py{f' --growth {args.growth}' if args.growth else ''}`, "
        f"{(time.perf_counter() - started) / 60:.0f} min",
        "",
        "| database | close + witness + external + draw | draw page render | "
        "draws from 50 concurrent requests |",
        "|---|---|---|---|",
        *(f"| {backend} | {close_s * 1000:.0f} ms (target ≤ 2000) | {page_s * 1000:.0f} ms "
          f"(target ≤ 300) | {'—' if draws is None else draws} (target 1) |" for backend, close_s, page_s, draws in rows),
    ]
    if growth:
        n, big_n = args.agencies, args.agencies * args.growth
        lines += [
            "",
            f"Growth: the same at {args.growth}× the data ({big_n:,} registrants, and as many "
            "agencies, accounts, listings and log leaves), median of "
            f"{args.runs} fresh databases.",
            "",
            f"| database | close … draw, {n:,} | {big_n:,} | ratio | draw page, {n:,} | "
            f"{big_n:,} | ratio |",
            "|---|---|---|---|---|---|---|",
            *(f"| {backend} | {c0 * 1000:.0f} ms | {c1 * 1000:.0f} ms | {c1 / c0:.1f}× | "
              f"{p0 * 1000:.0f} ms | {p1 * 1000:.0f} ms | {p1 / p0:.1f}× |"
              for backend, (c0, p0), (c1, p1) in growth),
        ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
