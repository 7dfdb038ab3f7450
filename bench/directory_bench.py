"""Directory benchmark (issue 4): p95 of the public directory and /api/agencies with two
filters, throughput under wrk against gunicorn compared with a route that does no work (Flask's
static route; /healthz is measured too), and growth from 10,000 to 100,000 agencies.  SQLite,
or PostgreSQL with --postgres; the report goes to docs/performance-agencies.md (--out), to be
copied into docs/performance.md.

    .venv/bin/python bench/directory_bench.py             # about 5 minutes on 2 cores
    .venv/bin/python bench/directory_bench.py --postgres  # a throwaway cluster, about 8 minutes
    .venv/bin/python bench/directory_bench.py --quick     # 2,000 / 20,000 agencies, smoke run

``generate(url, agencies, listings)`` builds the data set in bulk (Core inserts, no ORM) and is
the generator the issue asks for; it can point at PostgreSQL as well.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from market import create_app  # noqa: E402
from market.db import db  # noqa: E402
from market.domain.codes import make_credit_code  # noqa: E402

CODES = ("EIA", "FSR", "DES", "DRR", "COST", "SURV", "SAFE", "SWC")
REGIONS = ("云川市东城区", "云川市西岭区", "云川市南湖区", "云川市北江区", "云川市青石县")
LEVELS = ("甲级", "乙级", "丙级")
PAGE = "/agencies?service=EIA&region=%E4%BA%91%E5%B7%9D%E5%B8%82%E4%B8%9C%E5%9F%8E%E5%8C%BA&sort=fee"
API = "/api/agencies?service=EIA&days_max=30&sort=fee"
# The baseline: a route of the same app and server that does no work.  /healthz runs a
# "SELECT 1" inside the app's request transaction, so it is not trivial; Flask's own static
# route serving a 1 KB file (no database, no template) is the stricter baseline.  Both are
# measured; the target is checked against the static one.
TRIVIAL = "/static/favicon.svg"
HEALTHZ = "/healthz"


def generate(url: str, agencies: int, listings: int, upload_dir: str) -> None:
    """Fill an empty database with ``agencies`` admitted agencies and ``listings`` listings."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": upload_dir})
    rng = random.Random(4)  # noqa: S311  # synthetic data
    now = datetime(2026, 11, 1, tzinfo=UTC)
    with app.app_context():
        db.create_all()
        conn = db.session.connection()
        meta = db.metadata.tables
        conn.execute(meta["service_type"].insert(), [
            {"id": i + 1, "code": c, "name": c, "name_en": c, "qualification_types": [],
             "practitioner_types": []} for i, c in enumerate(CODES)])
        batch = 5000
        for start in range(1, agencies + 1, batch):
            ids = range(start, min(start + batch, agencies + 1))
            conn.execute(meta["organisation"].insert(), [{
                "id": i, "public_id": f"AG-{i:06d}", "kind": "agency",
                "name": f"云川第{i}号工程咨询有限公司", "region": REGIONS[i % len(REGIONS)],
                "credit_code": make_credit_code(f"91539900MA{i:07d}"[:17]),
                "status": "admitted", "created_at": now} for i in ids])
            conn.execute(meta["agency_profile"].insert(), [{
                "organisation_id": i, "legal_representative": "", "authorised_representative": "",
                "contact_phone": "", "contact_email": "", "orders": 0,
                "rating_centi": rng.choice((None, rng.randint(100, 500)))} for i in ids])
            conn.execute(meta["qualification"].insert(), [{
                "organisation_id": i, "qualification_type": "资质", "level": rng.choice(LEVELS),
                "number": f"Q{i}", "issuer": "x", "valid_from": date(2020, 1, 1),
                "valid_until": date(2030, 1, 1), "status": "approved", "submitted_at": now}
                for i in ids])
        per = listings // agencies
        rows = []
        lid = 0
        for i in range(1, agencies + 1):
            for st in rng.sample(range(1, len(CODES) + 1), per):
                lid += 1
                fee = rng.randrange(5_000, 300_000) * 100
                rows.append({"id": lid, "organisation_id": i, "service_type_id": st, "version": 1,
                             "admitted": True, "region": REGIONS[i % len(REGIONS)],
                             "fee_kind": "fixed", "amount_fen": fee, "fee_low_fen": fee,
                             "committed_days": rng.randint(5, 60), "effective_from": now})
            if len(rows) >= batch:
                conn.execute(meta["listing"].insert(), rows)
                rows = []
        if rows:
            conn.execute(meta["listing"].insert(), rows)
        conn.execute(sa.text(
            "UPDATE agency_profile SET min_fee_fen = (SELECT min(fee_low_fen) FROM listing "
            "WHERE listing.organisation_id = agency_profile.organisation_id), min_days = "
            "(SELECT min(committed_days) FROM listing WHERE listing.organisation_id = "
            "agency_profile.organisation_id)"))
        db.session.commit()
        if url.startswith("sqlite"):
            db.session.connection().execute(sa.text("ANALYZE"))
            db.session.commit()
        else:
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        db.engine.dispose()


