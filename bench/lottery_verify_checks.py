"""Per-check timings of the bundle verifier (a script, not a test).

``python bench/lottery_verify_checks.py [--code DIR] [--runs N] [--strict]`` verifies the
10,000-agency bundle of ``bench/lottery_bench.py`` N times and prints, for every §9 check and for
the whole, the minimum and median CPU and wall time.  ``--code DIR`` imports ``lottery`` from
another checkout (say ``git archive main lottery | tar -x -C DIR``), so that two versions are
measured back to back on the same bundle: the bundle is built once and cached as JSON in the
temporary directory.  ``--strict`` also times strict JSON parsing of the file.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(tempfile.gettempdir()) / "lottery_verify_checks_bundle.json"


def build_bundle() -> bytes:
    sys.path.insert(0, str(ROOT))
    from bench.lottery_bench import START  # noqa: PLC0415 - only when the cache is cold
    from tests.support.lottery_history import Platform, run_lottery  # noqa: PLC0415

    p = Platform()
    agencies = [f"AG-{i:06d}" for i in range(10_000)]
    run_lottery(p, "BENCH-DRAW", agencies, START, k=3)
    return json.dumps(p.bundle("BENCH-DRAW"), ensure_ascii=False).encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--code", help="directory holding the lottery package to measure")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--strict", action="store_true", help="also time strict parsing")
    args = parser.parse_args()
    if not CACHE.exists():
        CACHE.write_bytes(build_bundle())
    text = CACHE.read_bytes()
    sys.path.insert(0, str(Path(args.code).resolve() if args.code else ROOT))
    verify = importlib.import_module("lottery.verify")
    encoding = importlib.import_module("lottery.encoding")
    assert Path(verify.__file__).is_relative_to(Path(sys.path[0]))  # noqa: S101
    bundle: Any = json.loads(text)
    names = [name for name, _ in verify._STEPS]
    cpu: dict[str, list[float]] = {n: [] for n in [*names, "total", "verify_bundle", "strict"]}
    wall: dict[str, list[float]] = {n: [] for n in cpu}
    for _ in range(args.runs):
        with verify.gc_paused():
            b = verify._Bundle(bundle, None)
            for name, step in verify._STEPS:
                c0, w0 = time.process_time(), time.perf_counter()
                step(b)
                cpu[name].append(time.process_time() - c0)
                wall[name].append(time.perf_counter() - w0)
        cpu["total"].append(sum(cpu[n][-1] for n in names))
        wall["total"].append(sum(wall[n][-1] for n in names))
        c0, w0 = time.process_time(), time.perf_counter()
        verify.verify_bundle(bundle)
        cpu["verify_bundle"].append(time.process_time() - c0)
        wall["verify_bundle"].append(time.perf_counter() - w0)
        if args.strict:
            c0, w0 = time.process_time(), time.perf_counter()
            verify.verify_bundle(encoding.loads_strict(text))
            cpu["strict"].append(time.process_time() - c0)
            wall["strict"].append(time.perf_counter() - w0)
    print(f"code: {Path(verify.__file__).parent}; {args.runs} runs; load average "
          f"{os.getloadavg()[0]:.2f}")  # fmt: skip
    print("| check | CPU min | CPU median | wall min | wall median |\n|---|---|---|---|---|")
    for n in cpu:
        if cpu[n]:
            print(f"| {n} | {min(cpu[n]) * 1e3:.1f} | {statistics.median(cpu[n]) * 1e3:.1f} | "
                  f"{min(wall[n]) * 1e3:.1f} | {statistics.median(wall[n]) * 1e3:.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
