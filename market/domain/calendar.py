"""The mainland working-day calendar (工作日) and the local-date rule for business times.

Working days: Monday to Friday, minus statutory holidays, plus make-up working days (调休) that
fall on a weekend. Defaults come from the ``holidays`` package; an operator enters each year's
State Council notice as a :class:`YearSchedule`, which then replaces the library's data for
that year. A year without a *confirmed* schedule is **provisional**: dates computed across it
may still move when the notice is published, and the UI says so.

Counting follows Chinese administrative practice: the day on which something starts is not
counted (期间开始的当日不计算在期间内), so ``add_working_days(start, 1)`` is the first working day
after ``start``.

All answers come from a cumulative index built once per calendar, so adding and counting cost
a couple of list look-ups and a bisection rather than a walk over the days.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from importlib import metadata
from typing import Final, NamedTuple
from zoneinfo import ZoneInfo

from holidays.countries.china import China

SHANGHAI: Final = ZoneInfo("Asia/Shanghai")
DEFAULT_FIRST_YEAR: Final = 2000
DEFAULT_LAST_YEAR: Final = 2100
LIBRARY_SOURCE: Final = f"holidays {metadata.version('holidays')}"

_SATURDAY: Final = 5


def _fixed_offset_since(first_year: int, last_year: int) -> timedelta | None:
    """The zone's one offset from ``first_year`` to ``last_year``, if it has one (China has
    kept UTC+8 without summer time since 1991), checked on the zone's own data in January and
    July of every year; None if the data say otherwise."""
    offsets = {datetime(y, m, 1, 12, tzinfo=UTC).astimezone(SHANGHAI).utcoffset()
               for y in range(first_year, last_year + 1) for m in (1, 7)}
    return offsets.pop() if len(offsets) == 1 else None


# UTC years in which local dates take the zone's one offset (checked above)
_FAST_YEARS: Final = range(1992, DEFAULT_LAST_YEAR + 1)
_FIXED_OFFSET: Final = _fixed_offset_since(_FAST_YEARS[0], _FAST_YEARS[-1])


def local_date(dt: datetime) -> date:
    """Return the Asia/Shanghai calendar date of an aware datetime.

    Business times are stored as aware UTC datetimes; working days are counted on local dates.
    Naive datetimes are refused with ``ValueError`` because guessing their zone is how an
    8-hour error slips into a deadline.
    """
    # a project's timeline asks this of every clock event and claim: adding the zone's one
    # offset is several times cheaper than converting through the zone's transitions
    if dt.tzinfo is UTC and _FIXED_OFFSET is not None and dt.year in _FAST_YEARS:
        return (dt + _FIXED_OFFSET).date()
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError("naive datetime: business times must be timezone-aware (UTC)")
    return dt.astimezone(SHANGHAI).date()


def local_day_start(d: date) -> datetime:
    """Return the aware UTC instant at which local (Asia/Shanghai) day ``d`` begins."""
    return datetime.combine(d, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def _is_weekend(d: date) -> bool:
    return d.weekday() >= _SATURDAY


@dataclass(frozen=True)
class YearSchedule:
    """One year's holiday arrangement (节假日安排), as published by the State Council.

    ``days_off`` are the announced rest days (weekends inside a holiday block may be listed or
    not: it makes no difference); ``days_on`` are make-up working days (调休上班), normally
    weekends. A notice sometimes moves days across new year (the 2002 notice made 2001-12-29
    a working day), so dates may fall in December of the previous year or January of the next
    year as well as in ``year`` itself. ``confirmed`` is set once an operator has checked the
    days against the notice; ``source`` records where they came from (notice number, URL, or
    the library version).
    """

    year: int
    days_off: frozenset[date]
    days_on: frozenset[date]
    confirmed: bool
    source: str

    def __post_init__(self) -> None:
        clash = self.days_off & self.days_on
        if clash:
            raise ValueError(f"days both off and on: {sorted(clash)}")
        earliest = date(self.year - 1, 12, 1)
        latest = date(self.year + 1, 1, 31)
        for d in self.days_off | self.days_on:
            if not earliest <= d <= latest:
                raise ValueError(f"{d} is too far from the {self.year} schedule's year")


class DueDate(NamedTuple):
    """A computed date and whether an unconfirmed year lies on the way to it."""

    date: date
    provisional: bool


class WorkingDayCount(NamedTuple):
    """A number of working days and whether an unconfirmed year was counted in it."""

    days: int
    provisional: bool


def library_schedule(
    year: int, *, confirmed: bool = False, source: str = LIBRARY_SOURCE
) -> YearSchedule:
    """Return the ``holidays`` package's China data for ``year`` as a schedule.

    The operator screen uses this as the starting point for entering a notice: review it
    against the notice, correct it, and save it with ``confirmed=True``.
    """
    return replace(_library_schedules(year, year)[year], confirmed=confirmed, source=source)


@lru_cache(maxsize=8)
def _library_schedules(first_year: int, last_year: int) -> Mapping[int, YearSchedule]:
    # Cached: the library takes tens of milliseconds for a century and never changes in a
    # running process.
    # The library's constructor is untyped; its result is a typed HolidayBase.
    cn = China(years=range(first_year, last_year + 1))  # type: ignore[no-untyped-call]
    off: dict[int, set[date]] = {y: set() for y in range(first_year, last_year + 1)}
    on: dict[int, set[date]] = {y: set() for y in range(first_year, last_year + 1)}
    for d in cn:
        if d.year in off:
            off[d.year].add(d)
    # The library also records make-up days of neighbouring years; keep those of ours only.
    for d in cn.weekend_workdays:
        if d.year in on and d not in cn:
            on[d.year].add(d)
    return {
        y: YearSchedule(y, frozenset(off[y]), frozenset(on[y]), False, LIBRARY_SOURCE) for y in off
    }


@dataclass(frozen=True)
class WorkingCalendar:
    """The working-day calendar (工作日历) over a fixed range of years.

    Build it with :meth:`build`; schedules for years outside the range are ignored. Every
    query outside ``first_year``..``last_year`` raises ``ValueError``.
    """

    first_year: int
    last_year: int
    schedules: Mapping[int, YearSchedule]
    # _cum[i] is the number of working days strictly before day i of the range, so the count in
    # (a, b] is _cum[ib + 1] - _cum[ia + 1].
    _cum: tuple[int, ...] = field(repr=False, compare=False)
    _first_day: date = field(repr=False, compare=False)

    @classmethod
    def build(
        cls,
        schedules: Iterable[YearSchedule] = (),
        *,
        first_year: int = DEFAULT_FIRST_YEAR,
        last_year: int = DEFAULT_LAST_YEAR,
    ) -> WorkingCalendar:
        """Build a calendar from the library's data overridden by operator ``schedules``.

        A schedule replaces the library's data for its year. Days a schedule names in a
        neighbouring year are applied after that year's own data, as the later notice.
        Two schedules for the same year raise ``ValueError``.
        """
        if first_year > last_year:
            raise ValueError("first_year must not be after last_year")
        chosen: dict[int, YearSchedule] = {}
        for s in schedules:
            if s.year in chosen:
                raise ValueError(f"two schedules for {s.year}")
            if first_year <= s.year <= last_year:
                chosen[s.year] = s
        library = _library_schedules(first_year, last_year)
        effective = {y: chosen.get(y, library[y]) for y in range(first_year, last_year + 1)}

        first_day = date(first_year, 1, 1)
        n_days = (date(last_year, 12, 31) - first_day).days + 1
        working = [not _is_weekend(first_day + timedelta(i)) for i in range(n_days)]

        def apply(s: YearSchedule, own_year: bool) -> None:
            for days, value in ((s.days_off, False), (s.days_on, True)):
                for d in days:
                    i = (d - first_day).days
                    if (d.year == s.year) == own_year and 0 <= i < n_days:
                        working[i] = value

        for s in effective.values():
            apply(s, own_year=True)
        for s in effective.values():
            apply(s, own_year=False)

        cum = [0]
        for w in working:
            cum.append(cum[-1] + w)
        return cls(first_year, last_year, effective, tuple(cum), first_day)

    def overlay(self, rest: Iterable[date] = (), work: Iterable[date] = ()) -> WorkingCalendar:
        """This calendar with local days laid over it: the days of ``rest`` are rest days (a
        local statutory holiday, 地方性节日), those of ``work`` working days; days outside the
        range are ignored.  A day in both is refused with ``ValueError``.  With nothing to lay
        over, the calendar itself is returned."""
        rest_set, work_set = frozenset(rest), frozenset(work)
        if rest_set & work_set:
            raise ValueError(f"days both rest and work: {sorted(rest_set & work_set)}")
        if not rest_set and not work_set:
            return self
        cum = self._cum
        working = [cum[i + 1] > cum[i] for i in range(len(cum) - 1)]
        for days, value in ((rest_set, False), (work_set, True)):
            for d in days:
                i = (d - self._first_day).days
                if 0 <= i < len(working):
                    working[i] = value
        new_cum = [0]
        for w in working:
            new_cum.append(new_cum[-1] + w)
        return replace(self, _cum=tuple(new_cum))

    # -- queries -----------------------------------------------------------------------------

    def _index(self, d: date) -> int:
        if not self.first_year <= d.year <= self.last_year:
            raise ValueError(f"{d} is outside the calendar ({self.first_year}–{self.last_year})")
        return (d - self._first_day).days

    def is_working_day(self, d: date) -> bool:
        """Return whether ``d`` is a working day."""
        i = self._index(d)
        return self._cum[i + 1] > self._cum[i]

    def provisional(self, d: date) -> bool:
        """Return whether ``d`` lies in a year without a confirmed schedule."""
        self._index(d)
        return not self.schedules[d.year].confirmed

    def span_provisional(self, a: date, b: date) -> bool:
        """Return whether any day in (a, b] lies in an unconfirmed year (False if b <= a)."""
        if b <= a:
            return False
        self._index(a)
        self._index(b)
        first = (a + timedelta(1)).year
        return any(not self.schedules[y].confirmed for y in range(first, b.year + 1))

    def unconfirmed_years(self) -> Iterator[int]:
        """Yield the years of the range that have no confirmed schedule, in order."""
        return (y for y, s in self.schedules.items() if not s.confirmed)

    def working_days_between(self, a: date, b: date) -> int:
        """Return the number of working days in (a, b]: ``a`` excluded, ``b`` included.

        Returns 0 when ``b <= a`` rather than raising or going negative: callers ask "how many
        working days have passed", and a time before the start has used none.
        """
        if b <= a:
            return 0
        return self._cum[self._index(b) + 1] - self._cum[self._index(a) + 1]

    def add_working_days(self, start: date, n: int) -> date:
        """Return the ``n``-th working day strictly after ``start``; ``start`` itself if n == 0.

        ``start`` need not be a working day. ``n`` must be >= 0. Raises ``ValueError`` when the
        answer would fall beyond the calendar's last year.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        i = self._index(start)
        if n == 0:
            return start
        target = self._cum[i + 1] + n
        # The smallest j with _cum[j] >= target sits just after the n-th working day.
        j = bisect_left(self._cum, target, lo=i + 1)
        if j >= len(self._cum):
            raise ValueError(f"{n} working days after {start} is beyond {self.last_year}")
        return self._first_day + timedelta(j - 1)

    def add_with_flag(self, start: date, n: int) -> DueDate:
        """:meth:`add_working_days` plus whether an unconfirmed year lies in (start, due]."""
        due = self.add_working_days(start, n)
        return DueDate(due, self.span_provisional(start, due))

    def count_with_flag(self, a: date, b: date) -> WorkingDayCount:
        """:meth:`working_days_between` plus whether an unconfirmed year lies in (a, b]."""
        return WorkingDayCount(self.working_days_between(a, b), self.span_provisional(a, b))


@lru_cache(maxsize=1)
def library_calendar() -> WorkingCalendar:
    """Return the calendar with library data only (every year provisional); built once."""
    return WorkingCalendar.build()
