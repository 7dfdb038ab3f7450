"""Directory benchmark: p95 of the public directory and /api/agencies with two
filters, throughput under wrk against gunicorn compared with a route that does no work (Flask's
static route; /healthz is measured too), and growth from 10,000 to 100,000 agencies.  SQLite,
or PostgreSQL with --postgres; ``--out FILE`` writes the table for tools/perf_report.py
(``make bench`` puts it into docs/performance.md).

    .venv/bin/python bench/directory_bench.py             # about 3 minutes on 2 cores
    .venv/bin/python bench/directory_bench.py --postgres  # a throwaway cluster, about 3 minutes
    .venv/bin/python bench/directory_bench.py --quick     # 2,000 / 20,000 agencies, smoke run

The data comes from ``devdata.loadgen.agencies`` (``flask agencies generate``), in bulk.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serve import gunicorn  # noqa: E402
from devdata.loadgen.agencies import analyze, generate_agencies  # noqa: E402
from market import create_app  # noqa: E402
from market.db import db  # noqa: E402

PAGE = "/agencies?service=EIA&region=%E4%BA%91%E5%B7%9D%E5%B8%82%E4%B8%9C%E5%9F%8E%E5%8C%BA&sort=fee"
API = "/api/agencies?service=EIA&days_max=30&sort=fee"
# The baseline: a route of the same app and server that does no work.  /healthz runs a
# "SELECT 1" inside the app's request transaction, so it is not trivial; Flask's own static
# route serving a 1 KB file (no database, no template) is the stricter baseline.  Both are
# measured; the target is checked against the static one.
TRIVIAL = "/static/favicon.svg"
HEALTHZ = "/healthz"


def generate(url: str, agencies: int, listings: int, upload_dir: str) -> None:
    """Fill an empty database with ``agencies`` admitted agencies and ``listings`` listings
    (the generator of ``flask agencies generate``, without the agencies' accounts)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": upload_dir})
    with app.app_context():
        db.create_all()
        generate_agencies(agencies, listings, users=False)
        analyze()
        db.engine.dispose()


def single_user_p95(url: str, upload_dir: str, paths: list[str], n: int, cache: bool = True
                    ) -> dict[str, float]:
    """p95 of ``n`` requests per path; ``cache=False`` switches the response cache off
    (``market.pagecache``), so that every request queries and renders."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": upload_dir, "RATELIMIT_ENABLED": False,
                      "CACHE_TYPE": "SimpleCache" if cache else "NullCache"})
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


def wrk_rps(url: str, upload_dir: str, paths: list[str], seconds: int, workers: int,
            cache: bool = True) -> dict[str, float]:
    env = {**os.environ, "MARKET_DATABASE_URL": url, "MARKET_SECRET_KEY": "bench",
           "MARKET_UPLOAD_DIR": upload_dir, "MARKET_INSTANCE_PATH": upload_dir,
           "MARKET_CACHE_TYPE": "SimpleCache" if cache else "NullCache"}
    with gunicorn(env, workers) as server:
        out = {}
        for path in paths:
            base = server + path
            subprocess.run(["wrk", "-t1", "-c4", "-d1s", base], capture_output=True, check=True)
            res = subprocess.run(["wrk", "-t2", "-c8", f"-d{seconds}s", "--timeout", "5s", base],
                                 capture_output=True, text=True, check=True, timeout=seconds + 30)
            match = re.search(r"Requests/sec:\s+([0-9.]+)", res.stdout)
            non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", res.stdout)
            if non2xx:
                raise RuntimeError(f"{path}: {non2xx.group(0)}")
            out[path] = float(match.group(1)) if match else 0.0
        return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", help="write the markdown block here (for tools/perf_report.py)")
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
    started = time.perf_counter()
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
            for path, p95 in single_user_p95(url, str(work / "uploads"), [PAGE, API],
                                             100, cache=False).items():
                runs.setdefault("cold " + path, []).append(p95)
        for _ in range(args.runs):  # at both sizes: the growth of throughput too
            rps = wrk_rps(url, str(work / "uploads"), [TRIVIAL, HEALTHZ, PAGE, API],
                          5, os.cpu_count() or 2)
            for path, value in rps.items():
                runs.setdefault("rps " + path, []).append(value)
            if size == small:  # what the cache buys: the same server with the cache off
                rps = wrk_rps(url, str(work / "uploads"), [PAGE, API], 5, os.cpu_count() or 2,
                              cache=False)
                for path, value in rps.items():
                    runs.setdefault("cold rps " + path, []).append(value)
        results[size] = runs
        print(size, {k: [round(x, 1) for x in v] for k, v in runs.items()}, flush=True)
    text = report(results, small, large, args.runs, "PostgreSQL" if pg_base else "SQLite",
                  (time.perf_counter() - started) / 60)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


def report(results: dict[int, dict[str, list[float]]], small: int, large: int, runs: int,
           database: str, minutes: float) -> str:
    """The block for docs/performance.md (``<!-- bench:directory-sqlite -->`` and
    ``<!-- bench:directory-postgresql -->``)."""
    med = {size: {k: statistics.median(v) for k, v in r.items()} for size, r in results.items()}
    s, lg = med[small], med[large]
    version = (f"SQLite {sqlite3.sqlite_version}" if database == "SQLite" else
               "a throwaway cluster on loopback")
    flag = " --postgres" if database != "SQLite" else ""

    def rps_rows(size: int, m: dict[str, float]) -> list[str]:
        triv, health = m["rps " + TRIVIAL], m["rps " + HEALTHZ]
        return [
            f"| requests/s at {size:,} agencies (gunicorn, {os.cpu_count()} sync workers, wrk 2 "
            f"threads × 8 connections, 5 s) | {m['rps ' + PAGE]:.0f} | {m['rps ' + API]:.0f} | |",
            f"| … share of the trivial route (`{TRIVIAL}`: {triv:.0f} req/s) | "
            f"{100 * m['rps ' + PAGE] / triv:.0f}% | {100 * m['rps ' + API] / triv:.0f}% | "
            "≥ 25% |",
            f"| … share of `{HEALTHZ}` ({health:.0f} req/s) | {100 * m['rps ' + PAGE] / health:.0f}%"
            f" | {100 * m['rps ' + API] / health:.0f}% | |",
        ]

    lines = [
        f"**{database}** ({version}) — `bench/directory_bench.py{flag}`, "
        f"{datetime.now(UTC).date().isoformat()}, {minutes:.0f} min; median of {runs} runs; "
        f"data from `devdata.loadgen.agencies` ({small * 4:,} / {large * 4:,} listings, 8 "
        "service types, 5 regions).",
        "",
        "| measure | directory page | /api/agencies | target |",
        "|---|---|---|---|",
        f"| p95, single user, {small:,} agencies | {s[PAGE]:.1f} ms | {s[API]:.1f} ms | ≤ 50 ms |",
        f"| p95, single user, {large:,} agencies | {lg[PAGE]:.1f} ms | {lg[API]:.1f} ms | |",
        f"| growth of p95, {small:,} → {large:,} | {lg[PAGE] / s[PAGE]:.2f}× | "
        f"{lg[API] / s[API]:.2f}× | ≤ 1.5× |",
        f"| p95, single user, cache off (every request queries and renders), {small:,} "
        f"agencies | {s['cold ' + PAGE]:.1f} ms | {s['cold ' + API]:.1f} ms | ≤ 50 ms |",
        f"| p95, single user, cache off, {large:,} agencies | {lg['cold ' + PAGE]:.1f} ms | "
        f"{lg['cold ' + API]:.1f} ms | |",
        f"| growth of p95 with the cache off | {lg['cold ' + PAGE] / s['cold ' + PAGE]:.2f}× | "
        f"{lg['cold ' + API] / s['cold ' + API]:.2f}× | ≤ 1.5× |",
        *rps_rows(small, s),
        f"| requests/s at {small:,} agencies, cache off | {s['cold rps ' + PAGE]:.0f} | "
        f"{s['cold rps ' + API]:.0f} | |",
        f"| … share of the trivial route, cache off | "
        f"{100 * s['cold rps ' + PAGE] / s['rps ' + TRIVIAL]:.0f}% | "
        f"{100 * s['cold rps ' + API] / s['rps ' + TRIVIAL]:.0f}% | |",
        *rps_rows(large, lg),
        f"| growth of requests/s, {small:,} → {large:,} | "
        f"{lg['rps ' + PAGE] / s['rps ' + PAGE]:.2f}× | {lg['rps ' + API] / s['rps ' + API]:.2f}× "
        "| |",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
