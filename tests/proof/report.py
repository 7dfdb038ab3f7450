"""Evidence recorder for `make proof`.

A proof test calls ``record(section, fact, value)`` with a value it measured; when the
environment variable ``MARKET_PROOF_REPORT`` names a file, one JSON line is appended to it,
and ``tools/proof_report.py`` renders docs/reliability.md from those lines. Unset (``make
test``), ``record`` does nothing.

Only the pytest process calls this (the tests run in one process; gunicorn subprocesses
never import it). Each line is written with one ``write`` on a file opened in append mode,
under a lock, so lines never interleave.
"""

from __future__ import annotations

import json
import os
import threading
import time
from typing import Any

ENV = "MARKET_PROOF_REPORT"

_lock = threading.Lock()


def enabled() -> bool:
    return bool(os.environ.get(ENV))


def _jsonable(value: Any) -> Any:
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    return str(value)


def write(entry: dict[str, Any]) -> None:
    """Append one raw entry (used by the conftest for test outcomes)."""
    path = os.environ.get(ENV)
    if not path:
        return
    line = json.dumps(_jsonable(entry), ensure_ascii=False, sort_keys=True) + "\n"
    with _lock, open(path, "a", encoding="utf-8") as fh:
        fh.write(line)


def record(section: str, fact: str, value: object) -> None:
    """Record one measured fact of a proof section; a no-op unless MARKET_PROOF_REPORT is set.

    Recording the same (section, fact) again replaces the earlier value in the report.
    """
    if not enabled():
        return
    write(
        {
            "kind": "fact",
            "section": section,
            "fact": fact,
            "value": value,
            "time": time.time(),
            "test": os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" ", 1)[0],
        }
    )
