"""The empty schema, built once per test session and copied into each test's database.

``db.create_all()`` of the 70-odd tables costs a tenth of a second on SQLite and more on
PostgreSQL, and almost every test asks for a fresh database.  The first fresh database of a
session is made with ``create_all``; every later one is a copy of it: a file copy for SQLite,
``CREATE DATABASE … TEMPLATE`` for PostgreSQL.  Each test still gets its own database with real
commits, so threads, subprocesses and servers see what they always saw.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.postgres import COPY, admin, create_database, dsn

_TEMPLATE_DIR: Path | None = None
_SQLITE_TEMPLATE: Path | None = None
# PostgreSQL base URL (server, no database) -> the template database's name
_PG_TEMPLATES: dict[str, str] = {}
PG_TEMPLATE = "market_schema_template"


def _template_dir() -> Path:
    global _TEMPLATE_DIR
    if _TEMPLATE_DIR is None:
        _TEMPLATE_DIR = Path(tempfile.mkdtemp(prefix="market-schema-"))
        atexit.register(shutil.rmtree, _TEMPLATE_DIR, ignore_errors=True)
    return _TEMPLATE_DIR


def copy_private(source: Path, target: Path) -> None:
    """Copy a database file, created 0600 like the app creates its own."""
    target.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))
    shutil.copyfile(source, target)


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for anything else, or an in-memory database)."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or \
            database.startswith("file:"):
        return None
    return Path(database)


def _pg_split(url: str) -> tuple[str, str]:
    base, _, name = url.rpartition("/")
    return base, name


def _pg_is_empty(url: str) -> bool:
    import psycopg

    base, name = _pg_split(url)
    with psycopg.connect(dsn(base, name)) as conn:
        row = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()
    return row is not None and row[0] == 0


def _pg_copy(base: str, name: str, template: str, *, replace: bool = False) -> None:
    """Database ``name`` on the server at ``base`` as a copy of ``template`` (``replace``:
    dropping the one of that name first)."""
    copy = f'CREATE DATABASE "{name}" TEMPLATE "{template}" {COPY}'
    if replace:
        admin(base, f'DROP DATABASE "{name}"', copy)
    else:
        admin(base, copy)


def _pg_clone(url: str, template: str) -> None:
    _pg_copy(*_pg_split(url), template, replace=True)


def prepare(url: str, create_all: Callable[[str], None]) -> bool:
    """Give the database at ``url`` the schema from the session's template, if it is a new
    SQLite file or an empty PostgreSQL database; True when done.  False leaves it to the caller
    (``create_all`` on a database that already holds something, as before).

    ``create_all(url)`` makes the schema in an empty database; it builds the template once."""
    global _SQLITE_TEMPLATE
    path = sqlite_file(url)
    if path is not None:
        if path.exists():
            return False
        if _SQLITE_TEMPLATE is None:
            template = _template_dir() / "schema.db"
            create_all(f"sqlite:///{template}")
            _SQLITE_TEMPLATE = template
        copy_private(_SQLITE_TEMPLATE, path)
        return True
    if make_url(url).get_backend_name() != "postgresql" or not _pg_is_empty(url):
        return False
    base, _ = _pg_split(url)
    _pg_clone(url, _pg_template(base, create_all))
    return True


def _pg_template(base: str, create_all: Callable[[str], None]) -> str:
    if base not in _PG_TEMPLATES:
        create_all(create_database(base, PG_TEMPLATE))
        _PG_TEMPLATES[base] = PG_TEMPLATE
    return _PG_TEMPLATES[base]


def pg_database(base: str, name: str, create_all: Callable[[str], None]) -> str:
    """A new PostgreSQL database ``name`` on the server at ``base``, made in one step as a copy
    of the session's template; its URL.  (An empty database that :func:`prepare` fills is
    made twice: empty, then dropped and copied.)"""
    _pg_copy(base, name, _pg_template(base, create_all))
    return f"{base}/{name}"
