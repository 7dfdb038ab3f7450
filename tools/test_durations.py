"""Write tests/durations.json, the seconds each test file took, from junit reports.

    .venv/bin/pytest ... --junitxml=run.xml      (``make test PYTEST_ADDOPTS=--junitxml=run.xml``)
    .venv/bin/python tools/test_durations.py run.xml [more.xml ...]

Several reports: each file's median.  Only the order in which ``make test``'s workers take the
files reads it (tests/support/file_order.py); refresh it when files are added or grow.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "tests" / "durations.json"


def file_seconds(report: Path) -> dict[str, float]:
    """Seconds per test file (set-up, call and tear-down, as junit counts them); a failed
    test is left out (hypothesis shrinking a failure takes many times the test's time)."""
    totals: dict[str, float] = {}
    # the report is pytest's own, written on this machine: not untrusted input
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314
        if case.find("failure") is not None or case.find("error") is not None:
            continue
        parts = case.get("classname", "").split(".")
        if parts and parts[-1][:1].isupper():  # a test class: its module is the file
            parts = parts[:-1]
        name = "/".join(parts) + ".py"
        totals[name] = totals.get(name, 0.0) + float(case.get("time") or 0)
    return totals


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("reports", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    runs = [file_seconds(r) for r in args.reports]
    names = sorted(set().union(*runs))
    table = {n: round(statistics.median(r[n] for r in runs if n in r), 1) for n in names}
    args.out.write_text(json.dumps(table, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(table)} files, {sum(table.values()):.0f} s in all", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
