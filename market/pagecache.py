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

Scopes: ``directory`` (the directory, its API and the home page), ``records`` (an agency's
profile: ratings, credit inputs, complaint outcomes; with ``directory``) and ``selection`` (a
request's public notice; with ``directory`` for names).  A view may read several; its entry
is kept while none of them changed.  A page that time alone changes as well (a notice whose
sign-up closes, whose award lapses) names the moment with :func:`fresh_until`, and its entry
is not used from that moment on, so the first request after it renders (and advances) anew.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Response, current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from market import timeutil
from market.db import db
from market.extensions import cache

F = TypeVar("F", bound=Callable[..., Any])

DIRECTORY = "directory"  # what the public directory and its API show
RECORDS = "records"  # an agency's public record beyond the directory: ratings, credit inputs
SELECTION = "selection"  # selection requests and what their public notices show
_TRACKED: dict[type, set[str]] = {}
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
        _TRACKED.setdefault(model, set()).add(scope)


def _scopes_of(objects: Iterable[Any], session: Session, *, modified_only: bool) -> set[str]:
    found: set[str] = set()
    for obj in objects:
        scopes = _TRACKED.get(type(obj))
        if scopes and (not modified_only or session.is_modified(obj)):
            found |= scopes
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
        scopes = _TRACKED.get(mapper.class_)
        if scopes:
            state.session.info.setdefault(_PENDING, set()).update(scopes)


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
    # No row yet (a scope's first change, or a database made by create_all): insert it, and
    # if a concurrent transaction inserted it first, count on its row.
    if done.rowcount == 0:  # type: ignore[attr-defined]
        insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
                  else sqlite.insert)(table)
        session.execute(insert.values(scope=scope, counter=1).on_conflict_do_update(
            index_elements=[table.c.scope], set_={"counter": table.c.counter + 1}))


def invalidate(scope: str = DIRECTORY) -> None:
    """Make ``scope`` stale when this transaction commits (for writes made with Core)."""
    db.session.info.setdefault(_PENDING, set()).add(scope)


_READ = sa.select(CacheGeneration.__table__.c.scope, CacheGeneration.__table__.c.counter).where(
    CacheGeneration.__table__.c.scope.in_(sa.bindparam("scopes", expanding=True)))


def generations(scopes: tuple[str, ...]) -> tuple[int, ...]:
    """The counters of ``scopes``, in one read."""
    # Core on the session's connection: this runs on every cached request, and the ORM's
    # statement handling would cost more than the read itself.
    found: dict[str, int] = dict(db.session.connection().execute(
        _READ, {"scopes": list(scopes)}).all())
    return tuple(found.get(scope, 0) for scope in scopes)


def generation(scope: str) -> int:
    return generations((scope,))[0]


def fresh_until(moment: datetime | None) -> None:
    """The response being rendered stays true only until ``moment`` (a deadline after which
    time alone changes what the page shows); ``None``: it may change any time, do not keep it.

    For views whose data changes by time passing as well as by writes; a cached copy is then
    used only before the earliest moment any call named."""
    if moment is None:
        g.pagecache_never = True
    elif g.get("pagecache_until") is None or moment < g.pagecache_until:
        g.pagecache_until = moment


def _cacheable() -> bool:
    return (request.method == "GET" and not current_user.is_authenticated
            and "_flashes" not in session)


def _key(scopes: tuple[str, ...]) -> str:
    versions = ",".join(f"{s}:{n}" for s, n in zip(scopes, generations(scopes), strict=True))
    return "|".join((
        "page", versions, timeutil.today_local().isoformat(),
        str(session.get("lang", "")), "care" if session.get("care") else "",
        request.host, request.full_path))


def cached(*scopes: str) -> Callable[[F], F]:
    """Serve a view's successful responses from the cache, kept while none of ``scopes`` has
    changed (see the module) and, if the view said so, until :func:`fresh_until`."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not _cacheable():
                return view(*args, **kwargs)
            key = _key(scopes)
            hit = cache.get(key)
            if hit is not None and (hit[0] is None or timeutil.now() < hit[0]):
                return _replay(*hit[1:])
            response = current_app.make_response(view(*args, **kwargs))
            if (response.status_code == 200 and not response.direct_passthrough
                    and not g.get("pagecache_never")):
                cache.set(key, (g.get("pagecache_until"), *_record(response)))
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
