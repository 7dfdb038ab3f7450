"""Where the suite's temporary files go (tests/support/scratch.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.support import scratch


def test_a_named_folder_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_TEST_TMPDIR", "/somewhere/else")
    assert scratch.chosen() == Path("/somewhere/else")


def test_memory_only_when_it_is_a_tmpfs_with_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKET_TEST_TMPDIR", raising=False)
    monkeypatch.setattr(scratch, "_is_tmpfs", lambda path: False)
    assert scratch.chosen() is None

    monkeypatch.setattr(scratch, "_is_tmpfs", lambda path: True)
    monkeypatch.setattr(os, "access", lambda path, mode: True)
    usage = shutil.disk_usage("/")

    def free(room: int) -> Any:
        return lambda path: usage._replace(free=room)

    monkeypatch.setattr(shutil, "disk_usage", free(scratch.ROOM_NEEDED - 1))
    assert scratch.chosen() is None
    monkeypatch.setattr(shutil, "disk_usage", free(scratch.ROOM_NEEDED))
    assert scratch.chosen() == scratch.MEMORY / "market-tests"


def test_the_session_writes_where_it_was_told(tmp_path: Path) -> None:
    folder = scratch.chosen()
    if folder is None:
        pytest.skip("no tmpfs with room here: the system's temporary folder is used")
    assert tmp_path.is_relative_to(folder)
    assert Path(tempfile.gettempdir()) == folder
