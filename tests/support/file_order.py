"""The order in which ``make test``'s workers take the suite's files: longest first.

``--dist loadfile`` hands a worker one file at a time from a queue.  pytest-xdist's own queue
puts the files with the most tests first, so the files of a single long test (the gunicorn
scale-out run, a browser journey, a race of twenty processes) come last, and one worker can
still be running such a file when the other has nothing left.  Taking the longest first (the
classic LPT rule) leaves only short files for the end, so the workers finish together.

How long a file takes comes from ``tests/durations.json`` (seconds per file, written by
``tools/test_durations.py`` from a junit report); a file not in it counts as the median file.
The order of the tests inside a file does not change, nor does what runs: a stale table costs
only balance.  Only the workers of an xdist run reorder (``make test`` passes
``--no-loadscope-reorder`` so that xdist keeps this order); a serial run keeps pytest's.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

DURATIONS = Path(__file__).resolve().parent.parent / "durations.json"


class _Item(Protocol):
    nodeid: str


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def load_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    return {str(k): float(v) for k, v in data.items()}


def longest_first(items: Sequence[_Item], durations: dict[str, float]) -> list[_Item]:
    """``items`` grouped by file, the files longest first (ties in collection order), each
    file's tests in their own order."""
    by_file: dict[str, list[_Item]] = {}
    for item in items:
        by_file.setdefault(file_of(item.nodeid), []).append(item)
    default = statistics.median(durations.values()) if durations else 0.0
    position = {name: n for n, name in enumerate(by_file)}
    files = sorted(by_file, key=lambda name: (-durations.get(name, default), position[name]))
    return [item for name in files for item in by_file[name]]
