"""Clocks (时限) as a pure function of (events, calendar, now).

A clock never ticks: it is a logged list of events, and everything shown (used, remaining,
due date, state) is recomputed from them. The same code serves the agency's service clock and
the approval case's clock.

Events (defined in :mod:`market.domain.clock_events`, re-exported here): :class:`Start`,
:class:`Pause` (with a reason such as waiting for the owner's materials), :class:`Resume`,
:class:`Extend` (granted working days, with a reason) and :class:`Stop`.

Counting rules (all in working days on Asia/Shanghai dates, start day not counted):

* A segment from local date ``a`` to local date ``b`` covers the working days in (a, b]. So the
  day a clock starts is free, a day on which it is paused still counts as running, and the day
  it resumes counts as paused: the clock restarts the next day, as a period restarts the day
  after materials arrive.
* ``used`` is the sum of running segments; ``paused_days`` the sum of paused ones; together
  they equal the working days in (start date, end date], where the end date is the stop date,
  or today.
* ``due_date = add_working_days(start date, limit + extensions + paused_days)``. While paused
  the due date is the one that would apply if the clock resumed today, so it moves on by one
  every paused working day.
* ``remaining = limit + extensions - used``: the working days after today up to and including
  the due date. It goes negative once the clock runs past its due date (``overdue_by`` is its
  opposite, never negative).
* ``late`` is ``end date > due_date``: a deliverable accepted on its due date is on time.

State, first match wins: ``not_started`` (no start at or before ``now``), ``stopped``,
``paused``, ``overdue`` (late), ``warning`` (``remaining <= warning_days``; ``remaining`` is
then between 0 and ``warning_days``: 0 means due today), ``normal``.

Events later than ``now`` are ignored, so a view "as of" any past moment is the same call with
an earlier ``now``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Final, Literal, TypeAlias

from market.domain.calendar import WorkingCalendar, local_date
from market.domain.clock_events import (
    RUNNING,
    ClockError,
    ClockEvent,
    Extend,
    Pause,
    Phase,
    Resume,
    Segment,
    Start,
    Stop,
    check_aware,
    event_from_record,
    segments,
    transition,
    validate_events,
)

__all__ = [
    "DEFAULT_WARNING_DAYS",
    "RUNNING",
    "ClockError",
    "ClockEvent",
    "ClockStateName",
    "ClockTally",
    "ClockView",
    "Extend",
    "Pause",
    "Resume",
    "Segment",
    "Start",
    "Stop",
    "clock_view",
    "event_from_record",
    "finish",
    "segments",
    "step",
    "validate_events",
]

DEFAULT_WARNING_DAYS: Final = 2

ClockStateName: TypeAlias = Literal[
    "not_started", "normal", "warning", "overdue", "paused", "stopped"
]


@dataclass(frozen=True)
class ClockView:
    """What a clock shows at ``now``; see the module docstring for every rule."""

    limit: int
    extensions: int
    used: int
    paused_days: int
    remaining: int
    overdue_by: int
    due_date: date | None
    state: ClockStateName
    paused: bool
    late: bool
    provisional: bool
    start_date: date | None
    end_date: date | None
    elapsed_by_reason: dict[str, int] = field(default_factory=dict)


def _check_settings(limit: int, warning_days: int, now: datetime) -> None:
    check_aware(now)
    if limit < 0:
        raise ClockError("bad_limit", "a limit is a number of working days >= 0")
    if warning_days < 0:
        raise ClockError("bad_warning_days", "warning_days must be >= 0")


def _not_started(limit: int) -> ClockView:
    return ClockView(
        limit=limit,
        extensions=0,
        used=0,
        paused_days=0,
        remaining=limit,
        overdue_by=0,
        due_date=None,
        state="not_started",
        paused=False,
        late=False,
        provisional=False,
        start_date=None,
        end_date=None,
        elapsed_by_reason={RUNNING: 0},
    )


def _assemble(
    *,
    limit: int,
    extensions: int,
    used: int,
    paused_by_reason: Mapping[str, int],
    start_date: date | None,
    end_date: date,
    phase: Phase,
    calendar: WorkingCalendar,
    warning_days: int,
) -> ClockView:
    if start_date is None:
        return _not_started(limit)
    paused_days = sum(paused_by_reason.values())
    due, due_provisional = calendar.add_with_flag(start_date, limit + extensions + paused_days)
    remaining = limit + extensions - used
    late = end_date > due
    state: ClockStateName
    if phase == "stopped":
        state = "stopped"
    elif phase == "paused":
        state = "paused"
    elif late:
        state = "overdue"
    elif remaining <= warning_days:
        state = "warning"
    else:
        state = "normal"
    return ClockView(
        limit=limit,
        extensions=extensions,
        used=used,
        paused_days=paused_days,
        remaining=remaining,
        overdue_by=max(0, -remaining),
        due_date=due,
        state=state,
        paused=phase == "paused",
        late=late,
        provisional=due_provisional or calendar.span_provisional(start_date, end_date),
        start_date=start_date,
        end_date=end_date,
        elapsed_by_reason={RUNNING: used, **paused_by_reason},
    )


def clock_view(
    events: Sequence[ClockEvent],
    limit: int,
    calendar: WorkingCalendar,
    now: datetime,
    warning_days: int = DEFAULT_WARNING_DAYS,
) -> ClockView:
    """Compute a clock's view at ``now`` from its whole event list.

    ``limit`` is in working days, ``warning_days`` is the region's setting. Raises
    :class:`ClockError` for an impossible history, a naive time or a negative setting.
    """
    _check_settings(limit, warning_days, now)
    segs = segments(events, now)
    paused_by_reason: dict[str, int] = {}
    for s in segs:
        days = calendar.working_days_between(local_date(s.start), local_date(s.end))
        paused_by_reason[s.reason] = paused_by_reason.get(s.reason, 0) + days
    used = paused_by_reason.pop(RUNNING, 0)
    seen = [e for e in events if e.at <= now]
    phase: Phase
    if not seen:
        phase = "idle"
    elif isinstance(seen[-1], Stop):
        phase = "stopped"
    else:
        phase = segs[-1].kind  # the open segment
    return _assemble(
        limit=limit,
        extensions=sum(e.days for e in seen if isinstance(e, Extend)),
        used=used,
        paused_by_reason=paused_by_reason,
        start_date=local_date(seen[0].at) if seen else None,
        end_date=local_date(seen[-1].at) if phase == "stopped" else local_date(now),
        phase=phase,
        calendar=calendar,
        warning_days=warning_days,
    )


# -- incremental form ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockTally:
    """The running totals after some events: a fold over the log, one :func:`step` at a time.

    Lets a caller keep totals up to date as events arrive instead of replaying the log;
    :func:`finish` turns a tally into the same :class:`ClockView` as :func:`clock_view`.
    """

    phase: Phase = "idle"
    last_at: datetime | None = None
    start_date: date | None = None
    since: date | None = None  # local date the open segment began
    pause_reason: str | None = None
    used: int = 0
    paused_by_reason: Mapping[str, int] = field(default_factory=dict)
    extensions: int = 0
    stop_date: date | None = None


def _close(tally: ClockTally, until: date, calendar: WorkingCalendar) -> tuple[int, dict[str, int]]:
    """Return (used, paused_by_reason) with the open segment closed at ``until``."""
    used, paused = tally.used, dict(tally.paused_by_reason)
    if tally.since is None:
        return used, paused
    days = calendar.working_days_between(tally.since, until)
    if tally.phase == "running":
        used += days
    elif tally.pause_reason is not None:
        paused[tally.pause_reason] = paused.get(tally.pause_reason, 0) + days
    return used, paused


def step(tally: ClockTally, event: ClockEvent, calendar: WorkingCalendar) -> ClockTally:
    """Return the tally after ``event``; raises :class:`ClockError` like :func:`validate_events`."""
    phase = transition(tally.phase, tally.last_at, event)
    day = local_date(event.at)
    if isinstance(event, Start):
        return ClockTally(phase, event.at, start_date=day, since=day)
    if isinstance(event, Extend):
        return replace(tally, last_at=event.at, extensions=tally.extensions + event.days)
    used, paused = _close(tally, day, calendar)
    return replace(
        tally,
        phase=phase,
        last_at=event.at,
        since=None if phase == "stopped" else day,
        pause_reason=event.reason if isinstance(event, Pause) else None,
        used=used,
        paused_by_reason=paused,
        stop_date=day if phase == "stopped" else None,
    )


def finish(
    tally: ClockTally,
    limit: int,
    calendar: WorkingCalendar,
    now: datetime,
    warning_days: int = DEFAULT_WARNING_DAYS,
) -> ClockView:
    """Turn a tally into the view at ``now`` (which must not precede the tally's last event)."""
    _check_settings(limit, warning_days, now)
    if tally.last_at is not None and tally.last_at > now:
        raise ClockError("before_last_event", "now precedes the last event of the tally")
    today = local_date(now)
    used, paused = _close(tally, today, calendar)
    return _assemble(
        limit=limit,
        extensions=tally.extensions,
        used=used,
        paused_by_reason=paused,
        start_date=tally.start_date,
        end_date=tally.stop_date or today,
        phase=tally.phase,
        calendar=calendar,
        warning_days=warning_days,
    )
