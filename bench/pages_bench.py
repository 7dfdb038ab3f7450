"""Every page of the demo city as every role, through the test client: SQL statements and CPU
per page, the same pages' HTML compared between trees, and optionally a cProfile of the lot.

    .venv/bin/python bench/pages_bench.py                                # this tree
    .venv/bin/python bench/pages_bench.py --tree /tmp/main --tree . --rounds 3
    .venv/bin/python bench/pages_bench.py --profile --stats 40           # where the CPU goes

The pages are those the words sweep reads (tests/test_page_words.py): each role of the demo
city logs in, in Chinese and in English, and the crawl (tests/support/crawl.py) follows links
from the entry points the role may open.  The demo city is loaded once, with the clock frozen,
into a folder every run copies; each run is its own process in its tree with the clock frozen
at the same time, so two trees read the same rows and must write the same bytes.  Rounds
alternate between the trees (A, B, A, B…).  Only ``client.get`` of each page is measured (not
the crawl's parse of the HTML), CPU by ``time.process_time``.  The HTML of the first round of
each tree is compared page by page, CSRF tokens masked; any difference is printed and makes
the exit status 1.  Every tree compared must hold tests/support/demo_roles.py (the roles,
their clients and entry points) and ``demo_data.load_into``, which the bench imports from the
tree it runs in.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv/bin/python")
# The business clock of every run: the demo city is loaded and read at this time.
AT = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
LANGS = ("zh", "en")
_CSRF = re.compile(r'(name="[\w-]*csrf_token"[^>]*value=")[^"]+(")')
# The second factor's enrolment offers a new random secret (and its QR code) on every login.
_SECRET = re.compile(r'(data-test="enrol-(?:qr|secret)"[^>]*>).*?(</(?:div|code)>)', re.DOTALL)


def _mask(html: str) -> str:
    return _SECRET.sub(r"\1…\2", _CSRF.sub(r"\1…\2", html))


# --- inside one tree's process ----------------------------------------------------------------

def load(folder: Path) -> None:
    """The demo city in ``folder``, loaded with the clock at ``AT``."""
    sys.path.insert(0, os.getcwd())
    from market import timeutil
    from tests.support.demo_data import load_into

    with timeutil.frozen(AT):
        load_into(folder)


def worker(source: Path, folder: Path, out: Path, profile: bool, stats: int,
           langs: tuple[str, ...] = LANGS) -> None:
    """Crawl every role's pages in this process (the tree is the current directory)."""
    sys.path.insert(0, os.getcwd())
    import sqlalchemy as sa

    import market
    from market import timeutil
    from market.db import db
    from tests.support.crawl import crawl
    from tests.support.demo_roles import ROLES, role_client, role_starts

    assert Path(market.__file__).resolve().parent == Path.cwd() / "market", market.__file__
    shutil.copytree(source, folder)
    with timeutil.frozen(AT):
        app = _demo_city(folder)
        statements = [0]
        with app.app_context():
            @sa.event.listens_for(db.engine, "before_cursor_execute")
            def count(*_args: Any) -> None:
                statements[0] += 1

        prof = None
        if profile:
            import cProfile

            prof = cProfile.Profile(time.process_time)  # CPU: the machine is shared
        pages: list[dict[str, Any]] = []
        html: dict[str, str] = {}
        for lang in langs:
            for role, email in ROLES.items():
                client = role_client(app, email, lang)
                get = client.get

                def measured(url: str, *args: Any, _get: Any = get, _role: str = role,
                             _lang: str = lang, **kwargs: Any) -> Any:
                    before, cpu = statements[0], time.process_time()
                    if prof is not None:
                        prof.enable()
                    answer = _get(url, *args, **kwargs)
                    if prof is not None:
                        prof.disable()
                    pages.append({"role": _role, "lang": _lang, "url": url,
                                  "status": answer.status_code,
                                  "cpu": 1000 * (time.process_time() - cpu),
                                  "statements": statements[0] - before})
                    return answer

                client.get = measured  # type: ignore[method-assign]
                for page in crawl(app, client, role_starts(app, role, email)):
                    html[f"{lang} {role} {page.url}"] = _mask(page.html)
                    pages[-1]["endpoint"] = page.endpoint
    if prof is not None:
        import pstats

        prof.dump_stats(str(out) + ".prof")
        shown = pstats.Stats(prof)
        if os.environ.get("PAGES_BENCH_CALLEES"):
            shown.sort_stats("cumulative").print_callees(os.environ["PAGES_BENCH_CALLEES"])
        shown.sort_stats("cumulative").print_stats(stats)
        shown.sort_stats("tottime").print_stats(stats)
    out.write_text(json.dumps({"pages": pages, "html": html}), encoding="utf-8")


def _demo_city(folder: Path) -> Any:
    """The words sweep's demo city (its fixture ``demo_city``): the copy in ``folder`` with
    the agency staff member it adds."""
    from tests.conftest import make_app
    from tests.support.demo_roles import add_agency_staff

    app = make_app(folder)
    add_agency_staff(app)
    return app


# --- the driver -------------------------------------------------------------------------------

