"""Stored clocks (时限): each clock is its logged events plus the fold of them.

The events (:class:`ClockEntry` rows) are the record; what a clock shows is
:func:`market.domain.clock.clock_view` of them at ``now``.  The :class:`Clock` row also keeps the
running totals of :class:`market.domain.clock.ClockTally` — updated only when an event is
written, never by time passing — so a clock is shown with one
:func:`~market.domain.clock.finish` instead of replaying its log.  The tests check that both
ways agree.

Two more columns let SQL sort and classify open clocks without computing any view (see
:mod:`market.clocks.board`): ``paused_days`` (closed paused working days, the sum of
``paused_by_reason``) and ``due_date`` = ``add_working_days(start_date, limit + extensions +
paused_days)``.  For a running clock this is the due date its view shows, and it does not move
with time; for a paused clock it is the due date had it resumed on ``since`` (the view's due
date is that plus the working days paused since).  Everything stored depends on the calendar,
so ``calendar_revision`` records the calendar revision it was folded under: a row with another
revision (or none, e.g. after migration 0010) is *stale* and is refolded from its events —
in bulk before the dashboards query, after an operator saves a year
(:func:`refresh_after_calendar_change`), in memory by :func:`view`, and before
:func:`record` steps it.  The stored columns are thus a cache of (events, calendar), never a
record of their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Division
from market.calendar import service as calendars
from market.calendar.service import current_calendar, current_state, stored_schedules
from market.clocks.models import Clock, ClockEntry, ClockKind, PauseReason
from market.db import db, lock_row
from market.domain.calendar import WorkingCalendar
from market.domain.clock import (
    ClockEvent,
    ClockTally,
    ClockView,
    Extend,
    Pause,
    Resume,
    Start,
    Stop,
    clock_view,
    event_from_record,
    finish,
    step,
)
from market.settings import service as settings

__all__ = ["Clock", "ClockEntry", "ClockKind", "PauseReason"]  # with the functions below

_KIND_OF = {Start: "start", Pause: "pause", Resume: "resume", Extend: "extend", Stop: "stop"}


def calendar(tenant_id: int | None = None) -> WorkingCalendar:
    """The calendar a clock of ``tenant_id`` counts in (the national one for None)."""
    return current_calendar(tenant_id)


def calendar_revision(tenant_id: int | None = None) -> int:
    """The stamp of ``tenant_id``'s calendar in force (0 before any operator change): the
    national revision plus its chain's local revisions (:mod:`market.calendar.service`)."""
    return calendars.stamp(tenant_id)


def calendar_state(tenant_id: int | None = None) -> tuple[int, WorkingCalendar]:
    """(stamp, calendar) of ``tenant_id``.  The stamp is read first: if an operator saves in
    between, the calendar is the newer one and rows stamped with this stamp are merely
    refolded once more, never wrongly taken as fresh."""
    return current_state(tenant_id)


def local_tenants() -> list[int]:
    """The divisions whose calendar differs from the national one by construction: those
    with local days of their own or above them (a county under a city that has some)."""
    own = calendars.divisions_with_local_days()
    if not own:
        return []
    parent = sa.orm.aliased(Division)
    return list(db.session.scalars(
        sa.select(Division.id).outerjoin(parent, parent.id == Division.parent_id).where(
            sa.or_(Division.id.in_(own), Division.parent_id.in_(own),
                   parent.parent_id.in_(own)))))


def local_calendars() -> dict[int, WorkingCalendar]:
    """{tenant: its calendar} for the :func:`local_tenants` (every other counts in the
    national one): what a list of many tenants' clocks needs."""
    return {t: calendar(t) for t in local_tenants()}


def cached_due(tally: ClockTally, limit: int, cal: WorkingCalendar) -> tuple[date | None, int]:
    """(due_date, paused_days) stored with ``tally`` (see the module docstring)."""
    paused = sum(tally.paused_by_reason.values())
    if tally.start_date is None:
        return None, paused
    return cal.add_working_days(tally.start_date, limit + tally.extensions + paused), paused


def fold(events: Iterable[ClockEvent], cal: WorkingCalendar) -> ClockTally:
    """The tally of an event log (what :func:`record` stores, one :func:`step` at a time)."""
    tally = ClockTally()
    for event in events:
        tally = step(tally, event, cal)
    return tally


