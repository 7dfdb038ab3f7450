"""The monthly report's arithmetic (market.domain.reports): months, rates, the saving rate and
the spread of cycle times."""

from __future__ import annotations

from datetime import date, timedelta
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.reports import (
    Month,
    format_bp,
    format_days,
    rate_bp,
    saving_rate_bp,
    spread,
)

months = st.builds(Month, st.integers(2000, 9998), st.integers(1, 12))


@given(months)
def test_a_month_is_its_days(m: Month) -> None:
    assert Month.parse(m.label) == m
    assert m.first_day.day == 1 and (m.last_day + timedelta(days=1)).day == 1
    assert Month.of(m.last_day) == m and Month.of(m.first_day) == m
    assert m.next().previous() == m and m.next() > m
    assert m.next().first_day == m.last_day + timedelta(days=1)
    assert not m.ended(m.last_day) and m.ended(m.last_day + timedelta(days=1))


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "26-11", "2026-11 ", "",
                                  "２０２６-11", "1999-12"])
def test_bad_months_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        Month.parse(text)


def test_month_edges() -> None:
    assert Month.parse("2026-11").last_day == date(2026, 11, 30)
    assert Month.parse("2028-02").last_day == date(2028, 2, 29)
    assert Month.parse("2026-12").next() == Month(2027, 1)
    assert Month(2027, 1).previous() == Month(2026, 12)


@given(st.integers(0, 10**12), st.integers(1, 10**12))
def test_rate_is_the_rounded_fraction(part: int, whole: int) -> None:
    r = rate_bp(part, whole)
    assert r is not None
    assert abs(Fraction(r) - Fraction(part * 10_000, whole)) <= Fraction(1, 2)


def test_rate_rounds_half_up_and_over_nothing_is_none() -> None:
    assert rate_bp(1, 8) == 1250
    assert rate_bp(1, 20_000) == 1  # 0.5 bp rounds up
    assert rate_bp(1, 30_000) == 0
    assert rate_bp(0, 0) is None


@given(st.lists(st.tuples(st.integers(1, 10**10), st.integers(0, 100)), min_size=1))
def test_saving_rate_lies_between_zero_and_one_when_awards_keep_under_caps(
        pairs: list[tuple[int, int]]) -> None:
    caps = [c for c, _ in pairs]
    awards = [c * pct // 100 for c, pct in pairs]
    r = saving_rate_bp(sum(caps), sum(awards))
    assert r is not None and 0 <= r <= 10_000
    if awards == caps:
        assert r == 0


def test_saving_rate_example() -> None:
    # caps 100 000 and 50 000 yuan, awards 80 000 and 50 000: saved 20 000 of 150 000
    assert saving_rate_bp(150_000_00, 130_000_00) == 1333
    assert saving_rate_bp(0, 0) is None


@given(st.lists(st.integers(0, 400), min_size=1, max_size=200))
def test_spread(values: list[int]) -> None:
    s = spread(values)
    assert s.count == len(values)
    assert s.median is not None and s.p90 is not None
    assert min(values) <= s.median <= max(values)
    assert s.p90 in values and s.p90 >= s.median
    # at least 90 % do not exceed the p90, and it is the smallest such value
    assert sum(v <= s.p90 for v in values) * 10 >= 9 * len(values)
    assert sum(v < s.p90 for v in values) * 10 < 9 * len(values)


def test_spread_examples() -> None:
    assert spread([]).count == 0 and spread([]).median is None
    assert spread([3, 1, 2]).median == 2
    assert spread([4, 1, 2, 3]).median == Fraction(5, 2)
    assert spread(list(range(1, 11))).p90 == 9
    assert spread(list(range(1, 12))).p90 == 10


def test_formats() -> None:
    assert format_bp(1333) == "13.33%" and format_bp(-5) == "-0.05%" and format_bp(None) == "—"
    assert format_days(Fraction(5, 2)) == "2.5" and format_days(3) == "3"
    assert format_days(None) == "—"
