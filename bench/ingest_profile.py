"""Whether the case-event ingest (``POST /api/v1/case-events``) costs more as the database
grows: the integration bench's data at two sizes, then fresh cases taken through their ten
events (one of each type of the bench's stream) in each database, in process through the
Flask test client with the bench's bearer token, statements counted and timed, their plans
read.

    .venv/bin/python bench/ingest_profile.py build --cases 200 --keep /tmp/ingest-200
    .venv/bin/python bench/ingest_profile.py build --cases 10000 --real 200 \
        --keep /tmp/ingest-10000
    .venv/bin/python bench/ingest_profile.py probe --keep /tmp/ingest-200 /tmp/ingest-10000 \
        --rounds 15 --before-too
    .venv/bin/python bench/ingest_profile.py probe --keep /tmp/ingest-10000 --explain
    .venv/bin/python bench/ingest_profile.py probe --keep /tmp/ingest-10000 --profile decided
    .venv/bin/python bench/ingest_profile.py http --keep /tmp/ingest-10000 --cases 100

``build`` makes the bench's data (``bench/integration_bench._setup``) in a fresh migrated
SQLite database in ``--keep`` and sends the bench's stream through the test client (every
case's k-th event before any case's (k+1)-th, as the bench), SQLite's ``synchronous=OFF``
while it fills (the probes run with the server's settings).  In process the stream runs at
tens of events a second on this machine, so ``--real N`` sends it for the first N cases only
and copies their rows (cases, events, clocks and their entries, suspensions, audit rows) for
the others, numbers, event ids, projects and bodies shifted as the stream would have made
them: 10,000 cases in about two minutes instead of an hour.

``probe`` takes ``--rounds`` fresh cases (on the project after the bench's last, which has
none) through the ten events in each database, the databases interleaved (round 1 in A,
round 1 in B, round 2 in A…), and prints per event type the median and p95 of the request's
wall time, the median of its CPU time and its statement count, the statements that took longest in all (and
``lock_row``'s), and the load average.  ``--before-too`` runs each round once more with ``market.db.lock_row`` as it was
before (the primary key written to itself on SQLite), interleaved too.  ``--explain`` prints
the statements of one round whose plan scans, sorts in a temporary B-tree or counts
(``EXPLAIN QUERY PLAN``); ``--profile TYPE`` runs cProfile over that event type's requests
in the last database.  A probe adds ten events per round and mode to each database.

``http`` serves a database made by ``build`` with gunicorn's 2 workers (from ``--code``, e.g.
an older commit from ``git archive`` with this virtualenv) and sends ``--cases`` fresh cases'
ten events as the bench does (4 threads, every case's k-th event before any case's
(k+1)-th): events/s per step, the trivial route before and after.  A spot check, not the
bench: on a shared machine two runs of the same code and data can differ by several times.
"""

# ruff: noqa: S608  # the copy's SQL is built from this file's own names and numbers
from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.integration_bench import (  # noqa: E402
    CASES_PER_PROJECT,
    CONNECTIONS,
    MATTERS,
    PROJECT_FMT,
    STEPS,
    _drive,
    _event,
    _migrated,
    _ok,
    _setup,
    _token,
)
from bench.pull_profile import _bearer  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402

TYPES = tuple(kind for _day, kind, _extra in STEPS)
# a plan step whose work may grow with a table: a scan (not of the one constant row), a
# temporary B-tree, a count
GROWING = re.compile(r"SCAN (?!CONSTANT ROW)|TEMP B-TREE|COUNT")
# lock_row's write of a row to itself on SQLite (shown whatever its place)
LOCK = re.compile(r"UPDATE (\w+) SET (\w+)=\1\.\2 WHERE")


def _app(work: Path) -> tuple[Any, dict[str, str], int]:
    """(app, bearer headers, cases) for the database kept in ``work``."""
    env, ids = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    os.environ.update(env)
    from market import create_app

    app = create_app()
    headers = {**_bearer(app.test_client(), ids), "Content-Type": "application/json"}
    return app, headers, int(ids["cases"])