def stored_values(tally: ClockTally, limit: int, cal: WorkingCalendar,
                  revision: int) -> dict[str, Any]:
    """The :class:`Clock` columns that cache ``tally`` under calendar ``revision``."""
    due, paused = cached_due(tally, limit, cal)
    return {"phase": tally.phase, "last_at": tally.last_at, "start_date": tally.start_date,
            "since": tally.since, "pause_reason": tally.pause_reason, "used": tally.used,
            "paused_by_reason": dict(tally.paused_by_reason), "extensions": tally.extensions,
            "stop_date": tally.stop_date, "paused_days": paused, "due_date": due,
            "calendar_revision": revision}


def is_fresh(clock: Clock, revision: int) -> bool:
    """Whether the stored fold was computed under calendar ``revision`` (an idle clock has
    nothing that depends on the calendar)."""
    return clock.phase == "idle" or clock.calendar_revision == revision


def warning_days(tenant: int | None = None, at: datetime | None = None) -> int:
    """The warning lead time (时限预警提前量) of ``tenant`` (None: the province's) in force
    at ``at`` (now).  The settings are read once per request, so a list calls this per row."""
    return settings.effective("CLOCK_WARNING_DAYS", at, tenant)


def warning_overrides(at: datetime | None = None) -> tuple[int, dict[int, int]]:
    """(the province's lead time, {tenant: its own where it differs}) in force at ``at``: what
    a list that classifies clocks in SQL needs, from the one read of the setting."""
    base = warning_days(None, at)
    own = {t: warning_days(t, at) for t in settings.tenants_with_own("CLOCK_WARNING_DAYS")}
    return base, {t: w for t, w in own.items() if w != base}


def new_clock(kind: ClockKind, limit_days: int, *, engagement_id: int | None = None,
              case_id: int | None = None, tenant_id: int | None = None) -> Clock:
    """A clock not yet started, of ``tenant_id`` (the engagement's request's tenant, the
    case's owner's)."""
    clock = Clock(kind=kind.value, limit_days=limit_days, engagement_id=engagement_id,
                  case_id=case_id, tenant_id=tenant_id, created_at=timeutil.now(), phase="idle",
                  used=0, paused_by_reason={}, extensions=0)
    db.session.add(clock)
    db.session.flush()
    return clock


def _at(clock: Clock) -> datetime:
    """Now, or one second after the clock's last event: two events of one clock in the same
    second (a quick double action, a frozen test clock) keep their order."""
    now = timeutil.now()
    if clock.last_at is not None and now <= clock.last_at:
        return clock.last_at + timedelta(seconds=1)
    return now


def record(clock: Clock, kind: str, *, reason: str | None = None, days: int | None = None,
           note: str = "", by_user_id: int | None = None,
           at: datetime | None = None) -> ClockEntry:
    """Log one event on ``clock`` (locked first) and update its tally.  Raises
    :class:`market.domain.clock.ClockError` (nothing written) for an impossible event.
    ``at`` (default now) is for events that happened earlier, e.g. a signing clock that
    starts at the award's confirmation."""
    clock = lock_row(Clock, clock.id)
    at = at if at is not None else _at(clock)
    event = event_from_record(kind, at, reason, days)
    revision, cal = calendar_state(clock.tenant_id)
    before = (clock.tally() if is_fresh(clock, revision)
              else fold((e.event() for e in entries(clock)), cal))
    tally = step(before, event, cal)
    seq = (db.session.scalar(sa.select(sa.func.max(ClockEntry.seq)).where(
        ClockEntry.clock_id == clock.id)) or 0) + 1
    entry = ClockEntry(clock_id=clock.id, seq=seq, kind=kind, at=at, reason=reason, days=days,
                       note=note[:500], by_user_id=by_user_id)
    db.session.add(entry)
    for name, value in stored_values(tally, clock.limit_days, cal, revision).items():
        setattr(clock, name, value)
    db.session.flush()
    return entry


def entries(clock: Clock) -> list[ClockEntry]:
    return list(db.session.scalars(sa.select(ClockEntry).where(
        ClockEntry.clock_id == clock.id).order_by(ClockEntry.seq)))


