"""Tenants benchmark: the directory and the request list on a province of 20 tenants (50,000
agencies, 100,000 requests) against the one-city load data (10,000 agencies, 5,000 requests);
the target is that every page stays within 1.5× of its one-city figure.

    .venv/bin/python bench/tenants_bench.py                     # SQLite and PostgreSQL
    .venv/bin/python bench/tenants_bench.py --databases sqlite  # SQLite only
    .venv/bin/python bench/tenants_bench.py --quick             # a tenth of the data, smoke run

Both data sets come from ``flask demo generate-load`` in a freshly migrated database (the
province with ``--tenants 20``: cities and counties with fictional 539xxx codes, agencies and
owners spread over them); the lotteries are in the same proportion (40% of the requests) and
the draw log is as small as they allow (the log's size does not enter these pages).  The
generated databases are cached under ``/tmp/tenants-bench/`` (SQLite files; PostgreSQL as
``pg_dump`` archives restored into a throwaway cluster), keyed by a hash of the generator and
the sizes: a re-run upgrades a copy to the latest migration (``flask db upgrade``: an index
added since is there), analyses it and measures (``--fresh`` regenerates).

Measurement: through the test client in this process, the response cache off (every request
queries and renders: the cache would hide the size of the data), ``--requests`` timed requests
per page and data set after 5 warm-ups, the one city's and the province's requests taking
turns (the machine is shared: a change of load weighs on both sides of a ratio alike), median
latency of each round; the figure is the median over ``--runs`` rounds.  The 1-minute load
average is printed as each round starts.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_lines  # noqa: E402
from devdata.loadgen import LoadSizes  # noqa: E402

FLASK = str(ROOT / ".venv/bin/flask")
CACHE = Path(os.environ.get("TENANTS_BENCH_CACHE", "/tmp/tenants-bench"))  # noqa: S108
CITY = LoadSizes(agencies=10_000, listings=40_000, requests=5_000, lotteries=2_000, leaves=0)
PROVINCE = LoadSizes(agencies=50_000, listings=200_000, requests=100_000, lotteries=40_000,
                     leaves=0, tenants=20)
HOME = "539900"  # the first tenant, a city (with its four counties in the province)
COUNTY = "539921"  # one of its counties: one tenant's requests


@dataclass(frozen=True)
class Page:
    key: str
    label: str
    city: str  # the path on the one-city data
    province: str  # the path on the province's data


def _q(path: str, **params: str) -> str:
    return path + "?" + urllib.parse.urlencode(params)


def pages(city_region: str, province_region: str) -> list[Page]:
    """The pages compared.  A region filter on the one-city data names a district (a fifth of
    the agencies), on the province's a tenant (a twentieth).  A city's request list on the
    province (a county: one tenant; a city with its four counties: five) is compared with the
    one city's whole list, which is what that city's list was when it was alone."""
    both = {"service": "EIA", "sort": "fee"}
    return [
        Page("dir", "directory `/agencies`", "/agencies", "/agencies"),
        Page("dir-f", "directory, service + region + fee sort",
             _q("/agencies", region=city_region, **both),
             _q("/agencies", region=province_region, **both)),
        Page("api-dir", "`/api/agencies`", "/api/agencies", "/api/agencies"),
        Page("api-dir-f", "`/api/agencies`, service + region + fee sort",
             _q("/api/agencies", region=city_region, **both),
             _q("/api/agencies", region=province_region, **both)),
        Page("notices", "notices, the whole platform", "/notices", "/notices"),
        Page("notices-t", "notices of one tenant (a county)", "/notices",
             f"/d/{COUNTY}/notices"),
        Page("notices-c", "notices of a city with its four counties", "/notices",
             f"/d/{HOME}/notices"),
        Page("api-req", "`/api/requests`, the whole platform", "/api/requests",
             "/api/requests"),
        Page("api-req-t", "`/api/requests` of one tenant (a county)", "/api/requests",
             _q("/api/requests", division=COUNTY)),
        Page("api-req-c", "`/api/requests` of a city with its four counties", "/api/requests",
             _q("/api/requests", division=HOME)),
    ]


def _key(sizes: LoadSizes) -> str:
    """What the cached data depends on: the generator, the sizes (migrations added since are
    applied to the copy, see :func:`upgrade`)."""
    h = hashlib.sha256(repr(sizes).encode())
    for f in sorted((ROOT / "devdata/loadgen").glob("*.py")):
        h.update(f.name.encode() + f.read_bytes())
    return h.hexdigest()[:12]


def _env(url: str, work: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    return {**env, "FLASK_APP": "market", "MARKET_ENV": "development",
            "MARKET_SECRET_KEY": "bench", "MARKET_DATABASE_URL": url,
            "MARKET_INSTANCE_PATH": str(work / "inst"), "MARKET_UPLOAD_DIR": str(work / "up")}


def _flask(env: dict[str, str], *args: str) -> None:
    proc = subprocess.run([FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=3600, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")


def generate(url: str, sizes: LoadSizes, work: Path) -> float:
    """Migrate an empty database and fill it; returns seconds."""
    t = time.perf_counter()
    env = _env(url, work)
    _flask(env, "db", "upgrade")
    _flask(env, "demo", "generate-load", "--agencies", str(sizes.agencies), "--listings",
           str(sizes.listings), "--requests", str(sizes.requests), "--lotteries",
           str(sizes.lotteries), "--leaves", str(sizes.leaves), "--tenants", str(sizes.tenants))
    return time.perf_counter() - t


def upgrade(url: str, work: Path) -> None:
    """Bring a copy of cached data to the latest migration, then fresh planner statistics."""
    import sqlalchemy as sa

    _flask(_env(url, work), "db", "upgrade")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as c:
            c.execute(sa.text("ANALYZE" if url.startswith("sqlite") else "VACUUM ANALYZE"))
    finally:
        engine.dispose()


def sqlite_data(name: str, sizes: LoadSizes, work: Path, fresh: bool) -> tuple[str, float | None]:
    """A copy of the cached SQLite file (made first if missing); seconds generating or None."""
    cached = CACHE / f"{name}-{_key(sizes)}.db"
    took = None
    if fresh or not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        part = cached.with_suffix(".part")
        part.unlink(missing_ok=True)
        took = generate(f"sqlite:///{part}", sizes, work)
        part.rename(cached)
    copy = work / cached.name
    shutil.copyfile(cached, copy)
    upgrade(f"sqlite:///{copy}", work)
    return f"sqlite:///{copy}", took


def postgres_data(name: str, sizes: LoadSizes, work: Path, base: str, fresh: bool
                  ) -> tuple[str, float | None]:
    """A database in the throwaway cluster ``base``, restored from the cached ``pg_dump``
    archive (made first if missing); seconds generating or None."""
    from tests.support.postgres import _bindir, create_database

    url = create_database(base, name)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    cached = CACHE / f"{name}-{_key(sizes)}.pgdump"
    if fresh or not cached.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        took = generate(url, sizes, work)
        part = cached.with_suffix(".part")
        subprocess.run([str(_bindir() / "pg_dump"), "-Fc", "-f", str(part), dsn], check=True,
                       timeout=1800)
        part.rename(cached)
        return url, took
    subprocess.run([str(_bindir() / "pg_restore"), "--no-owner", "-d", dsn, str(cached)],
                   check=True, timeout=1800)
    upgrade(url, work)
    return url, None


def first_region(url: str, like: str) -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return str(c.scalar(sa.text(
                "SELECT region FROM organisation WHERE kind = 'agency' AND region LIKE :r "
                "ORDER BY region LIMIT 1"), {"r": like}))
    finally:
        engine.dispose()


def _app(url: str, work: Path) -> Any:
    from market import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                       "UPLOAD_DIR": str(work / "up"), "RATELIMIT_ENABLED": False,
                       "CACHE_TYPE": "NullCache"})


def _timed(client: Any, path: str) -> float:
    t = time.perf_counter()
    r = client.get(path)
    took = (time.perf_counter() - t) * 1000
    assert r.status_code == 200, (path, r.status_code)
    return took


def measure(apps: dict[str, Any], table: list[Page], n: int) -> dict[tuple[str, str], float]:
    """Median latency (ms) of ``n`` requests per page and data set, the cache off.  The data
    sets take turns request by request (one city, province, one city…): on a shared machine
    a change of load then weighs on both sides of a ratio alike."""
    clients = {name: app.test_client() for name, app in apps.items()}
    out = {}
    for page in table:
        times: dict[str, list[float]] = {name: [] for name in clients}
        for name, client in clients.items():
            for _ in range(5):
                _timed(client, getattr(page, name))
        for _ in range(n):
            for name, client in clients.items():
                times[name].append(_timed(client, getattr(page, name)))
        for name, ts in times.items():
            out[(name, getattr(page, name))] = statistics.median(ts)
    return out


def run_database(database: str, args: argparse.Namespace, work: Path, base: str | None,
                 sizes: dict[str, LoadSizes]) -> tuple[list[str], dict[str, float | None]]:
    urls, took = {}, {}
    for name, s in sizes.items():
        t = time.perf_counter()
        if base is None:
            urls[name], took[name] = sqlite_data(name, s, work, args.fresh)
        else:
            urls[name], took[name] = postgres_data(name, s, work, base, args.fresh)
        print(f"  {name}: ready in {time.perf_counter() - t:.0f} s"
              + (f" (generated in {took[name]:.0f} s)" if took[name] else " (cached)"),
              flush=True)
    table = pages(first_region(urls["city"], "云川市%"), first_region(urls["province"], "云川市"))
    runs: dict[tuple[str, str], list[float]] = {}
    loads: list[str] = []  # the 1-minute load average as each round starts (a shared machine)
    apps = {name: _app(url, work) for name, url in urls.items()}
    for r in range(args.runs):
        loads.append(f"{os.getloadavg()[0]:.1f}")
        for key, ms in measure(apps, table, args.requests).items():
            runs.setdefault(key, []).append(ms)
        print(f"  round {r + 1}/{args.runs} done", flush=True)
    from market.db import db

    for app in apps.values():
        with app.app_context():
            db.engine.dispose()
    med = {k: statistics.median(v) for k, v in runs.items()}
    lines = ["| page | one city | province | ratio | target |", "|---|---|---|---|---|"]
    worst = 0.0
    for p in table:
        one, prov = med[("city", p.city)], med[("province", p.province)]
        worst = max(worst, prov / one)
        lines.append(f"| {p.label}: `{urllib.parse.unquote(p.province)}` | {one:.1f} ms | "
                     f"{prov:.1f} ms | "
                     f"{prov / one:.2f}× | ≤ 1.5× |")
    lines += ["", f"Load average (1 min) as each round started: {' / '.join(loads)}"]
    print("\n".join(lines), flush=True)  # each database's table as soon as it is measured
    print(f"  worst ratio {worst:.2f}", flush=True)
    return lines, took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=5, help="rounds (median reported)")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per path")
    parser.add_argument("--quick", action="store_true", help="a tenth of the data")
    parser.add_argument("--fresh", action="store_true", help="regenerate the cached data")
    parser.add_argument("--out", help="write the markdown block here")
    args = parser.parse_args()
    sizes = {"city": CITY, "province": PROVINCE}
    if args.quick:
        sizes = {k: v.scaled(0.1) for k, v in sizes.items()}
    load = os.getloadavg()
    started = time.perf_counter()
    work = Path(tempfile.mkdtemp(prefix="tenants-bench-"))
    work.chmod(0o755)  # the PostgreSQL server runs as the postgres user when we are root
    blocks = []
    try:
        for database in args.databases.split(","):
            print(f"== {database}", flush=True)
            with contextlib.ExitStack() as stack:
                base = None
                if database == "postgresql":
                    from tests.support.postgres import throwaway_cluster

                    base = stack.enter_context(throwaway_cluster(work / "pg"))
                lines, took = run_database(database, args, work, base, sizes)
            made = "; ".join(f"{k} generated in {v:.0f} s" for k, v in took.items() if v)
            blocks.append((database, lines, made))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    c, p = sizes["city"], sizes["province"]
    text = [
        *machine_lines(extra=[f"SQLite {sqlite3.sqlite_version}"]),
        f"- Load average when the run started: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1 / 5 / 15 min; the machine is shared)",
        f"- Data (`flask demo generate-load`): one city — {c.agencies:,} agencies, "
        f"{c.listings:,} listings, {c.requests:,} requests ({c.lotteries:,} lotteries); "
        f"province — {p.tenants} tenants, {p.agencies:,} agencies, {p.listings:,} listings, "
        f"{p.requests:,} requests ({p.lotteries:,} lotteries)",
        f"- `bench/tenants_bench.py{' --quick' if args.quick else ''}`: median latency over "
        f"{args.runs} rounds of {args.requests} requests per page (test client, response cache "
        f"off), {(time.perf_counter() - started) / 60:.0f} min in all",
        "",
    ]
    for database, lines, made in blocks:
        text += [f"**{'SQLite' if database == 'sqlite' else 'PostgreSQL'}**"
                 + (f" ({made})" if made else ""), "", *lines, ""]
    out = "\n".join(text)
    print(out)
    if args.out:
        Path(args.out).write_text(out, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