def _clone(db_file: Path, real: int, copies: int) -> None:
    """Copy the rows the stream made for the first ``real`` cases ``copies`` times, as the
    stream would have made them for the next cases (their numbers, event ids, projects and
    case numbers in the bodies shifted; ids shifted past each table's last)."""
    import sqlite3

    projects = real // CASES_PER_PROJECT
    conn = sqlite3.connect(db_file)
    top = {t: conn.execute(f"SELECT max(id) FROM {t}").fetchone()[0] or 0
           for t in ("approval_case", "case_event", "clock", "clock_event", "suspension",
                     "audit_event")}
    assert top["approval_case"] == real, top
    first_audit = conn.execute("SELECT min(id) FROM audit_event WHERE tag LIKE 'client:case:%'"
                               ).fetchone()[0]
    code = "'2026-530100-48-01-' || printf('%06d', {})"
    old_no = "printf('SP-0-%06d', case_id - 1)"
    new_no = f"printf('SP-0-%06d', case_id - 1 + {real} * k.j)"
    new_event = f"printf('bench-0-%d-%s', case_id - 1 + {real} * k.j, substr(event_id, -1))"
    old_code = code.format(f"1 + (case_id - 1) / {CASES_PER_PROJECT}")
    new_code = code.format(f"1 + (case_id - 1 + {real} * k.j) / {CASES_PER_PROJECT}")

    def swap(column: str, with_code: bool) -> str:
        out = (f"replace(replace({column}, '\"' || event_id || '\"', '\"' || {new_event} || "
               f"'\"'), '\"' || {old_no} || '\"', '\"' || {new_no} || '\"')")
        if with_code:
            out = f"replace({out}, '\"' || {old_code} || '\"', '\"' || {new_code} || '\"')"
        return out

    changes = {
        "approval_case": ({"id": f"id + {real} * k.j",
                           "public_id": f"printf('BJ-%06d', id + {real} * k.j)",
                           "project_id": f"project_id + {projects} * k.j",
                           "clock_id": f"clock_id + {top['clock']} * k.j",
                           "case_no": f"printf('SP-0-%06d', id - 1 + {real} * k.j)"}, "1"),
        "case_event": ({"id": f"id + {top['case_event']} * k.j",
                        "case_id": f"case_id + {real} * k.j", "event_id": new_event,
                        "body": swap("body", True), "result": swap("result", False)},
                       f"case_id <= {real}"),
        "clock": ({"id": f"id + {top['clock']} * k.j", "case_id": f"case_id + {real} * k.j"},
                  f"case_id <= {real}"),
        "clock_event": ({"id": f"id + {top['clock_event']} * k.j",
                         "clock_id": f"clock_id + {top['clock']} * k.j"},
                        f"clock_id IN (SELECT id FROM clock WHERE case_id <= {real})"),
        "suspension": ({"id": f"id + {top['suspension']} * k.j",
                        "case_id": f"case_id + {real} * k.j"}, f"case_id <= {real}"),
        "audit_event": ({"id": f"id + {top['audit_event']} * k.j",
                         "target": f"CASE WHEN tag LIKE 'client:case:%' THEN printf('SP-0-%06d', "
                                   f"CAST(substr(target, 6) AS INTEGER) + {real} * k.j) "
                                   "ELSE target END"},
                        f"id >= {first_audit} AND (tag LIKE 'client:case:%' "
                        "OR tag = 'client:api:call')"),
    }
    for table, (exprs, where) in changes.items():
        columns = [r[1] for r in conn.execute(f"PRAGMA table_info({table})")]
        select = ", ".join(exprs.get(c, c) for c in columns)
        conn.execute(f"WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < "
                     f"{copies}) INSERT INTO {table} ({', '.join(columns)}) SELECT {select} "
                     f"FROM {table}, k WHERE {where} ORDER BY k.j, {table}.id")
        print(f"  {table}: {conn.execute(f'SELECT count(*) FROM {table}').fetchone()[0]:,} rows",
              flush=True)
    conn.commit()
    conn.close()