def view(clock: Clock, now: datetime | None = None,
         cal: WorkingCalendar | None = None, revision: int | None = None) -> ClockView:
    """What the clock shows at ``now`` (default: now), from its tally (refolded from the
    events, without writing, if it was stored under another calendar).  A caller showing many
    clocks passes the ``revision`` and ``cal`` of :func:`calendar_state` of the clock's
    tenant, read once per tenant; without both, they are read here."""
    now = now or timeutil.now()
    now = max(now, clock.last_at) if clock.last_at is not None else now
    if revision is None or cal is None:
        revision, cal = calendar_state(clock.tenant_id)
    tally = (clock.tally() if is_fresh(clock, revision)
             else fold((e.event() for e in entries(clock)), cal))
    return finish(tally, clock.limit_days, cal, now, warning_days(clock.tenant_id))


def view_many(shown: Iterable[Clock], now: datetime | None = None) -> dict[int, ClockView]:
    """{clock id: :func:`view`} for a list of clocks, each tenant's calendar read once."""
    now = now or timeutil.now()
    states: dict[int | None, tuple[int, WorkingCalendar]] = {}
    out = {}
    for clock in shown:
        if clock.tenant_id not in states:
            states[clock.tenant_id] = calendar_state(clock.tenant_id)
        revision, cal = states[clock.tenant_id]
        out[clock.id] = view(clock, now, cal, revision)
    return out


def replay(clock: Clock, now: datetime | None = None) -> ClockView:
    """The same view, replaying the whole event log (the record; used by tests and audits)."""
    events = [e.event() for e in entries(clock)]
    return clock_view(events, clock.limit_days, calendar(clock.tenant_id), now or timeutil.now(),
                      warning_days(clock.tenant_id))


def tally_from_row(row: Any) -> ClockTally:
    """A tally from a plain result row with the :class:`Clock` columns (bulk lists)."""
    return ClockTally(phase=row.phase, last_at=row.last_at, start_date=row.start_date,
                      since=row.since, pause_reason=row.pause_reason, used=row.used,
                      paused_by_reason=row.paused_by_reason or {}, extensions=row.extensions,
                      stop_date=row.stop_date)


# -- keeping the cache fresh --------------------------------------------------------------------

OPEN = ("running", "paused")


def refresh(ids: Sequence[int], revision: int, cal: WorkingCalendar) -> int:
    """Refold the clocks ``ids`` from their events under ``cal`` and store the result stamped
    with ``revision``.  Returns how many were rewritten."""
    if not ids:
        return 0
    db.session.flush()
    done = 0
    for start in range(0, len(ids), 500):
        chunk = list(ids[start:start + 500])
        limits = {r.id: r.limit_days for r in db.session.execute(
            sa.select(Clock.id, Clock.limit_days).where(Clock.id.in_(chunk)))}
        logs: dict[int, list[ClockEvent]] = {i: [] for i in limits}
        for r in db.session.execute(
                sa.select(ClockEntry.clock_id, ClockEntry.kind, ClockEntry.at, ClockEntry.reason,
                          ClockEntry.days)
                .where(ClockEntry.clock_id.in_(chunk))
                .order_by(ClockEntry.clock_id, ClockEntry.seq)):
            logs[r.clock_id].append(event_from_record(r.kind, r.at, r.reason, r.days))
        values = [{"id": i, **stored_values(fold(log, cal), limits[i], cal, revision)}
                  for i, log in logs.items()]
        db.session.execute(sa.update(Clock), values)
        done += len(values)
    wanted = set(ids)
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, Clock) and obj.id in wanted:
            db.session.expire(obj)
    return done


def _stale_open(expected: Any) -> sa.Select[Any]:
    """The open clocks not stored under ``expected`` (their tenant's stamp)."""
    # != and the phase test written so that SQLite answers from ix_clock_calendar_revision
    # (normally an empty range) rather than walking every open clock through a phase index
    q: sa.Select[Any] = sa.select(Clock.id, Clock.tenant_id)  # type: ignore[assignment]
    return q.where(
        sa.or_(Clock.calendar_revision.is_(None), Clock.calendar_revision < expected,
               Clock.calendar_revision > expected),
        Clock.phase.concat("").in_(OPEN))


