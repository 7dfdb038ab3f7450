"""The demo city (devdata/demo.py), loaded once per test session and copied for each test or
module that reads it.

Loading it takes seconds; a copy of its folder (the SQLite file, the instance folder whose keys
signed its draws and sealed its secrets, its uploads) takes milliseconds.  Each caller still
gets its own database to write to.  The session's load is ``flask demo load`` on an empty
database, and its output is kept for the test of that command's first run
(``load_output()``); other tests of the loader itself keep calling ``demo.load()``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

from flask import Flask

from market.db import db

_SNAPSHOT: Path | None = None
_LOAD_OUTPUT = ""


def _snapshot() -> Path:
    global _SNAPSHOT, _LOAD_OUTPUT
    if _SNAPSHOT is None:
        folder = Path(tempfile.mkdtemp(prefix="market-demo-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        _SNAPSHOT, _LOAD_OUTPUT = folder, load_into(folder)
    return _SNAPSHOT


def load_into(folder: Path) -> str:
    """The demo city loaded into a test app's empty instance ``folder`` by ``flask demo load``
    (``demo.load()`` and a commit, as `make run` does), its connections closed so the folder
    can be copied; returns what the command printed."""
    from tests.conftest import make_app

    app = make_app(folder)
    loaded = app.test_cli_runner().invoke(args=["demo", "load"])
    assert loaded.exit_code == 0, loaded.output
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return str(loaded.output)


def load_output() -> str:
    """What ``flask demo load`` printed when it loaded the session's demo city into an empty
    database."""
    _snapshot()
    return _LOAD_OUTPUT


def demo_app(tmp: Path) -> Flask:
    """An app on a copy of the demo city in ``tmp`` (as ``make_app(tmp)`` followed by
    ``demo.load()`` and a commit would leave it, the load done once per session)."""
    from tests.conftest import make_app

    source = _snapshot()
    tmp.mkdir(parents=True, exist_ok=True)
    for entry in source.iterdir():
        if entry.name.endswith(("-wal", "-shm")):
            continue
        if entry.is_dir():
            shutil.copytree(entry, tmp / entry.name, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, tmp / entry.name)
    return make_app(tmp)
