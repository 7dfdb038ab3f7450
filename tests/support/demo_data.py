"""The demo city (devdata/demo.py), loaded once per test session and copied for each test or
module that reads it.

Loading it takes seconds; a copy of its folder (the SQLite file, the instance folder whose keys
signed its draws and sealed its secrets, its uploads) takes milliseconds.  Each caller still
gets its own database to write to; one on PostgreSQL gets the rows of that SQLite file copied
in, table by table.  The session's load is ``flask demo load`` on an empty
database, and its output is kept for the test of that command's first run
(``load_output()``); other tests of the loader itself keep calling ``demo.load()``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from market.db import db

_SNAPSHOT: Path | None = None
_LOAD_OUTPUT = ""


def _snapshot() -> Path:
    global _SNAPSHOT, _LOAD_OUTPUT
    if _SNAPSHOT is None:
        from tests.conftest import make_app

        folder = Path(tempfile.mkdtemp(prefix="market-demo-"))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        app = make_app(folder)
        # the command runs demo.load() and commits, as `make run` does
        loaded = app.test_cli_runner().invoke(args=["demo", "load"])
        assert loaded.exit_code == 0, loaded.output
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        _SNAPSHOT, _LOAD_OUTPUT = folder, loaded.output
    return _SNAPSHOT


def load_output() -> str:
    """What ``flask demo load`` printed when it loaded the session's demo city into an empty
    database."""
    _snapshot()
    return _LOAD_OUTPUT


def demo_app(tmp: Path, database_url: str | None = None) -> Flask:
    """An app on a copy of the demo city in ``tmp`` (as ``make_app(tmp)`` followed by
    ``demo.load()`` and a commit would leave it, the load done once per session).

    ``database_url``: a new database (PostgreSQL) that gets the demo's rows instead, copied
    from the SQLite file with the ids they have there; the instance folder and the uploads
    are copied to ``tmp`` as for SQLite."""
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
    app = make_app(tmp, database_url)
    if database_url is not None:
        _copy_rows(tmp / "test.db", app)
    return app


def _copy_rows(sqlite_file: Path, app: Flask) -> None:
    """Every row of the SQLite file into the app's database (its schema made, no rows), and
    each id sequence moved past the ids copied, as the load itself would have left it."""
    source = sa.create_engine(f"sqlite:///{sqlite_file}")
    try:
        with source.connect() as read, app.app_context(), db.engine.begin() as write:
            postgres = write.dialect.name == "postgresql"
            if postgres:
                # Some tables refer to each other (an approval case and its clock): no order
                # of inserts satisfies every foreign key at once, so they are not checked
                # while rows that satisfied them all in the source are copied (the cluster's
                # user is a superuser; as pg_restore --disable-triggers).
                write.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in db.metadata.sorted_tables:
                rows = [dict(row) for row in read.execute(sa.select(table)).mappings()]
                if rows:
                    write.execute(table.insert(), rows)
            if postgres:
                for table in db.metadata.sorted_tables:
                    key = list(table.primary_key.columns)
                    if len(key) == 1 and isinstance(key[0].type, sa.Integer):
                        # NULL (nothing done) for an id without a sequence
                        write.execute(sa.select(sa.func.setval(
                            sa.func.pg_get_serial_sequence(table.name, key[0].name),
                            sa.func.coalesce(sa.func.max(key[0]), 0) + 1, False)))
    finally:
        source.dispose()
