"""Where a project's pull spends its time: the integration bench's pull project (50 cases
opened through the API, 20 engagements with a 20-event service clock each) in a fresh
migrated SQLite database, pulled in process through the Flask test client with the bench's
bearer token, timed and then profiled with cProfile.

    .venv/bin/python bench/pull_profile.py                     # 200 pulls timed, 100 profiled
    .venv/bin/python bench/pull_profile.py --pulls 50 --top 40 --out /tmp/pull.prof
    .venv/bin/python bench/pull_profile.py --path deliverables # the other pulls, same data

It also prints the answer's SHA-256 and saves the body (``--body``) so that two versions of
the code can be compared byte for byte on the same data (the clock is frozen, see ``--at``).
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import hashlib
import http.client
import io
import json
import os
import pstats
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.integration_bench import MATTERS, PULL_PROJECT, _event, _migrated, _setup  # noqa: E402
from bench.serve import GUNICORN  # noqa: E402
from tests.support.postgres import free_port  # noqa: E402


def _timed(http: Any, path: str, headers: dict[str, str], n: int) -> list[float]:
    out = []
    for _ in range(n):
        t = time.perf_counter()
        r = http.get(path, headers=headers)
        out.append((time.perf_counter() - t) * 1000)
        if r.status_code != 200:
            raise RuntimeError(f"{path} -> {r.status_code}: {r.get_data()[:300]!r}")
    return sorted(out)


def _prepare(work: Path) -> tuple[dict[str, str], dict[str, str]]:
    """The bench's data in ``work`` (the pull project's cases come next, through the API):
    (environment, the clients' ids and secrets)."""
    env, _log = _migrated(work)
    return env, _setup(env, 10)


def _bearer(http: Any, ids: dict[str, str]) -> dict[str, str]:
    basic = base64.b64encode(f"{ids['dept_id']}:{ids['dept_secret']}".encode()).decode()
    r = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                  headers={"Authorization": "Basic " + basic})
    return {"Authorization": "Bearer " + r.get_json()["access_token"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pulls", type=int, default=200, help="timed pulls")
    parser.add_argument("--profiled", type=int, default=100, help="pulls under cProfile")
    parser.add_argument("--top", type=int, default=30, help="rows of each profile table")
    parser.add_argument("--path", choices=("project", "deliverables"), default="project")
    parser.add_argument("--at", help="freeze the clock here, ISO 8601 with offset (the answer "
                        "depends on today; default: now); the token is issued then too")
    parser.add_argument("--out", help="save the raw profile here (for snakeviz, pstats)")
    parser.add_argument("--body", help="save the answer's bytes here")
    parser.add_argument("--gunicorn", action="store_true", help="serve the app with gunicorn "
                        "(2 workers, as the integration bench does) and profile each pull in "
                        "the worker that serves it, wall-clock (bench/gunicorn_profile.py); the "
                        "clock is not frozen then")
    parser.add_argument("--keep", help="make the data in this folder, or use what an earlier "
                        "run made there (to compare two versions of the code on one database)")
    args = parser.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="pull-profile-"))
    saved = work / "setup.json"
    try:
        if saved.exists():
            env, ids = json.loads(saved.read_text(encoding="utf-8"))
            os.environ.update(env)
        else:
            work.mkdir(parents=True, exist_ok=True)
            env, ids = _prepare(work)
            saved.write_text(json.dumps([env, ids]), encoding="utf-8")
        from market import create_app, timeutil

        app = create_app()
        http = app.test_client()
        at = datetime.fromisoformat(args.at) if args.at else datetime.now(UTC)
        with timeutil.frozen(at.astimezone(UTC)):
            headers = _bearer(http, ids)
        if not ids.get("cases"):
            for c in range(50):
                r = http.post("/api/v1/case-events",
                              data=_event(1, c, 0, PULL_PROJECT, MATTERS[c]),
                              headers={**headers, "Content-Type": "application/json"})
                assert r.status_code == 201, r.get_data()
            ids["cases"] = "50"
            saved.write_text(json.dumps([env, ids]), encoding="utf-8")
        path = f"/api/v1/projects/{PULL_PROJECT}"
        if args.path == "deliverables":
            path = "/api/v1/engagements/EG-B00001/deliverables"
        if args.gunicorn:
            profile = _through_gunicorn(env, work, path, headers, args.pulls)
        else:
            profile = _in_process(http, path, headers, at, args)
        stats = pstats.Stats(profile) if isinstance(profile, cProfile.Profile) else profile
        if args.out:
            stats.dump_stats(args.out)
        for key in ("cumulative", "tottime"):
            stats.stream = text = io.StringIO()  # type: ignore[attr-defined]
            stats.strip_dirs().sort_stats(key).print_stats(args.top)
            print(text.getvalue())
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    return 0


def _in_process(http: Any, path: str, headers: dict[str, str], at: datetime,
                args: argparse.Namespace) -> Any:
    from market import timeutil

    with timeutil.frozen(at.astimezone(UTC)):
            body = http.get(path, headers=headers).get_data()
            print(f"answer: {len(body):,} bytes, sha256 {hashlib.sha256(body).hexdigest()}")
            if args.body:
                Path(args.body).write_bytes(body)
            _timed(http, path, headers, 10)  # warm-up
            ms = _timed(http, path, headers, args.pulls)
            print(f"{args.pulls} pulls in process: p50 {statistics.median(ms):.1f} ms, "
                  f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, load average "
                  f"{os.getloadavg()[0]:.1f}")
            profile = cProfile.Profile()
            profile.enable()
            _timed(http, path, headers, args.profiled)
            profile.disable()
    return profile


def _through_gunicorn(env: dict[str, str], work: Path, path: str, headers: dict[str, str],
                      pulls: int) -> Any:
    """``pulls`` sequential pulls (one caller, as the bench) from gunicorn's 2 workers, each
    profiled in its worker; the workers' profiles merged."""
    profiles = work / "profiles"
    shutil.rmtree(profiles, ignore_errors=True)
    profiles.mkdir()
    port = free_port()
    server = subprocess.Popen(
        [GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers", "2", "--log-level", "warning",
         "--config", str(ROOT / "bench/gunicorn_profile.py"), "wsgi:app"],
        cwd=ROOT, env={**env, "PULL_PROFILE_DIR": str(profiles)}, start_new_session=True)
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.1)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        ms = []
        for _ in range(pulls):
            t = time.perf_counter()
            conn.request("GET", path, headers=headers)
            r = conn.getresponse()
            body = r.read()
            ms.append((time.perf_counter() - t) * 1000)
            if r.status != 200:
                raise RuntimeError(f"{path} -> {r.status}: {body[:300]!r}")
        ms.sort()
        print(f"{pulls} pulls through gunicorn (profiled): p50 {statistics.median(ms):.1f} ms, "
              f"p95 {ms[int(0.95 * (len(ms) - 1))]:.1f} ms, load average "
              f"{os.getloadavg()[0]:.1f}")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    files = sorted(str(f) for f in profiles.glob("*.prof"))
    return pstats.Stats(*files)


if __name__ == "__main__":
    raise SystemExit(main())
