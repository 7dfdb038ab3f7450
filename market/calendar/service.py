"""The calendar in force: the library's data overridden by the provincial operator's yearly
schedules (the national calendar), and for a tenant the local days (地方性节假日) of its chain —
the province's, its city's, its own — laid over it.  Cached per process by (database, tenant)
and rebuilt when the national revision or a counter of the chain moves.

Within a request the (stamp, calendar) of each tenant is read once: the first read is kept on
``flask.g`` for the session's transaction in progress (:func:`current_state`).  A change made
in this transaction (:func:`bump_revision`, :func:`bump_local_revision`) drops what was kept,
and so does the end of the transaction (its commit or rollback starts another), so a change
shows on the next read here and on the next request everywhere else, and a rolled-back one
leaves nothing behind.

A tenant's *stamp* is the national revision plus its chain's local revisions: every counter
only grows, so any change that concerns a tenant grows its stamp, and clocks store the stamp
they were folded under (:mod:`market.clocks.store`)."""

from __future__ import annotations

import functools
import threading
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import g, has_request_context
from sqlalchemy.orm import selectinload

from market.accounts.models import Division
from market.calendar.models import (
    CalendarLocalDay,
    CalendarLocalRevision,
    CalendarRevision,
    CalendarYear,
)
from market.db import db
from market.domain.calendar import WorkingCalendar, YearSchedule

_lock = threading.Lock()
_cache: dict[tuple[str, int | None], tuple[tuple[int, int], WorkingCalendar]] = {}
State = tuple[int, WorkingCalendar]  # (stamp, calendar)
_Kept = dict[tuple[str, int | None], State]


@functools.lru_cache(maxsize=8)
def national_calendar(schedules: tuple[YearSchedule, ...]) -> WorkingCalendar:
    """The national calendar of these schedules (by year).  A pure function of them, built once
    per process for each set: a new database, or one whose revision moved while its schedules
    came back to a set seen before, shares the calendar instead of building its century of days
    again (some 40 ms of CPU)."""
    return WorkingCalendar.build(schedules)


def revision() -> int:
    """The revision counter of the calendar in force (0 before any operator change)."""
    return db.session.scalar(_NATIONAL) or 0


def stored_schedules() -> list[YearSchedule]:
    rows = db.session.scalars(sa.select(CalendarYear).options(selectinload(CalendarYear.days)))
    return [
        YearSchedule(
            row.year,
            frozenset(d.day for d in row.days if not d.working),
            frozenset(d.day for d in row.days if d.working),
            row.confirmed,
            row.source,
        )
        for row in rows
    ]


def chain(division_id: int | None) -> list[int]:
    """The division and those above it (a county's city, the province): whose local days
    reach it.  Empty for None (the national calendar)."""
    out: list[int] = []
    current = division_id
    while current is not None and current not in out:
        out.append(current)
        current = db.session.scalar(sa.select(Division.parent_id).where(Division.id == current))
    return out


def _revisions(tenant_id: int | None) -> tuple[int, int]:
    """(national revision, sum of the chain's local revisions) in one query."""
    if tenant_id is None:
        return db.session.scalar(_NATIONAL) or 0, 0
    row = db.session.execute(_CHAIN, {"tenant": tenant_id}).one()
    return row[0] or 0, int(row[1] or 0)


def _chain_revisions() -> sa.Select[Any]:
    national = sa.select(CalendarRevision.revision).where(
        CalendarRevision.id == 1).scalar_subquery()
    tenant = sa.bindparam("tenant", type_=sa.Integer)
    # province, city, county: the tree has three levels, so two parents at most
    parent = sa.select(Division.parent_id).where(Division.id == tenant).scalar_subquery()
    grand = sa.select(Division.parent_id).where(Division.id == parent).scalar_subquery()
    local = sa.select(sa.func.coalesce(sa.func.sum(CalendarLocalRevision.revision), 0)).where(
        sa.or_(CalendarLocalRevision.division_id == tenant,
               CalendarLocalRevision.division_id == parent,
               CalendarLocalRevision.division_id == grand)).scalar_subquery()
    return sa.select(national, local)


# Read on every dashboard and deadline: built once (building a statement, and its cache key,
# cost more than running these)
_NATIONAL = sa.select(CalendarRevision.revision).where(CalendarRevision.id == 1)
_CHAIN = _chain_revisions()
_WITH_LOCAL_DAYS = sa.select(CalendarLocalRevision.division_id).where(
    CalendarLocalRevision.revision > 0)


def stamp(tenant_id: int | None = None) -> int:
    """The revision a clock of ``tenant_id`` is folded under (the module docstring)."""
    national, local = _revisions(tenant_id)
    return national + local