_STALE_OPEN = _stale_open(sa.bindparam("expected", type_=sa.Integer))


def refresh_stale_open() -> tuple[int, WorkingCalendar]:
    """Refold the open clocks stored under another stamp than their tenant's (or none);
    return the national (revision, calendar)."""
    revision, cal, _local = refresh_stale_open_local()
    return revision, cal


def refresh_stale_open_local() -> tuple[int, WorkingCalendar, dict[int, WorkingCalendar]]:
    """:func:`refresh_stale_open`, also returning {tenant: its calendar} of the
    :func:`local_tenants` (every other tenant counts in the national one).  One indexed query
    when nothing is stale, besides the one that finds no division with local days."""
    revision, cal = calendar_state()
    local = {t: calendar_state(t) for t in local_tenants()}
    if local:
        expected = sa.case({t: st for t, (st, _) in local.items()}, value=Clock.tenant_id,
                           else_=revision)
        stale = db.session.execute(_stale_open(expected)).all()
    else:  # the usual case: one stamp for every clock, the statement built once
        stale = db.session.execute(_STALE_OPEN, {"expected": revision}).all()
    groups: dict[int | None, list[int]] = {}
    for clock_id, tenant in stale:
        groups.setdefault(tenant if tenant in local else None, []).append(clock_id)
    for tenant, ids in groups.items():
        st, tenant_cal = local[tenant] if tenant is not None else (revision, cal)
        refresh(ids, st, tenant_cal)
    return revision, cal, {t: c for t, (_st, c) in local.items()}


def refresh_after_calendar_change(previous_revision: int,
                                  changed: tuple[date, date] | None,
                                  division_id: int | None = None,
                                  previous_local: int = 0) -> int:
    """After a schedule change (same transaction, counter already bumped): the national one
    (``division_id`` None, the national revision was ``previous_revision``), or the local days
    of ``division_id`` (its counter was ``previous_local``; only the clocks of it and the
    tenants under it are touched).  Per tenant concerned: refold the clocks whose stored fold
    or due date spans a day whose working status changed (the days ``changed`` = (first, last)
    span, if any), and any stale ones; restamp the others stored under the tenant's previous
    stamp.  The new calendars are built here, not taken from the process cache, so a
    rolled-back change never leaves a cached calendar behind.  Returns how many clocks were
    refolded."""
    db.session.flush()
    national = WorkingCalendar.build(stored_schedules())
    started = Clock.phase != "idle"
    if division_id is None:
        delta = calendars.stamp() - previous_revision
        tenants: list[int | None] = list(db.session.scalars(
            sa.select(Clock.tenant_id).where(started).distinct()))
    else:
        delta = calendars.local_revision(division_id) - previous_local
        child = sa.select(Division.id).where(Division.parent_id == division_id)
        tenants = list(db.session.scalars(sa.select(Division.id).where(sa.or_(
            Division.id == division_id, Division.id.in_(child),
            Division.parent_id.in_(child)))))
    local = set(local_tenants())
    done = 0
    for tenant in tenants:
        new_stamp = calendars.stamp(tenant)
        previous = new_stamp - delta
        cal = national
        if tenant in local:
            days = calendars.local_days(tenant)
            cal = national.overlay(rest=[d.day for d in days if not d.working],
                                   work=[d.day for d in days if d.working])
        mine = Clock.tenant_id.is_(None) if tenant is None else Clock.tenant_id == tenant
        stale = sa.or_(Clock.calendar_revision.is_(None), Clock.calendar_revision != previous)
        where: Any = sa.and_(started, mine, stale)
        if changed:
            lo, hi = changed
            # what is stored depends on the calendar over (start_date, max(since|stop_date, due)]
            spans = sa.and_(Clock.start_date < hi, sa.or_(
                Clock.due_date >= lo, Clock.since >= lo, Clock.stop_date >= lo))
            where = sa.and_(started, mine, sa.or_(stale, spans))
        ids = list(db.session.scalars(sa.select(Clock.id).where(where)))
        done += refresh(ids, new_stamp, cal)
        db.session.execute(sa.update(Clock).where(mine, Clock.calendar_revision == previous)
                           .values(calendar_revision=new_stamp))
    return done
