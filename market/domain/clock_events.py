"""Clock events (时限事件): what can happen to a clock, and which sequences are possible.

A clock's whole history is a list of these events; :mod:`market.domain.clock` turns the list
into what the clock shows. Validation lives here so that the batch computation, the
incremental fold and the code that records a new event all refuse the same sequences.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal, TypeAlias

RUNNING: Final = "running"

Phase: TypeAlias = Literal["idle", "running", "paused", "stopped"]


@dataclass(frozen=True)
class Start:
    """The clock starts (起算), e.g. at contract confirmation or at acceptance (受理)."""

    at: datetime


@dataclass(frozen=True)
class Pause:
    """The clock is suspended (暂停/挂起) for ``reason``, e.g. waiting on the owner."""

    at: datetime
    reason: str


@dataclass(frozen=True)
class Resume:
    """The clock runs again after a pause (恢复计时)."""

    at: datetime


@dataclass(frozen=True)
class Extend:
    """Extra working days granted (延期), with the reason; allowed while running or paused."""

    at: datetime
    days: int
    reason: str


@dataclass(frozen=True)
class Stop:
    """The clock ends (办结), e.g. at acceptance of the deliverable or a decision."""

    at: datetime


ClockEvent: TypeAlias = Start | Pause | Resume | Extend | Stop


class ClockError(ValueError):
    """An impossible event sequence. ``key`` is a stable code the app maps to a message."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def event_from_record(
    kind: str, at: datetime, reason: str | None = None, days: int | None = None
) -> ClockEvent:
    """Build an event from a stored row (``kind`` is start/pause/resume/extend/stop)."""
    if kind == "start":
        return Start(at)
    if kind == "pause":
        return Pause(at, reason or "")
    if kind == "resume":
        return Resume(at)
    if kind == "extend":
        return Extend(at, days if days is not None else 0, reason or "")
    if kind == "stop":
        return Stop(at)
    raise ClockError("unknown_event", f"unknown clock event kind {kind!r}")


def check_aware(dt: datetime) -> None:
    """Raise :class:`ClockError` for a naive datetime."""
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ClockError("naive_time", "clock times must be timezone-aware (UTC)")


def transition(phase: Phase, last_at: datetime | None, event: ClockEvent) -> Phase:
    """Return the phase after ``event`` (at ``last_at`` came the previous one) or raise
    :class:`ClockError` if it cannot happen. Call it before recording a new event."""
    check_aware(event.at)
    if phase == "stopped":
        raise ClockError("after_stop", "no event may follow a stop")
    if last_at is not None and event.at <= last_at:
        raise ClockError("not_increasing", "event times must be strictly increasing")
    if isinstance(event, Start):
        if phase != "idle":
            raise ClockError("already_started", "the clock has already started")
        return "running"
    if phase == "idle":
        raise ClockError("not_started", "the first event must be a start")
    if isinstance(event, Pause):
        if phase == "paused":
            raise ClockError("already_paused", "the clock is already paused")
        if not event.reason or event.reason == RUNNING:
            raise ClockError("bad_reason", f"a pause needs a reason other than {RUNNING!r}")
        return "paused"
    if isinstance(event, Resume):
        if phase != "paused":
            raise ClockError("not_paused", "only a paused clock can resume")
        return "running"
    if isinstance(event, Extend):
        # Zero days would log a grant that changes nothing; refuse it as well as negatives.
        if event.days < 1:
            raise ClockError("bad_extension", "an extension grants at least one working day")
        if not event.reason:
            raise ClockError("bad_reason", "an extension needs a reason")
        return phase
    return "stopped"


def validate_events(events: Iterable[ClockEvent]) -> None:
    """Raise :class:`ClockError` unless ``events`` form a possible history of one clock."""
    phase: Phase = "idle"
    last_at: datetime | None = None
    for event in events:
        phase = transition(phase, last_at, event)
        last_at = event.at


@dataclass(frozen=True)
class Segment:
    """A stretch of time the clock spent running, or paused for ``reason``.

    ``reason`` is :data:`RUNNING` for running segments, so time can be summed by reason alone.
    ``open`` segments are still going: their ``end`` is the ``now`` they were computed at.
    The project timeline adds these up by kind and reason.
    """

    kind: Literal["running", "paused"]
    reason: str
    start: datetime
    end: datetime
    open: bool


def segments(events: Sequence[ClockEvent], now: datetime) -> tuple[Segment, ...]:
    """Split a clock's life up to ``now`` into running and paused segments (validates)."""
    validate_events(events)
    check_aware(now)
    out: list[Segment] = []
    current: tuple[Literal["running", "paused"], str, datetime] | None = None
    for event in events:
        if event.at > now:
            break
        if isinstance(event, Extend):
            continue
        if current is not None:
            out.append(Segment(current[0], current[1], current[2], event.at, open=False))
            current = None
        if isinstance(event, Start | Resume):
            current = ("running", RUNNING, event.at)
        elif isinstance(event, Pause):
            current = ("paused", event.reason, event.at)
    if current is not None:
        out.append(Segment(current[0], current[1], current[2], now, open=True))
    return tuple(out)
