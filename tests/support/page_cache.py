"""Shared by the page-cache tests (tests/selection/test_public_page_cache.py and
test_draw_page_cache.py) and the tests that count or explain a request's statements: a second
app instance on the same database, the SQL statements a request runs, a page fetched anonymously, a page without its CSRF tokens, a page's state badge."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from market.db import db
from tests.conftest import make_app


@contextmanager
def second_instance(app: Flask, folder: Path) -> Iterator[Flask]:
    """A second instance of ``app`` on the same database (another gunicorn worker or host),
    with its own page cache."""
    other = make_app(folder, app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()


@contextmanager
def _listening(app: Flask, note: Any) -> Iterator[None]:
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


@contextmanager
def statements(app: Flask) -> Iterator[list[str]]:
    """The SQL statements ``app`` sends while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    with _listening(app, note):
        yield seen


@contextmanager
def executed(app: Flask) -> Iterator[list[tuple[str, Any]]]:
    """The SQL statements ``app`` sends while the block runs, with their parameters (to
    explain them)."""
    seen: list[tuple[str, Any]] = []

    def note(_conn: Any, _cursor: Any, statement: str, params: Any, *_args: Any) -> None:
        seen.append((statement, params))

    with _listening(app, note):
        yield seen


def get(app: Flask, path: str) -> str:
    """The page at ``path`` for a visitor (200 expected)."""
    r = app.test_client().get(path)
    assert r.status_code == 200
    return r.get_data(as_text=True)


def without_tokens(page: str) -> str:
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]+"', "", page)


def badge(page: str) -> str:
    """The state badge in the page's heading."""
    found = re.search(r'<h1>.*?<span class="badge badge-(\w+)">', page, re.S)
    assert found
    return found.group(1)