def single_user_p95(url: str, upload_dir: str, paths: list[str], n: int) -> dict[str, float]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": upload_dir, "RATELIMIT_ENABLED": False})
    client = app.test_client()
    out = {}
    for path in paths:
        for _ in range(10):
            assert client.get(path).status_code == 200
        times = []
        for _ in range(n):
            t = time.perf_counter()
            r = client.get(path)
            times.append((time.perf_counter() - t) * 1000)
            assert r.status_code == 200
        out[path] = statistics.quantiles(times, n=20)[18]
    with app.app_context():
        db.engine.dispose()
    return out


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk_rps(url: str, upload_dir: str, paths: list[str], seconds: int, workers: int
            ) -> dict[str, float]:
    port = _free_port()
    env = {**os.environ, "MARKET_DATABASE_URL": url, "MARKET_SECRET_KEY": "bench",
           "MARKET_UPLOAD_DIR": upload_dir, "MARKET_INSTANCE_PATH": upload_dir}
    server = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--log-level", "warning", "wsgi:app"], cwd=ROOT, env=env,
        start_new_session=True)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        out = {}
        for path in paths:
            base = f"http://127.0.0.1:{port}{path}"
            subprocess.run(["wrk", "-t1", "-c4", "-d1s", base], capture_output=True, check=True)
            res = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "5s", base],
                                 capture_output=True, text=True, check=True, timeout=seconds + 30)
            match = re.search(r"Requests/sec:\s+([0-9.]+)", res.stdout)
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", res.stdout)
            if non2xx:
                raise RuntimeError(f"{path}: {non2xx.group(0)}")
            out[path] = float(match.group(1)) if match else 0.0
        return out
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", default=str(ROOT / "docs/performance-agencies.md"))
    parser.add_argument("--postgres", action="store_true",
                        help="run against a throwaway PostgreSQL cluster instead of SQLite")
    args = parser.parse_args()
    small, large = (2_000, 20_000) if args.quick else (10_000, 100_000)
    work = Path(tempfile.mkdtemp(prefix="directory-bench-"))
    try:
        with contextlib.ExitStack() as stack:
            pg_base = None
            if args.postgres:
                from tests.support.postgres import throwaway_cluster

                work.chmod(0o755)  # the server runs as the postgres user when we are root
                pg_base = stack.enter_context(throwaway_cluster(work / "pg"))
            return _run(args, small, large, work, pg_base)
    finally:  # after the cluster has stopped
        shutil.rmtree(work, ignore_errors=True)


