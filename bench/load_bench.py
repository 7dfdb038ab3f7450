"""Load matrix: the app served as in production, driven by wrk on loopback.

For each database (SQLite file; a throwaway PostgreSQL cluster), in a fresh migrated database:
``flask demo generate-load`` (10,000 agencies, 5,000 requests, 2,000 lotteries, a draw log of
1,000,000 leaves), ``flask transparency audit``, then the README's production command with 2
workers (``MARKET_ENV=production … gunicorn --bind 127.0.0.1:PORT --workers 2 'wsgi:app'``).
wrk (a second process, 1 thread, 4 connections) runs each path for a bounded number of seconds
after a 1 s warm-up, every path once per round, rounds repeated (``--runs``); each figure is the
median over the rounds.  Latency percentiles come from wrk's own histogram (bench/wrk_stats.lua).

    .venv/bin/python bench/load_bench.py --out /tmp/load.md    # both databases, ~10 min
    .venv/bin/python bench/load_bench.py --quick               # small data, ~1 min
    .venv/bin/python bench/load_bench.py --pages draw          # one page beside the trivial
                                                               # route, both databases, ~7 min

``--pages`` names the paths to drive (keys: static, healthz, home, directory, profile, notice,
draw, api, calendar, login); the trivial route is always driven too, in the same rounds, since
every share is of it.  The data is generated in full either way (the picks depend on it).

The login POST needs the login rate limits lifted: the bench sets ``MARKET_LOGIN_LIMIT`` and
``MARKET_LOGIN_IP_LIMIT`` (production defaults: 10 per 5 minutes and 100 a day per account,
50 failures per 5 minutes per address) and says so in the table.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.machine import machine_lines  # noqa: E402
from bench.serve import gunicorn  # noqa: E402
from devdata.loadgen import LoadSizes  # noqa: E402
from devdata.loadgen.agencies import GENERATED_PASSWORD  # noqa: E402

FLASK = str(ROOT / ".venv/bin/flask")
LUA = str(ROOT / "bench/wrk_stats.lua")
LOGIN_LIMIT = "1000000 per minute"
CONNECTIONS = 4
QUICK = LoadSizes(agencies=600, listings=2_400, requests=150, lotteries=40, leaves=8_000)
REGION = "云川市东城区"
KEYS = ("static", "healthz", "home", "directory", "profile", "notice", "draw", "api", "calendar",
        "login")  # the paths of _targets(), in order


@dataclass(frozen=True)
class Target:
    key: str
    label: str
    path: str
    body: str | None = None  # a form POST (login)


@dataclass(frozen=True)
class Stats:
    rps: float
    p50: float  # ms
    p95: float
    p99: float


def _env(work: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MARKET_")}
    return {**env, "FLASK_APP": "market", "MARKET_ENV": "production",
            "MARKET_SECRET_KEY": secrets.token_hex(32), "MARKET_DATABASE_URL": url,
            "MARKET_SIGNING_KEY_FILE": str(work / "signing_key.pem"),
            "MARKET_DATA_KEY": secrets.token_hex(32), "MARKET_INSTANCE_PATH": str(work / "inst"),
            "MARKET_UPLOAD_DIR": str(work / "uploads"), "MARKET_LOGIN_LIMIT": LOGIN_LIMIT,
            "MARKET_LOGIN_IP_LIMIT": LOGIN_LIMIT, "MARKET_LOG_ORIGIN": "bench.market.example/draws",
            "MARKET_SITE_NAME": "基准测试中介服务超市", "MARKET_SITE_URL": "http://127.0.0.1",
            "MARKET_OCDS_OCID_PREFIX": "ocds-bench1"}


def _flask(env: dict[str, str], *args: str, log: Path) -> float:
    """Run a flask command, its output to ``log`` (progress lines echoed); returns seconds."""
    t = time.perf_counter()
    with log.open("a", encoding="utf-8") as out:
        proc = subprocess.Popen([FLASK, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            out.write(line)
            if not line.startswith("  lotteries "):
                print("   ", line.rstrip(), flush=True)
        if proc.wait(timeout=3600) != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed; see {log}")
    return time.perf_counter() - t


def _targets(url: str) -> tuple[list[Target], dict[str, str]]:
    """The paths, with ids picked from the generated data: an agency in the middle, the drawn
    lottery with the median number of sign-ups and its request notice."""
    engine = sa.create_engine(url)
    with engine.connect() as c:
        agencies = c.scalar(sa.text("SELECT count(*) FROM organisation WHERE kind = 'agency'"))
        agency = c.scalar(sa.text(
            "SELECT o.public_id FROM organisation o JOIN membership m ON m.organisation_id = "
            "o.id WHERE o.kind = 'agency' AND o.status = 'admitted' ORDER BY o.id "
            "LIMIT 1 OFFSET :n"), {"n": agencies // 2})
        drawn = c.execute(sa.text(
            "SELECT l.lottery_id, r.public_id, (SELECT count(*) FROM signup s "
            "WHERE s.lottery_id = l.lottery_id) AS n FROM lottery l JOIN selection_request r "
            "ON r.id = l.request_id WHERE l.state = 'drawn' ORDER BY n, l.id")).all()
        lottery, request, signups = drawn[len(drawn) // 2]
    engine.dispose()
    start = (datetime.now(UTC) + timedelta(hours=8)).date().isoformat()
    login = urllib.parse.urlencode({"email": f"agency-{int(agency[3:])}@generated.yunchuan.demo",
                                    "password": GENERATED_PASSWORD})
    page = "/agencies?" + urllib.parse.urlencode({"service": "EIA", "region": REGION,
                                                  "sort": "fee"})
    targets = [
        Target("static", "Flask static route `/static/favicon.svg` (the trivial route)",
               "/static/favicon.svg"),
        Target("healthz", "`/healthz` (`SELECT 1` in the request transaction)", "/healthz"),
        Target("home", "home `/`", "/"),
        Target("directory", f"directory `/agencies?service=EIA&region={REGION}&sort=fee`", page),
        Target("profile", f"agency profile `/agencies/{agency}`", f"/agencies/{agency}"),
        Target("notice", f"request notice `/notices/{request}`", f"/notices/{request}"),
        Target("draw", f"draw page `/lotteries/{lottery}` ({signups} sign-ups)",
               f"/lotteries/{lottery}"),
        Target("api", "`/api/agencies?service=EIA&days_max=30`",
               "/api/agencies?service=EIA&days_max=30"),
        Target("calendar", f"`/api/calendar/add?start={start}&days=10`",
               f"/api/calendar/add?start={start}&days=10"),
        Target("login", "login POST `/login` (argon2id verify; rate limit lifted)", "/login",
               login),
    ]
    return targets, {"agency": agency, "lottery": lottery, "signups": str(signups)}


def _login_session(base: str) -> tuple[str, str]:
    """A session cookie and its CSRF token, fetched once (wrk then posts the same form)."""
    with urllib.request.urlopen(base + "/login", timeout=10) as r:  # noqa: S310  # loopback
        cookie = r.headers["Set-Cookie"].split(";", 1)[0]
        html = r.read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    if token is None:
        raise RuntimeError("no CSRF token on /login")
    return cookie, token.group(1)


def _wrk(base: str, target: Target, seconds: int, cookie: str, token: str) -> Stats:
    env = dict(os.environ)
    if target.body is not None:
        env.update(WRK_BODY=f"csrf_token={urllib.parse.quote(token)}&{target.body}",
                   WRK_COOKIE=cookie)
    cmd = ["wrk", "-t1", f"-c{CONNECTIONS}", "--timeout", "10s", "-s", LUA, base + target.path]
    subprocess.run([*cmd[:3], "-d1s", *cmd[3:]], env=env, capture_output=True, check=True,
                   timeout=60)  # warm-up
    out = subprocess.run([*cmd[:3], f"-d{seconds}s", *cmd[3:]], env=env, capture_output=True,
                         text=True, check=True, timeout=seconds + 60).stdout
    m = re.search(r"^STATS (.*)$", out, re.M)
    if m is None:
        raise RuntimeError(f"wrk printed no statistics for {target.path}:\n{out}")
    requests, duration, p50, p95, p99, *errors = (float(x) for x in m.group(1).split())
    if any(errors) or requests == 0:
        raise RuntimeError(f"{target.path}: errors (connect, read, write, status, timeout) "
                           f"{errors}\n{out}")
    return Stats(requests / (duration / 1e6), p50 / 1000, p95 / 1000, p99 / 1000)


@dataclass
class Result:
    database: str
    sizes: LoadSizes
    timings: dict[str, float]
    picked: dict[str, str]
    targets: list[Target]
    runs: dict[str, list[Stats]]


def run_database(name: str, url: str, work: Path, sizes: LoadSizes, runs: int, seconds: int,
                 pages: set[str] | None = None) -> Result:
    env = _env(work, url)
    log = work / f"{name}.log"
    if not (work / "signing_key.pem").exists():
        # Production refuses to start without the key it names: make it first.
        _flask({**env, "MARKET_ENV": "development"}, "transparency", "keygen",
               str(work / "signing_key.pem"), log=log)
    timings = {"upgrade": _flask(env, "db", "upgrade", log=log)}
    # The generators refuse MARKET_ENV=production (published passwords): same database and
    # keys, development mode, for this one command.
    timings["generate"] = _flask(
        {**env, "MARKET_ENV": "development"}, "demo", "generate-load", "--agencies", str(sizes.agencies), "--listings",
        str(sizes.listings), "--requests", str(sizes.requests), "--lotteries",
        str(sizes.lotteries), "--leaves", str(sizes.leaves), "--days", str(sizes.days), log=log)
    timings["audit"] = _flask(env, "transparency", "audit", log=log)
    targets, picked = _targets(url)
    if pages is not None:
        targets = [t for t in targets if t.key == "static" or t.key in pages]
    results: dict[str, list[Stats]] = {t.key: [] for t in targets}
    with gunicorn(env, 2, log) as base:  # the README's command with 2 workers
        cookie, token = _login_session(base)
        for r in range(runs):
            for target in targets:
                results[target.key].append(_wrk(base, target, seconds, cookie, token))
            print(f"    round {r + 1}/{runs}: " + ", ".join(
                f"{k} {v[-1].rps:.0f}/s" for k, v in results.items()), flush=True)
    return Result(name, sizes, timings, picked, targets, results)


def table(res: Result, seconds: int) -> list[str]:
    med = {k: Stats(*(statistics.median(getattr(s, f) for s in v)
                      for f in ("rps", "p50", "p95", "p99"))) for k, v in res.runs.items()}
    trivial = med["static"].rps
    s = res.sizes
    lines = [
        f"**{res.database}** — data from `flask demo generate-load`: {s.agencies:,} agencies, "
        f"{s.listings:,} listings, {s.requests:,} requests, {s.lotteries:,} lotteries, a draw "
        f"log of {s.leaves:,} leaves (generated in {res.timings['generate']:.0f} s; "
        f"`flask transparency audit` of it: {res.timings['audit']:.0f} s). "
        f"Median of {len(next(iter(res.runs.values())))} rounds, {seconds} s per path per "
        "round.",
        "",
        "| path | requests/s | p50 | p95 | p99 | share of the trivial route |",
        "|---|---|---|---|---|---|",
    ]
    for t in res.targets:
        m = med[t.key]
        lines.append(f"| {t.label} | {m.rps:,.0f} | {m.p50:.1f} ms | {m.p95:.1f} ms | "
                     f"{m.p99:.1f} ms | {100 * m.rps / trivial:.0f}% |")
    return lines


def postgres_version() -> str:
    from tests.support.postgres import _bindir

    try:
        out = subprocess.run([str(_bindir() / "postgres"), "--version"], capture_output=True,
                             text=True, check=True).stdout
    except Exception:  # noqa: BLE001  # reported as unknown
        return "unknown"
    found = re.search(r"\(PostgreSQL\) (\S+)", out)
    return found.group(1) if found else out.strip()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small data, 1 round of 2 s")
    parser.add_argument("--runs", type=int, default=3, help="rounds (median reported)")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per path")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--pages", help="comma-separated path keys to drive (with the trivial "
                        "route), e.g. draw,notice; default: all of them")
    parser.add_argument("--out", help="write the markdown block here (for tools/perf_report.py)")
    args = parser.parse_args()
    sizes = QUICK if args.quick else LoadSizes()
    runs, seconds = (1, 2) if args.quick else (args.runs, args.seconds)
    pages = set(args.pages.split(",")) if args.pages else None
    if pages is not None and not pages <= set(KEYS):
        parser.error(f"--pages: unknown {sorted(pages - set(KEYS))}; known: {', '.join(KEYS)}")
    started = time.perf_counter()
    load = os.getloadavg()
    results = []
    work = Path(tempfile.mkdtemp(prefix="load-bench-"))
    work.chmod(0o755)  # the PostgreSQL server runs as the postgres user when we are root
    try:
        for name in args.databases.split(","):
            print(f"== {name}", flush=True)
            with contextlib.ExitStack() as stack:
                if name == "postgresql":
                    from tests.support.postgres import create_database, throwaway_cluster

                    base = stack.enter_context(throwaway_cluster(work / "pg"))
                    url = create_database(base, "load")
                else:
                    url = f"sqlite:///{work / 'load.db'}"
                results.append(run_database(name, url, work, sizes, runs, seconds, pages))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    minutes = (time.perf_counter() - started) / 60
    lines = [
        *machine_lines(extra=[f"SQLite {sqlite3.sqlite_version}, PostgreSQL "
                              f"{postgres_version()} (throwaway cluster on loopback, "
                              "`fsync=off`)"]),
        f"- Load average when the run started: {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} "
        "(1 / 5 / 15 min; the machine is shared)",
        "",
        "Server: `MARKET_ENV=production … .venv/bin/gunicorn --bind 127.0.0.1:PORT --workers 2 "
        f"'wsgi:app'` (the README's command with 2 workers). Load: `wrk -t1 -c{CONNECTIONS} "
        f"-d{seconds}s` from a second process after a 1 s warm-up per path; latency "
        "percentiles from wrk's histogram (`bench/wrk_stats.lua`). **The login rate limit is lifted for this bench** "
        f"(`MARKET_LOGIN_LIMIT` and `MARKET_LOGIN_IP_LIMIT` '{LOGIN_LIMIT}'; production: 10 per "
        "5 minutes and 100 a day per account, 50 failures per 5 minutes per address). "
        f"`bench/load_bench.py{' --quick' if args.quick else ''}"
        f"{' --pages ' + args.pages if args.pages else ''}`, {minutes:.0f} min "
        "in all.",
        "",
    ]
    for res in results:
        lines += [*table(res, seconds), ""]
    text = "\n".join(lines)
    print(text)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
