"""The order in which make test's workers take the files (tests/support/file_order.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from tests.support.file_order import DURATIONS, file_of, load_durations, longest_first


@dataclass
class Item:
    nodeid: str


def test_files_longest_first_each_files_tests_in_their_order() -> None:
    items = [Item(n) for n in ("a.py::t1", "a.py::t2", "b.py::t1", "c.py::t1", "c.py::t2",
                               "d.py::t1")]
    durations = {"a.py": 1.0, "b.py": 30.0, "c.py": 5.0}  # d.py unknown: the median, 5.0
    order = [i.nodeid for i in longest_first(items, durations)]
    assert order == ["b.py::t1", "c.py::t1", "c.py::t2", "d.py::t1", "a.py::t1", "a.py::t2"]
    assert sorted(order) == sorted(i.nodeid for i in items)  # nothing added or dropped


def test_no_table_keeps_the_collection_order(tmp_path: Path) -> None:
    items = [Item(n) for n in ("b.py::x", "a.py::y", "b.py::z")]
    assert load_durations(tmp_path / "missing.json") == {}
    # without durations the files keep the order their first test was collected in
    assert [i.nodeid for i in longest_first(items, {})] == ["b.py::x", "b.py::z", "a.py::y"]


def test_the_table_is_seconds_per_test_file() -> None:
    table = json.loads(DURATIONS.read_text(encoding="utf-8"))
    assert table == load_durations()
    assert all(name.startswith("tests/") and name.endswith(".py") and seconds >= 0
               for name, seconds in table.items())
    assert file_of("tests/x.py::test_a[1]") == "tests/x.py"
