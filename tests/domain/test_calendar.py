"""The working-day calendar (工作日): library data, operator schedules, counting rules."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from holidays.countries.china import China
from hypothesis import given, settings
from hypothesis import strategies as st

from market.domain.calendar import (
    SHANGHAI,
    WorkingCalendar,
    YearSchedule,
    _fixed_offset_since,
    library_calendar,
    library_schedule,
    local_date,
    local_day_start,
)

CAL = library_calendar()
LIB = China(years=range(2020, 2031))  # type: ignore[no-untyped-call]

dates = st.dates(date(2020, 1, 1), date(2028, 12, 31))


def d(s: str) -> date:
    return date.fromisoformat(s)


# -- known facts -------------------------------------------------------------------------------


@pytest.mark.parametrize("day", [f"2025-10-0{i}" for i in range(1, 9)])
def test_2025_national_day_is_off(day: str) -> None:
    assert not CAL.is_working_day(d(day))


@pytest.mark.parametrize("day", ["2025-09-28", "2025-10-11", "2025-01-26", "2025-02-08"])
def test_2025_make_up_weekend_days_are_working(day: str) -> None:
    assert d(day).weekday() >= 5
    assert CAL.is_working_day(d(day))


def test_2026_spring_festival() -> None:
    # 2026 notice: 2月15日（周日）至23日（周一）放假调休，共9天；2月14日（周六）、2月28日（周六）上班.
    for i in range(15, 24):
        assert not CAL.is_working_day(date(2026, 2, i)), i
    assert CAL.is_working_day(d("2026-02-14"))
    assert CAL.is_working_day(d("2026-02-28"))
    assert CAL.is_working_day(d("2026-02-24"))


def test_2026_new_year() -> None:
    assert [CAL.is_working_day(date(2026, 1, i)) for i in range(1, 6)] == [
        False,
        False,
        False,
        True,  # 1月4日（周日）上班
        True,
    ]


def test_cross_year_make_up_day_from_2002_notice() -> None:
    assert CAL.is_working_day(d("2001-12-29"))
    assert d("2001-12-29") in library_schedule(2001).days_on


def test_add_across_national_day() -> None:
    # Friday 26 Sep 2025 + 5: Sun 28 (调休), Mon 29, Tue 30, Thu 9 Oct, Fri 10 Oct.
    assert CAL.add_working_days(d("2025-09-26"), 5) == d("2025-10-10")
    assert CAL.working_days_between(d("2025-09-26"), d("2025-10-10")) == 5


def test_start_day_not_counted() -> None:
    monday = d("2025-03-03")
    assert CAL.add_working_days(monday, 0) == monday
    assert CAL.add_working_days(monday, 1) == d("2025-03-04")
    assert CAL.add_working_days(d("2025-03-07"), 1) == d("2025-03-10")  # Friday → Monday
    assert CAL.add_working_days(d("2025-03-08"), 1) == d("2025-03-10")  # Saturday → Monday


def test_between_is_zero_when_not_after() -> None:
    assert CAL.working_days_between(d("2025-03-05"), d("2025-03-05")) == 0
    assert CAL.working_days_between(d("2025-03-05"), d("2025-03-01")) == 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        CAL.add_working_days(d("2025-03-05"), -1)
    with pytest.raises(ValueError, match="outside"):
        CAL.is_working_day(d("1999-12-31"))
    with pytest.raises(ValueError, match="beyond"):
        CAL.add_working_days(d("2100-12-01"), 100)


# -- schedules and provisional years -----------------------------------------------------------


def test_library_years_are_provisional() -> None:
    assert CAL.provisional(d("2026-05-01"))
    assert CAL.add_with_flag(d("2026-05-01"), 3).provisional
    assert CAL.add_with_flag(d("2026-05-01"), 0) == (d("2026-05-01"), False)


def test_confirmed_schedule_and_overrides() -> None:
    # An (imaginary) notice: 2027-03-01 off, Saturday 2027-03-06 on; everything else ordinary.
    s2027 = YearSchedule(
        2027,
        frozenset({d("2027-03-01")}),
        frozenset({d("2027-03-06")}),
        True,
        "国办发明电〔2026〕X号",
    )
    cal = WorkingCalendar.build([library_schedule(2026, confirmed=True), s2027])
    assert not cal.is_working_day(d("2027-03-01"))
    assert cal.is_working_day(d("2027-03-06"))
    # The schedule replaces the library year: 2027 spring festival is no longer off.
    assert CAL.is_working_day(d("2027-02-08")) is False
    assert cal.is_working_day(d("2027-02-08"))
    assert not cal.provisional(d("2027-06-01"))
    assert cal.provisional(d("2028-06-01"))
    assert cal.count_with_flag(d("2026-01-01"), d("2027-12-31")).provisional is False
    assert cal.count_with_flag(d("2026-01-01"), d("2028-01-03")).provisional is True
    assert 2026 not in set(cal.unconfirmed_years())


def test_cross_year_schedule_days_apply() -> None:
    s = YearSchedule(2027, frozenset(), frozenset({d("2026-12-26")}), True, "test")
    cal = WorkingCalendar.build([s])
    assert cal.is_working_day(d("2026-12-26"))  # a Saturday
    assert not CAL.is_working_day(d("2026-12-26"))


def test_schedule_validation() -> None:
    with pytest.raises(ValueError, match="both"):
        YearSchedule(2027, frozenset({d("2027-01-02")}), frozenset({d("2027-01-02")}), True, "x")
    with pytest.raises(ValueError, match="too far"):
        YearSchedule(2027, frozenset({d("2025-01-02")}), frozenset(), True, "x")
    with pytest.raises(ValueError, match="two schedules"):
        WorkingCalendar.build([library_schedule(2026), library_schedule(2026)])


def test_rebuilding_reads_the_library_once_per_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every saved notice and every tenant's local days rebuild a calendar (in each process);
    # the library's century of data must come from the cache, never a library object per build
    # or per query (the library fills each year it is asked about).
    filled: list[int] = []
    fill = China._populate

    def counted(self: China, year: int) -> None:
        filled.append(year)
        fill(self, year)

    monkeypatch.setattr(China, "_populate", counted)
    WorkingCalendar.build()  # the first build in a process may read the library
    library_schedule(2026)
    filled.clear()
    for n in range(5):
        notice = YearSchedule(2027, frozenset({d("2027-03-01") + timedelta(n)}), frozenset(),
                              True, f"notice {n}")
        cal = WorkingCalendar.build([library_schedule(2026, confirmed=True), notice])
        assert not cal.is_working_day(d("2027-03-01") + timedelta(n))
        local = cal.overlay(rest=[d("2028-03-06") + timedelta(n)])  # Monday to Friday
        assert local.working_days_between(d("2000-01-01"), d("2100-12-31")) < \
            cal.working_days_between(d("2000-01-01"), d("2100-12-31"))
        assert local.add_working_days(d("2099-01-01"), 200) > d("2099-10-01")
    assert filled == []


# -- local dates -------------------------------------------------------------------------------


def test_local_date() -> None:
    assert local_date(datetime(2025, 9, 30, 16, 0, tzinfo=UTC)) == d("2025-10-01")
    assert local_date(datetime(2025, 9, 30, 15, 59, tzinfo=UTC)) == d("2025-09-30")
    assert local_date(datetime(2025, 10, 1, 0, 0, tzinfo=timezone(timedelta(hours=8)))) == d(
        "2025-10-01"
    )
    with pytest.raises(ValueError, match="naive"):
        local_date(datetime(2025, 9, 30, 16, 0))  # noqa: DTZ001 - the point of the test
    assert local_day_start(d("2025-10-01")) == datetime(2025, 9, 30, 16, 0, tzinfo=UTC)


@settings(deadline=None)
@given(st.datetimes(datetime(1900, 1, 1), datetime(2100, 12, 31, 23, 59)))  # noqa: DTZ001
def test_local_date_is_the_zone_s_date(naive: datetime) -> None:
    # UTC times since 1992 take the zone's one offset; the others (China's summer time of
    # 1986-1991, other zones) go through the zone's transitions: the date is the zone's
    at = naive.replace(tzinfo=UTC)
    assert local_date(at) == at.astimezone(SHANGHAI).date()
    other = at.astimezone(timezone(timedelta(hours=-5)))
    assert local_date(other) == at.astimezone(SHANGHAI).date()


def test_the_fixed_offset_is_checked_on_the_zone_s_data() -> None:
    assert _fixed_offset_since(1992, 2100) == timedelta(hours=8)
    assert _fixed_offset_since(1986, 1992) is None  # summer time, 1986-1991
    # 1988-07-01 12:00 UTC was 21:00 in Shanghai (UTC+9); its date is the zone's either way
    assert local_date(datetime(1988, 7, 1, 15, 30, tzinfo=UTC)) == d("1988-07-02")


# -- properties --------------------------------------------------------------------------------


def brute_between(a: date, b: date) -> int:
    n, x = 0, a
    while x < b:
        x += timedelta(1)
        n += LIB.is_working_day(x)
    return n


def brute_add(a: date, n: int) -> date:
    x = a
    while n:
        x += timedelta(1)
        n -= LIB.is_working_day(x)
    return x


@given(dates)
def test_is_working_day_matches_library(day: date) -> None:
    assert CAL.is_working_day(day) == LIB.is_working_day(day)


@given(dates, dates)
def test_between_matches_brute_force(a: date, b: date) -> None:
    assert CAL.working_days_between(a, b) == brute_between(a, b)


@given(dates, st.integers(0, 400))
def test_add_matches_brute_force(a: date, n: int) -> None:
    assert CAL.add_working_days(a, n) == brute_add(a, n)


@given(dates, st.integers(0, 2000))
def test_add_then_count_round_trips(start: date, n: int) -> None:
    due = CAL.add_working_days(start, n)
    assert CAL.working_days_between(start, due) == n
    assert n == 0 or CAL.is_working_day(due)


@given(dates, st.integers(0, 500), st.integers(0, 500))
def test_add_is_monotonic_and_additive(start: date, m: int, n: int) -> None:
    a, b = CAL.add_working_days(start, m), CAL.add_working_days(start, m + n)
    assert a <= b
    assert (a < b) == (n > 0)
    assert CAL.add_working_days(a, n) == b


@given(dates, dates, dates)
def test_count_is_additive_and_monotonic(a: date, b: date, c: date) -> None:
    a, b, c = sorted((a, b, c))
    ab, bc, ac = (
        CAL.working_days_between(a, b),
        CAL.working_days_between(b, c),
        CAL.working_days_between(a, c),
    )
    assert ab + bc == ac
    assert ab <= ac


@given(
    st.sets(st.dates(date(2027, 1, 1), date(2027, 12, 31)), max_size=20),
    st.sets(st.dates(date(2027, 1, 1), date(2027, 12, 31)), max_size=20),
    st.dates(date(2027, 1, 1), date(2027, 12, 31)),
)
def test_overrides_take_effect(off: set[date], on: set[date], probe: date) -> None:
    on -= off
    cal = WorkingCalendar.build(
        [YearSchedule(2027, frozenset(off), frozenset(on), True, "t")],
        first_year=2026,
        last_year=2028,
    )
    expected = probe in on or (probe not in off and probe.weekday() < 5)
    assert cal.is_working_day(probe) == expected
