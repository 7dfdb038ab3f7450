"""Clocks benchmark: the regulator's dashboard over 10,000 open clocks with 20 events
each (target ≤ 300 ms), and ``add_working_days`` + ``working_days_between`` (target ≥ 200,000
calls/s).  SQLite; ``--out FILE`` writes the table for tools/perf_report.py.

    .venv/bin/python bench/clocks_bench.py            # 1,000, 10,000 and 50,000 clocks
    .venv/bin/python bench/clocks_bench.py --quick    # 1,000 clocks, smoke run

The data set is built in bulk (Core inserts): one owner, one agency, N engagements, each with a
service clock of 20 events (start, nine materials pauses and resumes, one extension) and the
stored columns those events fold to (tally, paused_days, due_date, calendar_revision), as
``market.clocks.store.record`` would have stored them.  Also timed: refolding every open
clock from its events (what happens once after migration 0010, or after a calendar change that
touches every open clock).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from market import create_app, timeutil  # noqa: E402
from market.accounts import operations as accounts  # noqa: E402
from market.accounts.models import OrgKind, Role  # noqa: E402
from market.calendar.service import current_calendar  # noqa: E402
from market.clocks import store as clock_store  # noqa: E402
from market.db import db  # noqa: E402
from market.domain.clock import ClockTally, event_from_record, step  # noqa: E402

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
PASSWORD = "bench-password-42"  # noqa: S105  # a throwaway local database


def _events(rng: random.Random) -> list[tuple[str, datetime, str | None, int | None]]:
    at = NOW - timedelta(days=rng.randint(20, 60), hours=rng.randint(0, 8))
    out: list[tuple[str, datetime, str | None, int | None]] = [("start", at, None, None)]
    for _ in range(9):
        at += timedelta(hours=rng.randint(2, 60))
        out.append(("pause", at, "materials", None))
        at += timedelta(hours=rng.randint(2, 30))
        out.append(("resume", at, None, None))
    out.append(("extend", at + timedelta(minutes=5), "owner", rng.randint(1, 3)))
    return out


def generate(clocks: int) -> None:
    """Fill the current app's database with ``clocks`` engagements and their clocks."""
    from market.catalogue.models import ServiceType
    from market.clocks.models import Clock, ClockEntry
    from market.engagements.models import Engagement
    from market.selection.models import Award, Project, SelectionRequest

    rng = random.Random(7)
    cal = current_calendar()
    owner = accounts.create_organisation(OrgKind.OWNER, "基准业主", credit_code=None,
                                         region="云川市")
    agency = accounts.create_organisation(OrgKind.AGENCY, "基准中介", credit_code=None,
                                          region="云川市")
    reg = accounts.create_organisation(OrgKind.REGULATOR, "基准监管")
    accounts.add_member(reg, name="监管", email="regulator@bench.example", role=Role.REGULATOR,
                        password=PASSWORD)
    st = ServiceType(code="EIA", name="环境影响评价", qualification_types=[],
                     practitioner_types=[])
    db.session.add(st)
    db.session.flush()
    project = Project(public_id="PJ-000001", owner_org_id=owner.id, name="基准项目",
                      code="2026-539901-00-00-000001", fund_source="fiscal", investment_fen=1,
                      location="云川市", created_at=NOW)
    db.session.add(project)
    db.session.flush()
    req = SelectionRequest(public_id="RQ-000001", project_id=project.id,
                           owner_org_id=owner.id, service_type_id=st.id, title="t", scope="s",
                           price_kind="fixed", price_fen=100, service_days=20, signing_days=5,
                           method="direct", signup_closes_at=NOW, state="selected",
                           created_at=NOW, practitioners={})
    db.session.add(req)
    db.session.flush()
    awards, engagements, clock_rows, entries = [], [], [], []
    for i in range(1, clocks + 1):
        awards.append({"id": i, "request_id": req.id, "agency_org_id": agency.id, "rank": 0,
                       "fee_fen": 100, "service_days": 20, "state": "confirmed",
                       "offered_at": NOW, "decided_at": NOW})
        engagements.append({"id": i, "public_id": f"EG-{i:06d}", "award_id": i,
                            "request_id": req.id, "project_id": project.id,
                            "service_type_id": st.id, "owner_org_id": owner.id,
                            "agency_org_id": agency.id, "fee_fen": 100, "service_days": 20,
                            "state": "in_service", "created_at": NOW,
                            "signing_due": date(2026, 6, 1)})
        events = _events(rng)
        tally = ClockTally()
        for seq, (kind, at, reason, days) in enumerate(events, start=1):
            tally = step(tally, event_from_record(kind, at, reason, days), cal)
            entries.append({"clock_id": i, "seq": seq, "kind": kind, "at": at,
                            "reason": reason, "days": days, "note": ""})
        limit = rng.choice((10, 15, 20, 25, 30))
        clock_rows.append({
            "id": i, "kind": "service", "limit_days": limit, "engagement_id": i,
            "created_at": events[0][1],
            **clock_store.stored_values(tally, limit, cal, clock_store.calendar_revision())})
    for model, rows in ((Award, awards), (Engagement, engagements), (Clock, clock_rows),
                        (ClockEntry, entries)):
        for start in range(0, len(rows), 5000):
            db.session.execute(sa.insert(model), rows[start:start + 5000])
    db.session.commit()


