"""Machine clients benchmark: case events in through the HTTP API, a project's pull, and the
webhook outbox drained to a loopback receiver.

In a fresh migrated SQLite database (``flask db upgrade``), served by the README's production
command with 2 workers (``MARKET_ENV=production … gunicorn --bind 127.0.0.1:PORT --workers 2
'wsgi:app'``), with a real department client and a real bearer token from ``/oauth/token``:

1. **Ingest.**  ``POST /api/v1/case-events`` for N cases × 10 events each (applied, returned
   for correction, resubmitted — twice —, accepted, a special procedure started and ended,
   extended, decided), sent by 4 client threads in the law's order per case, every case's k-th
   event before any case's (k+1)-th so that one case's events are never in flight together.
   Every answer is checked (201/200).  The stream is cut into ``--runs`` consecutive parts;
   each part is a run, and the same client measures the trivial route (the Flask static route
   ``/static/favicon.svg``) right before it: events/s and p95 are the median over the runs.
   The parts hold different event types (the first opens the cases, the later ones accept,
   suspend, extend and decide them), so the rate over the whole stream is given too.
2. **Pull.**  ``GET /api/v1/projects/<code>`` of a project with 50 cases (opened through the
   API) and 20 engagements, each with a service clock of 20 events: one caller, sequential
   requests, p50/p95 (target p95 ≤ 30 ms).
3. **Outbox.**  10,000 ``engagement.started`` webhooks (over 500 projects, 20 each) queued for
   one endpoint registered through ``POST /api/v1/webhooks``, then ``flask webhooks deliver``
   (a separate process, its default 8 streams in parallel) repeated until all arrived at a
   loopback receiver (werkzeug, threaded, in this process): deliveries/s.

Webhooks to loopback need ``MARKET_WEBHOOK_ALLOW_PRIVATE=1`` (production refuses private
addresses), and one client sends far more than its per-client rate limit
(``MARKET_API_CLIENT_LIMIT``, production default 600 per minute): the bench sets both and says
so in its table.

    .venv/bin/python bench/integration_bench.py                  # 10,000 cases (100,000 events)
    .venv/bin/python bench/integration_bench.py --cases 2000     # 20,000 events, a few minutes
    .venv/bin/python bench/integration_bench.py --quick          # smoke run, under a minute
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import logging
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.load_bench import FLASK, LOGIN_LIMIT, _env, _flask  # noqa: E402
from bench.machine import machine_lines  # noqa: E402
from bench.serve import gunicorn  # noqa: E402
from tests.support.receiver import receiver  # noqa: E402

CONNECTIONS = 4
PROJECT_FMT = "2026-530100-48-01-{:06d}"
PULL_PROJECT = "2026-530100-48-02-000001"
CASES_PER_PROJECT = 10
# One open case per project and matter: a project's cases are of different matters.
MATTERS = tuple(f"MATTER-{i:02d}" for i in range(1, 51))
DEPARTMENT = ("云川市生态环境局", "YC-STHJJ")
# The events of one case, in order; ``day`` is the offset from the case's first day.
STEPS: tuple[tuple[int, str, dict[str, Any]], ...] = (
    (0, "applied", {}),
    (1, "returned_for_correction", {}),
    (3, "resubmitted", {}),
    (4, "returned_for_correction", {}),
    (6, "resubmitted", {}),
    (7, "accepted", {}),
    (9, "special_procedure_started", {"reason": "expert_review", "expected_days": 10}),
    (16, "special_procedure_ended", {}),
    (18, "extended", {"days": 5, "approved_by": "局长 王某", "extension_reason": "需现场核查"}),
    (24, "decided", {"outcome": "approved"}),
)
FIRST_DAY = datetime(2026, 9, 1, 1, 30, tzinfo=UTC)  # every event is in the past


@dataclass(frozen=True)
class Stats:
    count: int
    rate: float  # per second
    p50: float  # ms
    p95: float


# --- HTTP from client threads -----------------------------------------------------------------


def _drive(base: str, requests: list[tuple[str, str, bytes | None, dict[str, str]]],
           threads: int, expect: Callable[[int], bool]) -> Stats:
    """Send ``requests`` (method, path, body, headers) from ``threads`` threads, each with its
    own connection, in list order (each thread takes the next one); every answer is checked."""
    parts = urlsplit(base)
    latencies: list[float] = []
    failures: list[str] = []
    lock = threading.Lock()
    pending = iter(requests)

    def worker() -> None:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        mine: list[float] = []
        while True:
            with lock:
                item = next(pending, None)
            if item is None or failures:
                break
            method, path, body, headers = item
            t = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            mine.append((time.perf_counter() - t) * 1000)
            if not expect(response.status):
                with lock:
                    failures.append(f"{method} {path} -> {response.status}: {data[:300]!r}")
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - started
    if failures:
        raise RuntimeError(f"{len(failures)} unexpected answers, first: {failures[0]}")
    latencies.sort()
    return Stats(len(latencies), len(latencies) / elapsed, statistics.median(latencies),
                 latencies[int(0.95 * (len(latencies) - 1))])


def _ok(status: int) -> bool:
    return 200 <= status < 300


def _token(base: str, client_id: str, secret: str) -> str:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    req = urllib.request.Request(  # noqa: S310  # loopback
        base + "/oauth/token", data=b"grant_type=client_credentials",
        headers={"Authorization": "Basic " + basic,
                 "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as r:  # noqa: S310  # loopback
        return str(json.loads(r.read())["access_token"])


def _event(n: int, case: int, step: int, project: str, matter: str) -> bytes:
    day, kind, extra = STEPS[step]
    at = FIRST_DAY + timedelta(days=day, minutes=case % 600)
    return json.dumps({"event_id": f"bench-{n}-{case}-{step}", "case_no": f"SP-{n}-{case:06d}",
                       "project_code": project, "matter_code": matter, "type": kind,
                       "at": at.isoformat(), **extra}).encode()


# --- data made in-process (the same database and keys as the server) -------------------------


def _migrated(work: Path, **extra: str) -> tuple[dict[str, str], Path]:
    """A fresh migrated SQLite database in ``work`` with its signing key: (the server's
    environment, with the per-client rate limit lifted and ``extra`` settings; the log)."""
    url = f"sqlite:///{work / 'bench.db'}"
    env = {**_env(work, url), "MARKET_API_CLIENT_LIMIT": LOGIN_LIMIT, **extra}
    log = work / "bench.log"
    _flask({**env, "MARKET_ENV": "development"}, "transparency", "keygen",
           str(work / "signing_key.pem"), log=log)
    _flask(env, "db", "upgrade", log=log)
    return env, log


def _setup(env: dict[str, str], cases: int) -> dict[str, str]:
    """Department, matters, owner, projects, the pull project's engagements, two clients."""
    os.environ.update(env)
    from bench.clocks_bench import _events
    from market import create_app
    from market.accounts import operations as accounts
    from market.accounts.models import OrgKind
    from market.calendar.service import current_calendar
    from market.catalogue import operations as catalogue_ops
    from market.catalogue.models import ApprovalMatter, ServiceType
    from market.clocks import store as clock_store
    from market.clocks.models import Clock, ClockEntry
    from market.db import db
    from market.domain.clock import ClockTally, event_from_record, step
    from market.engagements.models import Engagement
    from market.integration import clients
    from market.selection.models import Award, Project, SelectionRequest

    app = create_app()
    now = datetime.now(UTC)
    with app.app_context():
        dept = catalogue_ops.department_named(*DEPARTMENT)
        for code in MATTERS:
            db.session.add(ApprovalMatter(code=code, name=f"审批事项{code}",
                                          department_id=dept.id, statutory_days=20,
                                          committed_days=10))
        owner = accounts.create_organisation(OrgKind.OWNER, "基准业主", credit_code=None,
                                             region="云川市")
        agency = accounts.create_organisation(OrgKind.AGENCY, "基准中介", credit_code=None,
                                              region="云川市")
        projects = [{"public_id": f"PJ-B{i:06d}", "owner_org_id": owner.id, "name": "基准项目",
                     "code": PROJECT_FMT.format(i), "fund_source": "fiscal",
                     "investment_fen": 1_000_000_00, "location": "云川市", "created_at": now}
                    for i in range(1, cases // CASES_PER_PROJECT + 2)]
        projects.append({**projects[0], "public_id": "PJ-P000001", "code": PULL_PROJECT})
        db.session.execute(sa.insert(Project), projects)
        pull = db.session.scalar(sa.select(Project).where(Project.code == PULL_PROJECT))
        st = ServiceType(code="EIA", name="环境影响评价", qualification_types=[],
                         practitioner_types=[])
        db.session.add(st)
        db.session.flush()
        req = SelectionRequest(public_id="RQ-B00001", project_id=pull.id, owner_org_id=owner.id,
                               service_type_id=st.id, title="基准委托", scope="s",
                               price_kind="fixed", price_fen=100, service_days=20,
                               signing_days=5, method="direct", signup_closes_at=now,
                               state="selected", created_at=now, practitioners={})
        db.session.add(req)
        db.session.flush()
        rng = random.Random(7)
        cal = current_calendar()
        revision = clock_store.calendar_revision()
        for i in range(1, 21):
            award = Award(request_id=req.id, agency_org_id=agency.id, rank=0, fee_fen=100,
                          service_days=20, state="confirmed", offered_at=now, decided_at=now)
            db.session.add(award)
            db.session.flush()
            eng = Engagement(public_id=f"EG-B{i:05d}", award_id=award.id, request_id=req.id,
                             project_id=pull.id, service_type_id=st.id, owner_org_id=owner.id,
                             agency_org_id=agency.id, fee_fen=100, service_days=20,
                             state="in_service", created_at=now,
                             signing_due=now.date())
            db.session.add(eng)
            db.session.flush()
            events = _events(rng)
            tally = ClockTally()
            for kind, at, reason, days in events:
                tally = step(tally, event_from_record(kind, at, reason, days), cal)
            clock = Clock(kind="service", limit_days=20, engagement_id=eng.id,
                          tenant_id=req.tenant_id, created_at=events[0][1],
                          **clock_store.stored_values(tally, 20, cal, revision))
            db.session.add(clock)
            db.session.flush()
            db.session.execute(sa.insert(ClockEntry), [
                {"clock_id": clock.id, "seq": seq, "kind": kind, "at": at, "reason": reason,
                 "days": days, "note": ""}
                for seq, (kind, at, reason, days) in enumerate(events, start=1)])
        department_client = clients.create_client("基准审批系统", DEPARTMENT[1],
                                                  ["cases:write", "projects:read"])
        platform = clients.create_client("基准省级平台", None,
                                         ["webhooks:manage", "projects:read"])
        db.session.commit()
        out = {"dept_id": department_client.row.client_id,
               "dept_secret": department_client.secret,
               "platform_id": platform.row.client_id, "platform_secret": platform.secret}
        db.engine.dispose()
    return out


def _queue(env: dict[str, str], deliveries: int, projects: int) -> float:
    """Queue ``deliveries`` webhooks through the outbox, as operations do; returns seconds."""
    os.environ.update(env)
    from market import create_app, events
    from market.db import db
    from market.integration import outbox

    app = create_app()
    t = time.perf_counter()
    with app.app_context():
        at = datetime.now(UTC)
        for i in range(deliveries):
            project = PROJECT_FMT.format(1 + i % projects)
            outbox.on_event(events.EngagementStarted(
                at=at, engagement_id=1_000_000 + i, engagement_public_id=f"EG-Q{i:07d}",
                project_code=project))
        db.session.commit()
        db.engine.dispose()
    return time.perf_counter() - t


def _drain(env: dict[str, str], hooks: Any, expected: int, limit_s: float, log: Path) -> float:
    """Run ``flask webhooks deliver`` until ``expected`` requests arrived; returns seconds."""
    t = time.perf_counter()
    while len(hooks.requests) < expected:
        left = limit_s - (time.perf_counter() - t)
        if left <= 0:
            raise RuntimeError(f"outbox not drained in {limit_s:.0f} s: "
                               f"{len(hooks.requests)} of {expected}")
        with log.open("a", encoding="utf-8") as out:
            subprocess.run([FLASK, "webhooks", "deliver", "--max-seconds", str(min(50, left))],
                           cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, check=True,
                           timeout=left + 120)
    return time.perf_counter() - t


# --- the bench ------------------------------------------------------------------------------


@dataclass
class Result:
    cases: int
    trivial: list[Stats]
    ingest: list[Stats]
    pull: list[Stats]
    outbox: list[tuple[int, float, float]]  # deliveries, seconds to drain, seconds to queue
    minutes: float
    # the trivial route with one caller, just before each pull run (the pull's baseline)
    pull_trivial: list[Stats]
    load_after: tuple[float, float, float]


def run(cases: int, runs: int, pulls: int, deliveries: int, outbox_runs: int) -> Result:
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="integration-bench-"))
    try:
        env, log = _migrated(work, MARKET_WEBHOOK_ALLOW_PRIVATE="1")
        ids = _setup(env, cases)
        projects = [PROJECT_FMT.format(1 + c // CASES_PER_PROJECT) for c in range(cases)]
        trivial: list[Stats] = []
        ingest: list[Stats] = []
        pull: list[Stats] = []
        pull_trivial: list[Stats] = []
        with gunicorn(env, 2, log) as base:
            dept = _token(base, ids["dept_id"], ids["dept_secret"])
            headers = {"Authorization": f"Bearer {dept}", "Content-Type": "application/json"}
            static = [("GET", "/static/favicon.svg", None, {})] * 2000
            _drive(base, static[:200], CONNECTIONS, _ok)  # warm-up
            stream = [("POST", "/api/v1/case-events",
                       _event(0, c, s, projects[c], MATTERS[c % CASES_PER_PROJECT]), headers)
                      for s in range(len(STEPS)) for c in range(cases)]
            size = -(-len(stream) // runs)
            for r in range(runs):
                trivial.append(_drive(base, static, CONNECTIONS, _ok))
                ingest.append(_drive(base, stream[r * size:(r + 1) * size], CONNECTIONS, _ok))
                print(f"    run {r + 1}/{runs}: trivial {trivial[-1].rate:.0f}/s, ingest "
                      f"{ingest[-1].rate:.0f} events/s (p95 {ingest[-1].p95:.1f} ms)",
                      flush=True)
            # The pull project's 50 cases, opened through the API.
            _drive(base, [("POST", "/api/v1/case-events",
                           _event(1, c, 0, PULL_PROJECT, MATTERS[c]), headers)
                          for c in range(50)], 1, _ok)
            path = f"/api/v1/projects/{PULL_PROJECT}"
            _drive(base, [("GET", path, None, headers)] * 5, 1, _ok)  # warm-up
            with urllib.request.urlopen(urllib.request.Request(  # noqa: S310  # loopback
                    base + path, headers=headers), timeout=10) as r:
                body = json.loads(r.read())
            shape = {k: len(v) for k, v in body.items() if isinstance(v, list)}
            if shape.get("cases") != 50 or shape.get("engagements") != 20:
                raise RuntimeError(f"the pull project is not 50 cases and 20 engagements: {shape}")
            for _ in range(runs):
                pull_trivial.append(_drive(base, static[:pulls], 1, _ok))
                pull.append(_drive(base, [("GET", path, None, headers)] * pulls, 1, _ok))
            outbox: list[tuple[int, float, float]] = []
            platform = _token(base, ids["platform_id"], ids["platform_secret"])
            logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per webhook
            with receiver() as hooks:
                _drive(base, [("POST", "/api/v1/webhooks", json.dumps(
                    {"url": hooks.url, "events": ["engagement.started"]}).encode(),
                    {"Authorization": f"Bearer {platform}",
                     "Content-Type": "application/json"})], 1, lambda s: s == 201)
                for r in range(outbox_runs):
                    hooks.requests.clear()
                    queued = _queue(env, deliveries, 500)
                    drained = _drain(env, hooks, deliveries, 600, log)
                    if len(hooks.requests) != deliveries:
                        raise RuntimeError(f"{len(hooks.requests)} webhooks arrived, "
                                           f"{deliveries} queued")
                    outbox.append((deliveries, drained, queued))
                    print(f"    outbox run {r + 1}/{outbox_runs}: {deliveries / drained:.0f} "
                          "deliveries/s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return Result(cases, trivial, ingest, pull, outbox, (time.perf_counter() - started) / 60,
                  pull_trivial, os.getloadavg())


def _med(values: list[Stats], field: str) -> float:
    return statistics.median(getattr(v, field) for v in values)


def table(res: Result, args: argparse.Namespace, load: tuple[float, float, float]) -> list[str]:
    events = res.cases * len(STEPS)
    trivial = _med(res.trivial, "rate")
    ingest = _med(res.ingest, "rate")
    rates = [d / s for d, s, _q in res.outbox]
    whole = sum(s.count for s in res.ingest) / sum(s.count / s.rate for s in res.ingest)
    command = "bench/integration_bench.py" + (" --quick" if args.quick else
                                              f" --cases {res.cases}")
    return [
        *machine_lines(extra=[f"SQLite {sqlite3.sqlite_version} (file, WAL)"]),
        f"- Load average when the run started: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}, "
        f"when it ended: {res.load_after[0]:.1f} / {res.load_after[1]:.1f} / "
        f"{res.load_after[2]:.1f} (1 / 5 / 15 min; the machine is shared)",
        "",
        "Server: `MARKET_ENV=production … .venv/bin/gunicorn --bind 127.0.0.1:PORT --workers 2 "
        "'wsgi:app'`, **`MARKET_WEBHOOK_ALLOW_PRIVATE=1`** (the receiver is on loopback) and **the per-client "
        f"rate limit lifted** (`MARKET_API_CLIENT_LIMIT` '{LOGIN_LIMIT}'; production: 600 per "
        "minute). "
        f"Client: {CONNECTIONS} Python threads (`http.client`) in a second process, a real "
        "department client's bearer token from `/oauth/token`; every answer checked. "
        f"`.venv/bin/python {command}`, {res.minutes:.0f} min in all.",
        "",
        "| measure | data | median of | result | baseline |",
        "|---|---|---|---|---|",
        f"| trivial route `/static/favicon.svg`, same client | — | {len(res.trivial)} runs of "
        f"2,000 | {trivial:,.0f} requests/s, p95 {_med(res.trivial, 'p95'):.1f} ms | — |",
        f"| `POST /api/v1/case-events` | {events:,} events for {res.cases:,} cases (10 each) "
        f"| {len(res.ingest)} runs of {res.ingest[0].count:,} events | {ingest:,.0f} events/s, "
        f"p50 {_med(res.ingest, 'p50'):.1f} ms, p95 {_med(res.ingest, 'p95'):.1f} ms; over "
        f"the whole stream {whole:,.0f} events/s (parts: "
        f"{', '.join(f'{s.rate:.0f}' for s in res.ingest)}) | "
        f"{100 * ingest / trivial:.0f}% of the trivial route |",
        f"| `GET /api/v1/projects/<code>` (one caller) | 50 cases, 20 engagements with a "
        f"20-event service clock each | {len(res.pull)} runs of {res.pull[0].count} | p50 "
        f"{_med(res.pull, 'p50'):.1f} ms, p95 {_med(res.pull, 'p95'):.1f} ms, "
        f"{_med(res.pull, 'rate'):,.0f} requests/s | target p95 ≤ 30 ms; "
        f"{100 * _med(res.pull, 'rate') / _med(res.pull_trivial, 'rate'):.0f}% of the trivial "
        f"route with one caller ({_med(res.pull_trivial, 'rate'):,.0f} requests/s, p95 "
        f"{_med(res.pull_trivial, 'p95'):.1f} ms, just before each run) |",
        f"| outbox: `flask webhooks deliver` to a loopback receiver | {res.outbox[0][0]:,} "
        f"`engagement.started` webhooks, 500 projects × {res.outbox[0][0] // 500} | "
        f"{len(res.outbox)} run{'s' if len(res.outbox) > 1 else ''} | {statistics.median(rates):,.0f} deliveries/s (queueing "
        f"them: {statistics.median(q for _d, _s, q in res.outbox):.1f} s) | — |",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=10_000, help="cases (10 events each)")
    parser.add_argument("--runs", type=int, help="parts of the ingest / pull runs "
                        "(default 5; 2 with --quick)")
    parser.add_argument("--pulls", type=int, help="pull requests per run (default 200; "
                        "50 with --quick)")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--outbox-runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="200 cases, 1,000 deliveries")
    parser.add_argument("--out", help="write the markdown block here")
    args = parser.parse_args()
    # --quick shortens what is not given explicitly: `--quick --pulls 200 --runs 3` measures
    # the pull as the full run does, beside a short ingest and outbox
    if args.quick:
        args.cases, args.deliveries, args.outbox_runs = 200, 1000, 1
    args.runs = args.runs or (2 if args.quick else 5)
    args.pulls = args.pulls or (50 if args.quick else 200)
    load = os.getloadavg()
    res = run(args.cases, args.runs, args.pulls, args.deliveries, args.outbox_runs)
    text = "\n".join(table(res, args, load))
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