def local_days(tenant_id: int | None) -> list[CalendarLocalDay]:
    """The local days that reach ``tenant_id`` (its chain's), by day; a lower division's entry
    for a day wins over a higher one's (the county's own regulation over its city's)."""
    ids = chain(tenant_id)
    if not ids:
        return []
    rank = {d: n for n, d in enumerate(ids)}
    best: dict[date, CalendarLocalDay] = {}
    for row in db.session.scalars(sa.select(CalendarLocalDay).where(
            CalendarLocalDay.division_id.in_(ids))):
        held = best.get(row.day)
        if held is None or rank[row.division_id] < rank[held.division_id]:
            best[row.day] = row
    return [best[d] for d in sorted(best)]


def current_calendar(tenant_id: int | None = None) -> WorkingCalendar:
    """The calendar in force for this database: the national one (``tenant_id`` None: a
    matter of no tenant), or a tenant's with the local days of its chain (one cheap query
    when nothing changed)."""
    return current_state(tenant_id)[1]


def current_state(tenant_id: int | None = None) -> State:
    """(stamp, the calendar in force) of ``tenant_id`` from one read of the revisions.  The
    calendar is built after that read: if an operator saves in between, it is the newer one,
    and rows stamped with the stamp read are merely refolded once more.  In a request, read
    once per tenant and transaction (the module docstring)."""
    key = (str(db.engine.url), tenant_id)
    kept = _kept()
    if kept is not None and key in kept:
        return kept[key]
    state = _read_state(key, tenant_id)
    kept = _kept(start=True)
    if kept is not None:
        kept[key] = state
    return state


_KEPT = "_calendar_states"


def _kept(*, start: bool = False) -> _Kept | None:
    """The states read in this request's transaction in progress (None outside a request or
    transaction; with ``start``, an empty dict for the transaction just begun)."""
    if not has_request_context():
        return None
    transaction = db.session().get_transaction()
    if transaction is None:
        return None
    held: tuple[Any, _Kept] | None = g.get(_KEPT)
    if held is not None and held[0] is transaction:
        return held[1]
    if not start:
        return None
    states: _Kept = {}
    setattr(g, _KEPT, (transaction, states))
    return states


def _forget() -> None:
    """Drop the states kept for this request (a change of the calendar in this transaction)."""
    if has_request_context():
        g.pop(_KEPT, None)


def _read_state(key: tuple[str, int | None], tenant_id: int | None) -> State:
    revisions = _revisions(tenant_id)
    cached = _cache.get(key)
    if cached is not None and cached[0] == revisions:
        return sum(revisions), cached[1]
    national = None if tenant_id is None else current_state(None)[1]
    with _lock:
        if national is None:
            calendar = national_calendar(tuple(sorted(stored_schedules(),
                                                      key=lambda s: s.year)))
        else:
            days = local_days(tenant_id)
            calendar = national.overlay(rest=[d.day for d in days if not d.working],
                                        work=[d.day for d in days if d.working])
        _cache[key] = (revisions, calendar)
    return sum(revisions), calendar


def local_revision(division_id: int) -> int:
    return db.session.scalar(sa.select(CalendarLocalRevision.revision).where(
        CalendarLocalRevision.division_id == division_id)) or 0


def bump_local_revision(division_id: int) -> None:
    """Called in the same transaction as a change of ``division_id``'s local days."""
    _forget()
    row = db.session.get(CalendarLocalRevision, division_id)
    if row is None:
        db.session.add(CalendarLocalRevision(division_id=division_id, revision=1))
    else:
        row.revision = row.revision + 1


def divisions_with_local_days() -> set[int]:
    """The divisions whose counter ever moved (a tenant below one may count differently)."""
    return set(db.session.scalars(_WITH_LOCAL_DAYS))


def bump_revision() -> None:
    """Called in the same transaction as a schedule change."""
    _forget()
    row = db.session.get(CalendarRevision, 1)
    if row is None:
        db.session.add(CalendarRevision(id=1, revision=1))
    else:
        row.revision = row.revision + 1


def changed_days(old: WorkingCalendar, new: WorkingCalendar) -> tuple[date, date] | None:
    """The first and last day whose working status differs between two calendars (over the
    years both cover), or None."""
    first = date(max(old.first_year, new.first_year), 1, 1)
    last = date(min(old.last_year, new.last_year), 12, 31)
    changed = [d for d in (first + timedelta(i) for i in range((last - first).days + 1))
               if old.is_working_day(d) != new.is_working_day(d)]
    return (changed[0], changed[-1]) if changed else None
