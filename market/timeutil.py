"""The only place that reads the clock.

Business times are aware UTC datetimes; tests move time with :func:`frozen`.  Working days are
dates in Asia/Shanghai and come from :mod:`market.domain.calendar`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_frozen: datetime | None = None
_offset = timedelta(0)


def now() -> datetime:
    """The current time, aware UTC, to the second (the log's times have whole seconds)."""
    if _frozen is not None:
        return _frozen
    return (datetime.now(UTC) + _offset).replace(microsecond=0)


def set_offset(ahead: timedelta) -> None:
    """Run this process's clock ``ahead`` of the real one (development's MARKET_CLOCK_OFFSET,
    set by ``create_app``; zero in production)."""
    global _offset
    if ahead < timedelta(0):
        raise ValueError("the clock only moves forward")
    _offset = ahead


def today_local() -> date:
    """Today's date in Asia/Shanghai, the date working days are counted in."""
    return now().astimezone(SHANGHAI).date()


@contextlib.contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze :func:`now` at ``at`` (aware) for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def advance(delta: timedelta) -> None:
    """Move a frozen clock forward (tests only)."""
    global _frozen
    if _frozen is None:
        raise RuntimeError("advance() needs a frozen clock")
    _frozen = _frozen + delta


def iso_z(dt: datetime) -> str:
    """The log's time format: ``2026-11-30T02:00:00Z``."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
