"""Whole-response cache for public pages read far more often than they change (页面缓存).

The agency directory and ``/api/agencies`` are what every visitor and integrator reads; their
data (agencies, listings, qualifications, profiles, service types) changes a few times a day.
Rendering a directory page costs ~4 ms, most of it Jinja, so these responses are cached whole
— but a page must never show a fee or a total that is no longer true, whichever process or
instance served the change.  So every cached response is keyed by a **generation**: a counter
in the database (``cache_generation``) that the same transaction bumps whenever it writes a
tracked model.  A reader reads the counter first (one indexed row) and then, on a miss, the
data; a change and its bump commit together, so an entry can only be stored under a generation
that is already stale, never the reverse.  The entries themselves live in Flask-Caching
(per-process ``SimpleCache`` by default; a shared backend such as Redis works unchanged).

What varies a response is in the key too: the full URL, the language, care mode and the local
date (qualifications expire and stop counting the day after, see ``market.agencies.directory``).
Only anonymous requests without flashed messages are cached: a logged-in person's header
differs.  The header's forms carry the visitor's own CSRF token, put in on every hit.

Writes that bypass the ORM's unit of work (Core inserts by generators) call :func:`invalidate`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from market import timeutil
from market.db import db
from market.extensions import cache

F = TypeVar("F", bound=Callable[..., Any])

DIRECTORY = "directory"  # the one scope so far: what the public directory and its API show
_TRACKED: dict[type, str] = {}
_PENDING = "pagecache_pending"  # session.info: scopes written in this transaction
# Stands in for the visitor's CSRF token in a stored page; a token never contains "!".
_TOKEN_MARK = "!csrf-token!"  # noqa: S105  # a placeholder, not a secret
_SKIPPED_HEADERS = {"set-cookie", "content-length"}


class CacheGeneration(db.Model):  # type: ignore[name-defined,misc]
    """How many committed changes a cache scope has seen (缓存版本号)."""

    __tablename__ = "cache_generation"
    scope: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    counter: Mapped[int] = mapped_column(sa.BigInteger, default=0)


def track(scope: str, *models: type) -> None:
    """Writing any of ``models`` makes the cached responses of ``scope`` stale."""
    for model in models:
        _TRACKED[model] = scope


def _scopes_of(objects: Iterable[Any], session: Session, *, modified_only: bool) -> set[str]:
    found = set()
    for obj in objects:
        scope = _TRACKED.get(type(obj))
        if scope is not None and (not modified_only or session.is_modified(obj)):
            found.add(scope)
    return found


@event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    if not _TRACKED:
        return
    # after_flush still sees the flush's new/dirty/deleted objects.  Setting an attribute to
    # the value it had does not count as a change.
    scopes = _scopes_of(session.new, session, modified_only=False)
    scopes |= _scopes_of(session.deleted, session, modified_only=False)
    scopes |= _scopes_of(session.dirty, session, modified_only=True)
    if scopes:
        session.info.setdefault(_PENDING, set()).update(scopes)


@event.listens_for(Session, "do_orm_execute")
def _note_bulk(state: Any) -> None:
    """ORM-enabled ``update(Listing)…`` statements skip the unit of work; count them too."""
    if state.is_select or not _TRACKED:
        return
    for mapper in state.all_mappers:
        scope = _TRACKED.get(mapper.class_)
        if scope is not None:
            state.session.info.setdefault(_PENDING, set()).add(scope)


@event.listens_for(Session, "before_commit")
def _bump_on_commit(session: Session) -> None:
    # Flush first so that the bump is the transaction's last write: the counter's row lock
    # (PostgreSQL) is then held only while committing, and cannot take part in a deadlock.
    session.flush()
    for scope in sorted(session.info.pop(_PENDING, ())):
        _bump(session, scope)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _bump(session: Session, scope: str) -> None:
    table = CacheGeneration.__table__
    done = session.execute(sa.update(table).where(table.c.scope == scope)
                           .values(counter=table.c.counter + 1))
    # No row: a database made by create_all rather than the migrations.
    if done.rowcount == 0:  # type: ignore[attr-defined]
        session.execute(sa.insert(table).values(scope=scope, counter=1))


def invalidate(scope: str = DIRECTORY) -> None:
    """Make ``scope`` stale when this transaction commits (for writes made with Core)."""
    db.session.info.setdefault(_PENDING, set()).add(scope)


_READ = sa.select(CacheGeneration.__table__.c.counter).where(
    CacheGeneration.__table__.c.scope == sa.bindparam("scope"))


def generation(scope: str) -> int:
    # Core on the session's connection: this runs on every cached request, and the ORM's
    # statement handling would cost more than the read itself.
    return db.session.connection().execute(_READ, {"scope": scope}).scalar() or 0


def _cacheable() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)


def _key(scope: str) -> str:
    return "|".join((
        "page", scope, str(generation(scope)), timeutil.today_local().isoformat(),
        str(session.get("lang", "")), "care" if session.get("care") else "",
        request.host, request.full_path))


def cached(scope: str) -> Callable[[F], F]:
    """Serve a view's successful responses from the cache of ``scope`` (see the module)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _cacheable():
                return view(*args, **kwargs)
            key = _key(scope)
            hit = cache.get(key)
            if hit is not None:
                return _replay(*hit)
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code == 200 and not response.direct_passthrough:
                cache.set(key, _record(response))
            return response

        return wrapper  # type: ignore[return-value]

    return decorate


def _record(response: Response) -> tuple[int, list[tuple[str, str]], bytes, bool]:
    body = response.get_data()
    token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
    has_token = bool(token) and token.encode() in body
    if has_token:
        body = body.replace(token.encode(), _TOKEN_MARK.encode())
    headers = [(k, v) for k, v in response.headers.items() if k.lower() not in _SKIPPED_HEADERS]
    return response.status_code, headers, body, has_token


def _replay(status: int, headers: list[tuple[str, str]], body: bytes, has_token: bool
            ) -> Response:
    if has_token:
        body = body.replace(_TOKEN_MARK.encode(), generate_csrf().encode())
    return Response(body, status=status, headers=headers)
