"""The calendar in force: the library's data overridden by operators' schedules, cached per
process and rebuilt when an operator changes a year (a revision counter says when)."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from market.calendar.models import CalendarRevision, CalendarYear
from market.db import db
from market.domain.calendar import WorkingCalendar, YearSchedule

_lock = threading.Lock()
_cache: dict[str, tuple[int, WorkingCalendar]] = {}


def revision() -> int:
    """The revision counter of the calendar in force (0 before any operator change)."""
    return db.session.scalar(sa.select(CalendarRevision.revision).where(CalendarRevision.id == 1)) or 0


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


def current_calendar() -> WorkingCalendar:
    """The calendar in force for this database (one cheap query when nothing changed)."""
    return current_state()[1]


def current_state() -> tuple[int, WorkingCalendar]:
    """(revision, the calendar in force) from one read of the revision.  The calendar is
    built after that read: if an operator saves a year in between, it is the newer one, and
    rows stamped with the revision read are merely refolded once more."""
    key = str(db.engine.url)
    revision_now = revision()
    cached = _cache.get(key)
    if cached is not None and cached[0] == revision_now:
        return cached
    with _lock:
        calendar = WorkingCalendar.build(stored_schedules())
        _cache[key] = (revision_now, calendar)
    return revision_now, calendar


def bump_revision() -> None:
    """Called in the same transaction as a schedule change."""
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