def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Per run: the CPU and statements of the 200 pages (by role), medians over runs."""
    per_run = []
    for run in runs:
        by_role: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for page in run["pages"]:
            if page["status"] == 200 and "endpoint" in page:
                by_role[page["role"]].append(page)
        per_run.append(by_role)
    roles = list(per_run[0])
    out: dict[str, Any] = {}
    for role in [*roles, "all"]:
        cpu, stmts, n = [], [], []
        for by_role in per_run:
            rows = [p for r in roles for p in by_role[r]] if role == "all" else by_role[role]
            cpu.append(sum(p["cpu"] for p in rows) / len(rows))
            stmts.append(sum(p["statements"] for p in rows) / len(rows))
            n.append(len(rows))
        out[role] = {"cpu": statistics.median(cpu), "statements": statistics.median(stmts),
                     "pages": n[0], "cpu_runs": cpu}
    return out


def _compare(a: dict[str, str], b: dict[str, str]) -> list[str]:
    problems = [f"only in one tree: {k}" for k in sorted(set(a) ^ set(b))]
    for key in sorted(set(a) & set(b)):
        if a[key] != b[key]:
            left, right = a[key].splitlines(), b[key].splitlines()
            first = next((i for i, (x, y) in enumerate(zip(left, right, strict=False)) if x != y),
                         min(len(left), len(right)))
            problems.append(f"differs: {key} (line {first + 1}): "
                            f"{left[first:first + 1]!r} → {right[first:first + 1]!r}")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tree", action="append", type=Path,
                        help="a source tree to measure (repeatable; default: this one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the first tree's pages")
    parser.add_argument("--stats", type=int, default=40, help="lines of the profile to print")
    parser.add_argument("--top", type=int, default=15, help="costliest endpoints to list")
    parser.add_argument("--langs", default=",".join(LANGS), help="zh, en or both (zh,en)")
    parser.add_argument("--keep", type=Path, help="write each tree's pages (JSON) here")
    parser.add_argument("--load", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--worker", nargs=3, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.load is not None:
        load(args.load)
        return 0
    if args.worker is not None:
        source, folder, out = args.worker
        worker(source, folder, out, profile=args.profile, stats=args.stats,
               langs=tuple(args.langs.split(",")))
        return 0
    trees = [t.resolve() for t in (args.tree or [ROOT])]
    work = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    try:
        demo = work / "demo"
        subprocess.run([PYTHON, str(ROOT / "bench/pages_bench.py"), "--load", str(demo)],
                       cwd=trees[0], check=True, capture_output=True)
        load_avg = [os.getloadavg()[0]]
        runs: dict[Path, list[dict[str, Any]]] = {t: [] for t in trees}
        for r in range(1 if args.profile else args.rounds):
            for i, t in enumerate(trees if not args.profile else trees[:1]):
                out = work / f"r{r}-{i}.json"
                cmd = [PYTHON, str(ROOT / "bench/pages_bench.py"), "--worker", str(demo),
                       str(work / f"r{r}-{i}"), str(out), "--stats", str(args.stats),
                       "--langs", args.langs]
                if args.profile:
                    cmd.append("--profile")
                subprocess.run(cmd, cwd=t, check=True, timeout=3600,
                               env={**os.environ, "PYTHONHASHSEED": "0"})
                runs[t].append(json.loads(out.read_text(encoding="utf-8")))
                shutil.rmtree(work / f"r{r}-{i}", ignore_errors=True)
            load_avg.append(os.getloadavg()[0])
        if args.profile and args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(work / "r0-0.json.prof", args.keep / "pages.prof")
        print(f"Load average (1 min) at the start of each round and at the end: "
              f"{' → '.join(f'{x:.1f}' for x in load_avg)}\n")
        summaries = {t: _summary(runs[t]) for t in trees}
        roles = list(summaries[trees[0]])
        print("| role | pages | " + " | ".join(
            f"{t.name} CPU ms/page | {t.name} statements/page" for t in trees) + " |")
        print("|---|---:|" + "---:|---:|" * len(trees))
        for role in roles:
            first = summaries[trees[0]][role]
            print(f"| {role} | {first['pages']} | " + " | ".join(
                f"{summaries[t][role]['cpu']:.1f} | {summaries[t][role]['statements']:.1f}"
                for t in trees) + " |")
        print("\nCPU ms/page of each round (all roles): " + "; ".join(
            f"{t.name}: " + ", ".join(f"{x:.1f}" for x in summaries[t]["all"]["cpu_runs"])
            for t in trees))
        for t in trees:
            by_endpoint: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for page in runs[t][0]["pages"]:
                if "endpoint" in page:
                    by_endpoint[page["endpoint"]].append(page)
            costly = sorted(by_endpoint.items(), key=lambda kv: -sum(p["cpu"] for p in kv[1]))
            print(f"\n{t.name}: the {args.top} endpoints with the most CPU in all (round 1)")
            print("| endpoint | pages | CPU ms/page | statements/page |\n|---|---:|---:|---:|")
            for endpoint, rows in costly[:args.top]:
                print(f"| {endpoint} | {len(rows)} | {sum(p['cpu'] for p in rows) / len(rows):.1f}"
                      f" | {sum(p['statements'] for p in rows) / len(rows):.1f} |")
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            for i, t in enumerate(trees):
                (args.keep / f"tree{i}-{t.name}.json").write_text(json.dumps(runs[t][0]))
        problems = []
        for t in trees[1:]:
            problems += _compare(runs[trees[0]][0]["html"], runs[t][0]["html"])
        pages = len(runs[trees[0]][0]["html"])
        digest = hashlib.sha256(json.dumps(runs[trees[0]][0]["html"], sort_keys=True).encode())
        print(f"\nHTML compared: {pages} pages, {len(problems)} differences "
              f"(first tree's digest {digest.hexdigest()[:12]})")
        for problem in problems[:40]:
            print("  " + problem)
        return 1 if problems else 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