def _run(args: argparse.Namespace, small: int, large: int, work: Path, pg_base: str | None
         ) -> int:
    results: dict[int, dict[str, list[float]]] = {}
    for size in (small, large):
        url = f"sqlite:///{work / f'bench-{size}.db'}"
        if pg_base is not None:
            from tests.support.postgres import create_database

            url = create_database(pg_base, f"bench_{size}")
        t = time.perf_counter()
        generate(url, size, size * 4, str(work / "uploads"))
        print(f"generated {size} agencies / {size * 4} listings in "
              f"{time.perf_counter() - t:.1f}s", flush=True)
        runs: dict[str, list[float]] = {}
        for _ in range(args.runs):
            for path, p95 in single_user_p95(url, str(work / "uploads"), [PAGE, API],
                                             100).items():
                runs.setdefault(path, []).append(p95)
        if size == small:
            for _ in range(args.runs):
                rps = wrk_rps(url, str(work / "uploads"), [TRIVIAL, HEALTHZ, PAGE, API],
                              5, os.cpu_count() or 2)
                for path, value in rps.items():
                    runs.setdefault("rps " + path, []).append(value)
        results[size] = runs
        print(size, {k: [round(x, 1) for x in v] for k, v in runs.items()}, flush=True)
    write_report(Path(args.out), results, small, large, args.runs,
                 "PostgreSQL" if pg_base else "SQLite")
    return 0


def write_report(path: Path, results: dict[int, dict[str, list[float]]], small: int,
                 large: int, runs: int, database: str = "SQLite") -> None:
    med = {size: {k: statistics.median(v) for k, v in r.items()} for size, r in results.items()}
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    s, lg = med[small], med[large]
    triv, health = s["rps " + TRIVIAL], s["rps " + HEALTHZ]
    lines = [
        "## Agency directory and /api/agencies (issue 4)",
        "",
        f"Machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"{database} (SQLite library {__import__('sqlite3').sqlite_version}). Data: {small:,} admitted "
        f"agencies with {small * 4:,} listings (8 service types, 5 regions), then {large:,} / "
        f"{large * 4:,}. Median of {runs} runs. Generated by `bench/directory_bench.py` "
        f"({datetime.now(UTC).date().isoformat()}).",
        "",
        "Page: `" + PAGE.replace("%E4%BA%91%E5%B7%9D%E5%B8%82%E4%B8%9C%E5%9F%8E%E5%8C%BA",
                                 "云川市东城区") + "` (service + region, sorted by fee).  ",
        "API: `" + API + "` (service + days, sorted by fee).",
        "",
        "| measure | directory page | /api/agencies | target |",
        "|---|---|---|---|",
        f"| p95, single user, {small:,} agencies | {s[PAGE]:.1f} ms | {s[API]:.1f} ms | ≤ 50 ms |",
        f"| p95, single user, {large:,} agencies | {lg[PAGE]:.1f} ms | {lg[API]:.1f} ms | |",
        f"| growth {small:,} → {large:,} | {lg[PAGE] / s[PAGE]:.2f}× | {lg[API] / s[API]:.2f}× "
        "| ≤ 1.5× |",
        f"| requests/s, gunicorn ({os.cpu_count()} sync workers), wrk 2 threads × 8 "
        f"connections, 5 s | {s['rps ' + PAGE]:.0f} | {s['rps ' + API]:.0f} | |",
        f"| share of the trivial route (`{TRIVIAL}`, Flask's static route: {triv:.0f} req/s) | "
        f"{100 * s['rps ' + PAGE] / triv:.0f}% | {100 * s['rps ' + API] / triv:.0f}% | ≥ 25% |",
        f"| share of `{HEALTHZ}` (SELECT 1 in the request transaction: {health:.0f} req/s) | "
        f"{100 * s['rps ' + PAGE] / health:.0f}% | {100 * s['rps ' + API] / health:.0f}% | |",
        "",
        "With a service filter the directory reads `listing` alone: each listing carries its "
        "organisation's state (`admitted`, `region`; migration 0006, kept current by ORM "
        "events), so the page comes in index order from `ix_listing_dir_fee` / `_days` / `_org` "
        "/ `_region_fee` (service, admitted, sort key, organisation, …) and the exact total is "
        "a count over one index range, with no join; the page's 20 agencies and their listings "
        "are then read by id. Without a service filter: `organisation (kind, status, region)`, "
        "`qualification (level, valid_until, organisation_id)`, `agency_profile` min fee / min "
        "days / rating / on-time.",
        "",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    raise SystemExit(main())