def _median_ms(fn: object, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def calendar_rate(calls: int = 400_000) -> float:
    """add_working_days + working_days_between calls per second (each counts as one call)."""
    cal = current_calendar()
    rng = random.Random(1)
    starts = [date(2024, 1, 1) + timedelta(days=rng.randint(0, 900)) for _ in range(1000)]
    ns = [rng.randint(0, 60) for _ in range(1000)]
    add, between = cal.add_working_days, cal.working_days_between
    t = time.perf_counter()
    for k in range(calls // 2):
        s = starts[k % 1000]
        due = add(s, ns[k % 1000])
        between(s, due)
    return calls / (time.perf_counter() - t)


def run(clocks: int, tmp: Path) -> dict[str, float]:
    """Build ``clocks`` clocks in a fresh database and time the pages; figures in ms."""
    os.environ["MARKET_INSTANCE_PATH"] = str(tmp / "instance")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp / 'bench.db'}",
                      "SECRET_KEY": "bench", "UPLOAD_DIR": str(tmp / "uploads"),
                      "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                      # the regulator's pages are measured, not its second login step
                      "SECOND_FACTOR_ROLES": "none"})
    with app.app_context():
        db.create_all()
        t = time.perf_counter()
        generate(clocks)
        built = time.perf_counter() - t
    client = app.test_client()
    with timeutil.frozen(NOW):
        r = client.post("/login", data={"email": "regulator@bench.example",
                                        "password": PASSWORD})
        assert r.status_code == 302, r.status_code

        def dashboard() -> None:
            response = client.get("/dashboard")
            assert response.status_code == 200 and b"clock-board" in response.data

        def overdue() -> None:
            assert client.get("/regulator/overdue").status_code == 200

        dashboard()  # warm the calendar and template caches
        overdue()
        dash_ms = _median_ms(dashboard, 9)
        over_ms = _median_ms(overdue, 7)
    with app.app_context():
        from market.clocks.models import Clock
        from market.clocks.store import OPEN

        ids = list(db.session.scalars(sa.select(Clock.id).where(Clock.phase.in_(OPEN))))
        revision, cal = clock_store.calendar_state()
        t = time.perf_counter()
        clock_store.refresh(ids, revision, cal)
        db.session.commit()
        refold_ms = (time.perf_counter() - t) * 1000
        db.engine.dispose()
    return {"built": built, "dashboard": dash_ms, "overdue": over_ms, "refold": refold_ms}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--out", help="write the markdown block here (for tools/perf_report.py)")
    parser.add_argument("--sizes", default="1000,10000,50000",
                        help="comma-separated numbers of clocks (default 1000,10000,50000)")
    args = parser.parse_args()
    sizes = [1_000] if args.quick else [int(n) for n in args.sizes.split(",")]
    results = {n: run(n, Path(tempfile.mkdtemp(prefix="clocks-bench-"))) for n in sizes}
    with create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "bench"}
                    ).app_context():
        db.create_all()
        rate = statistics.median(calendar_rate() for _ in range(5))
    machine = f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    lines = [
        f"`bench/clocks_bench.py{' --quick' if args.quick else ''}` on {machine}, SQLite "
        f"{sqlite3.sqlite_version} (file, WAL), {datetime.now(UTC).date().isoformat()}. Data: "
        "N open service clocks × 20 events each (20·N event rows), built in bulk. Page figures "
        "are the median of 7–9 requests after one warm-up each.",
        "",
        "| measure | target | " + " | ".join(f"N = {n:,}" for n in sizes) + " |",
        "|---|---|" + "---|" * len(sizes),
        "| regulator `/dashboard` (state counts + 50 most urgent) | ≤ 300 ms at 10,000 | "
        + " | ".join(f"{results[n]['dashboard']:.0f} ms" for n in sizes) + " |",
        "| regulator `/regulator/overdue` (overdue count + 200 most overdue, city split) | — | "
        + " | ".join(f"{results[n]['overdue']:.0f} ms" for n in sizes) + " |",
        "| refold every open clock from its events (once after migration 0010 or a calendar "
        "change touching them all) | — | "
        + " | ".join(f"{results[n]['refold'] / 1000:.1f} s" for n in sizes) + " |",
        "| building the data set | — | "
        + " | ".join(f"{results[n]['built']:.1f} s" for n in sizes) + " |",
        "",
        f"`add_working_days` + `working_days_between`: {rate:,.0f} calls/s (target ≥ 200,000; "
        "median of 5 runs of 400,000 calls).",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