def build(work: Path, cases: int, real: int) -> None:
    work.mkdir(parents=True, exist_ok=True)
    env, log = _migrated(work)
    ids = _setup(env, cases)
    ids["cases"] = str(cases)
    ids["probes"] = "0"
    (work / "setup.json").write_text(json.dumps([env, ids]), encoding="utf-8")
    app, headers, _n = _app(work)
    import sqlalchemy as sa

    from market.db import db

    def fast(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA synchronous=OFF")

    with app.app_context():
        sa.event.listen(db.engine, "connect", fast)
        db.engine.dispose()
    http = app.test_client()
    projects = [PROJECT_FMT.format(1 + c // CASES_PER_PROJECT) for c in range(cases)]
    started = time.perf_counter()
    for s in range(len(STEPS)):
        for c in range(real):
            r = http.post("/api/v1/case-events", headers=headers,
                          data=_event(0, c, s, projects[c], MATTERS[c % CASES_PER_PROJECT]))
            if r.status_code not in (200, 201):
                raise RuntimeError(f"{STEPS[s][1]} of case {c}: {r.status_code} "
                                   f"{r.get_data()[:300]!r}")
        done = (s + 1) * real
        print(f"  step {s + 1}/{len(STEPS)}: {done:,} events, "
              f"{done / (time.perf_counter() - started):.0f} events/s", flush=True)
    with app.app_context():
        sa.event.remove(db.engine, "connect", fast)
        db.engine.dispose()
    if cases > real:
        _clone(work / "bench.db", real, cases // real - 1)


class Probe:
    """One database: its app, bearer token, and the next fresh case's number."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.app, self.headers, self.cases = _app(work)
        self.http = self.app.test_client()
        # the project after the bench's last (``_setup`` makes one more, without cases)
        self.project = PROJECT_FMT.format(self.cases // CASES_PER_PROJECT + 1)
        saved = json.loads((work / "setup.json").read_text(encoding="utf-8"))
        self.saved = saved
        self.next = int(saved[1].get("probes", "0"))
        # statement (its first 160 characters) -> ms of each run
        self.timings: dict[str, list[float]] = defaultdict(list)

    def round(self, profile: dict[str, cProfile.Profile] | None = None,
              capture: list[tuple[str, str, Any]] | None = None,
              ) -> list[tuple[str, float, int, float]]:
        """One fresh case through the ten events: [(type, ms, statements, CPU ms)]."""
        import sqlalchemy as sa

        from market.db import db

        seen: list[tuple[str, Any]] = []
        began: list[float] = []

        def note(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any,
                 many: bool) -> None:
            seen.append((statement, None if many else params))
            began.append(time.perf_counter())

        def done(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            self.timings[" ".join(statement.split())[:160]].append(
                (time.perf_counter() - began[-1]) * 1000)

        with self.app.app_context():
            engine = db.engine
        sa.event.listen(engine, "before_cursor_execute", note)
        sa.event.listen(engine, "after_cursor_execute", done)
        out = []
        case = self.next
        self.next += 1
        self.saved[1]["probes"] = str(self.next)
        (self.work / "setup.json").write_text(json.dumps(self.saved), encoding="utf-8")
        try:
            for s, kind in enumerate(TYPES):
                body = _event(2, case, s, self.project, MATTERS[case % len(MATTERS)])
                seen.clear()
                prof = profile.get(kind) if profile else None
                if prof:
                    prof.enable()
                t, cpu = time.perf_counter(), time.process_time()
                r = self.http.post("/api/v1/case-events", headers=self.headers, data=body)
                ms = (time.perf_counter() - t) * 1000
                cpu_ms = (time.process_time() - cpu) * 1000
                if prof:
                    prof.disable()
                if r.status_code not in (200, 201):
                    raise RuntimeError(f"{kind}: {r.status_code} {r.get_data()[:300]!r}")
                out.append((kind, ms, len(seen), cpu_ms))
                if capture is not None:
                    capture.extend((kind, st, p) for st, p in seen)
        finally:
            sa.event.remove(engine, "before_cursor_execute", note)
            sa.event.remove(engine, "after_cursor_execute", done)
        return out

    def plans(self, captured: list[tuple[str, str, Any]]) -> list[tuple[str, str, str]]:
        """(type, statement, plan) of every captured statement whose plan scans, sorts in a
        temporary B-tree or counts."""
        from market.db import db

        out = []
        with self.app.app_context(), db.engine.connect() as conn:
            raw: Any = conn.connection.driver_connection
            for kind, statement, params in captured:
                if params is None or not statement.lstrip().upper().startswith(
                        ("SELECT", "UPDATE", "DELETE", "INSERT", "WITH")):
                    continue
                rows = raw.execute("EXPLAIN QUERY PLAN " + statement, params).fetchall()
                plan = " | ".join(str(row[3]) for row in rows)
                if GROWING.search(plan):
                    out.append((kind, statement, plan))
        return out


@contextmanager
def pk_lock() -> Iterator[None]:
    """``lock_row`` as it was before: the primary key written to itself on SQLite."""
    from market import db as module

    kept = module.lock_column
    module.lock_column = lambda table: next(iter(table.primary_key.columns))  # type: ignore[assignment]
    try:
        yield
    finally:
        module.lock_column = kept


Row = tuple[str, float, int, float]  # type, wall ms, statements, CPU ms


def _summary(label: str, rows: list[Row]) -> dict[str, tuple[float, float, int, float]]:
    by: dict[str, list[float]] = defaultdict(list)
    count: dict[str, set[int]] = defaultdict(set)
    cpu: dict[str, list[float]] = defaultdict(list)
    for kind, ms, n, cpu_ms in rows:
        by[kind].append(ms)
        count[kind].add(n)
        cpu[kind].append(cpu_ms)
    out = {}
    for kind in TYPES:
        times = sorted(by[kind])
        out[kind] = (statistics.median(times), times[int(0.95 * (len(times) - 1))],
                     max(count[kind]), statistics.median(cpu[kind]))
    total = sum(row[1] for row in rows)
    print(f"{label}: {len(rows)} events, {1000 * len(rows) / total:.0f} events/s")
    return out


def probe(works: list[Path], rounds: int, explain: bool, profile: str | None,
          top: int, compare: bool) -> None:
    runs = [(Probe(w), False) for w in works]
    if compare:
        runs += [(p, True) for p, _old in runs]
    for p, _old in runs[:len(works)]:  # warm-up: the first request of an app imports, compiles
        p.round()
        p.timings.clear()
    results: list[list[Row]] = [[] for _ in runs]
    timings: list[dict[str, list[float]]] = [defaultdict(list) for _ in runs]
    profiles = {profile: cProfile.Profile()} if profile else None
    loads = [os.getloadavg()[0]]
    for _ in range(rounds):
        for i, (p, old) in enumerate(runs):
            with pk_lock() if old else nullcontext():
                results[i].extend(p.round(profiles if i == len(works) - 1 else None))
            for st, ms in p.timings.items():
                timings[i][st].extend(ms)
            p.timings.clear()
        loads.append(os.getloadavg()[0])
    if not rounds:
        results = [[(k, 1.0, 0, 1.0) for k in TYPES] for _ in runs]
    labels = [f"{p.cases:,} cases{', lock as before' if old else ''}" for p, old in runs]
    summaries = [_summary(f"{label} ({p.work})", r)
                 for label, (p, _old), r in zip(labels, runs, results, strict=True)]
    for label, spent_by in zip(labels, timings, strict=True):
        spent = sorted(((sum(ms), len(ms), st) for st, ms in spent_by.items()), reverse=True)
        print(f"{label}: the statements that took longest in all (ms in all, runs, "
              "median ms):")
        locks = [row for row in spent[6:] if LOCK.match(row[2])]
        for total, n, st in spent[:6] + locks:
            print(f"  {total:8.1f} {n:4d} {statistics.median(spent_by[st]):7.2f}  {st}")
    print(f"load average (1 min) during the probes: {min(loads):.1f}–{max(loads):.1f}")
    print("| event | " + " | ".join(f"{label}: median, p95, CPU median (ms), statements"
                                    for label in labels) + " |")
    print("|---|" + "---|" * len(labels))
    for kind in dict.fromkeys(TYPES):
        cells = [f"{s[kind][0]:.1f}, {s[kind][1]:.1f}, {s[kind][3]:.1f}, {s[kind][2]}"
                 for s in summaries]
        print(f"| {kind} | " + " | ".join(cells) + " |")
    if len(works) == 2:
        for label, offset in (("", 0), (", lock as before", 2)):
            if offset + 2 > len(summaries):
                break
            small, large = summaries[offset], summaries[offset + 1]
            print(f"ratio {runs[1][0].cases:,} / {runs[0][0].cases:,} cases{label}: " + ", ".join(
                f"{kind} {large[kind][0] / small[kind][0]:.2f}"
                for kind in dict.fromkeys(TYPES)))
    if explain:
        for p, _old in runs[:len(works)]:
            captured: list[tuple[str, str, Any]] = []
            p.round(capture=captured)
            print(f"\n{p.cases:,} cases: {len(captured)} statements in one round; "
                  "plans with a scan, a temporary B-tree or a count:")
            for kind, statement, plan in p.plans(captured):
                print(f"- {kind}: {' '.join(statement.split())[:400]}\n    {plan}")
    if profiles:
        for prof in profiles.values():
            for key in ("cumulative", "tottime"):
                stats = pstats.Stats(prof, stream=(text := io.StringIO()))
                stats.strip_dirs().sort_stats(key).print_stats(top)
                print(text.getvalue())


def http(work: Path, cases: int, code: Path) -> None:
    """``cases`` fresh cases through their ten events over HTTP, as the bench sends them (4
    threads, every case's k-th event before any case's (k+1)-th), against the database in
    ``work`` served by gunicorn's 2 workers from the code in ``code``: events/s per step."""
    import signal
    import subprocess
    import urllib.request

    env, ids = json.loads((work / "setup.json").read_text(encoding="utf-8"))
    env = {**env, "MARKET_DATABASE_URL": f"sqlite:///{work / 'bench.db'}"}
    first = int(ids.get("http", "0"))
    ids["http"] = str(first + cases)
    (work / "setup.json").write_text(json.dumps([env, ids]), encoding="utf-8")
    projects = int(ids["cases"]) // CASES_PER_PROJECT
    if cases > projects * CASES_PER_PROJECT:
        raise SystemExit(f"at most {projects * CASES_PER_PROJECT} fresh cases in this database")
    port = free_port()
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--log-level", "warning", "wsgi:app"], cwd=code, env=env, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + "/healthz", timeout=2)  # noqa: S310  # loopback
                break
            except OSError:
                time.sleep(0.1)
        headers = {"Authorization": f"Bearer {_token(base, ids['dept_id'], ids['dept_secret'])}",
                   "Content-Type": "application/json"}
        static: list[tuple[str, str, bytes | None, dict[str, str]]] = [
            ("GET", "/static/favicon.svg", None, {})] * 1000
        _drive(base, static[:200], CONNECTIONS, _ok)  # warm-up
        trivial = _drive(base, static, CONNECTIONS, _ok)
        # the stream's projects, ten fresh cases each, of matters the stream does not use
        rates = []
        for s in range(len(STEPS)):
            stream: list[tuple[str, str, bytes | None, dict[str, str]]] = [
                ("POST", "/api/v1/case-events",
                 _event(3, first + c, s, PROJECT_FMT.format(1 + c // CASES_PER_PROJECT),
                        MATTERS[CASES_PER_PROJECT + c % CASES_PER_PROJECT]), headers)
                for c in range(cases)]
            rates.append(_drive(base, stream, CONNECTIONS, _ok))
        after = _drive(base, static, CONNECTIONS, _ok)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    total = sum(r.count for r in rates) / sum(r.count / r.rate for r in rates)
    print(f"{work} from {code}: {cases} fresh cases, {cases * len(STEPS):,} events, "
          f"{total:.0f} events/s over the stream; trivial route {trivial.rate:.0f} / "
          f"{after.rate:.0f} requests/s before / after; load average {os.getloadavg()[0]:.1f}")
    print("  per step: " + ", ".join(f"{kind} {r.rate:.0f}/s (p95 {r.p95:.0f} ms)"
                                     for (_d, kind, _e), r in zip(STEPS, rates, strict=True)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="make the data")
    b.add_argument("--cases", type=int, required=True)
    b.add_argument("--keep", required=True, help="folder for the database")
    b.add_argument("--real", type=int, help="send the stream for this many cases (default: "
                   "all), and copy their rows for the others (a multiple of it)")
    p = sub.add_parser("probe", help="time fresh cases' events in each database")
    p.add_argument("--keep", nargs="+", required=True, help="folders made by build")
    p.add_argument("--rounds", type=int, default=7)
    p.add_argument("--explain", action="store_true")
    p.add_argument("--profile", choices=TYPES, help="cProfile this event type (last database)")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--before-too", action="store_true", help="each round also with lock_row "
                   "as it was before (the primary key written to itself on SQLite)")
    h = sub.add_parser("http", help="fresh cases over HTTP, gunicorn's 2 workers")
    h.add_argument("--keep", required=True, help="a folder made by build")
    h.add_argument("--cases", type=int, default=200)
    h.add_argument("--code", default=str(ROOT), help="serve the code in this folder (e.g. an "
                   "older commit from git archive, with this virtualenv)")
    args = parser.parse_args()
    if args.command == "http":
        http(Path(args.keep), args.cases, Path(args.code))
    elif args.command == "build":
        real = args.real or args.cases
        if args.cases % real or real % CASES_PER_PROJECT:
            parser.error("--cases must be a multiple of --real, --real of 10")
        build(Path(args.keep), args.cases, real)
    else:
        probe([Path(k) for k in args.keep], args.rounds, args.explain, args.profile, args.top,
              args.before_too)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
