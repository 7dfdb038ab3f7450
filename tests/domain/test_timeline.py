"""The project timeline's priority rule: examples and properties (the buckets add up to the
span, each working day is in one bucket, the order of the claims does not matter)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.domain.calendar import library_calendar
from market.domain.timeline import PRIORITY, Attribution, Bucket, Claim, attribute

CAL = library_calendar()
D0 = date(2026, 3, 2)  # a Monday


def d(n: int) -> date:
    return D0 + timedelta(days=n)


def test_each_working_day_goes_to_the_highest_priority_claim() -> None:
    # Mon 2 .. Fri 13 March 2026: 10 working days in (Mar 1, Mar 13]
    claims = [Claim(Bucket.SELECTION, d(-1), d(4)),  # Mon..Fri
              Claim(Bucket.SERVICE_OK, d(2), d(11), "eng:1"),  # Thu..Fri 13
              Claim(Bucket.APPROVAL, d(7), d(8))]  # Tue 10
    a = attribute(d(-1), d(11), claims, CAL.is_working_day)
    assert a.total == 10 == CAL.working_days_between(d(-1), d(11))
    assert [a.days[d(n)] for n in (0, 1, 2, 3, 4)] == [Bucket.SELECTION] * 3 + [
        Bucket.SERVICE_OK] * 2
    assert a.days[d(8)] is Bucket.APPROVAL and a.sources[d(9)] == "eng:1"
    assert a.totals()[Bucket.SERVICE_OK] == 6
    assert d(5) not in a.days  # a Saturday is no working day


def test_a_day_no_claim_covers_is_waiting_and_the_start_day_is_free() -> None:
    a = attribute(d(-1), d(4), [Claim(Bucket.APPROVAL, d(-1), d(1))], CAL.is_working_day)
    assert a.totals()[Bucket.APPROVAL] == 2 and a.totals()[Bucket.WAITING] == 3
    assert a.runs() == [(d(0), d(1), Bucket.APPROVAL), (d(2), d(4), Bucket.WAITING)]


def test_claims_are_clipped_to_the_span_and_waiting_cannot_be_claimed() -> None:
    a = attribute(d(0), d(1), [Claim(Bucket.SELECTION, d(-30), d(30))], CAL.is_working_day)
    assert dict(a.days) == {d(1): Bucket.SELECTION}
    with pytest.raises(ValueError):
        Claim(Bucket.WAITING, d(0), d(1))


def test_national_day_holidays_are_not_in_the_span() -> None:
    a = attribute(date(2026, 9, 30), date(2026, 10, 8),
                  [Claim(Bucket.APPROVAL, date(2026, 9, 30), date(2026, 10, 8))],
                  CAL.is_working_day)
    assert a.total == CAL.working_days_between(date(2026, 9, 30), date(2026, 10, 8))
    assert all(CAL.is_working_day(day) for day in a.days)


CLAIMABLE = [b for b in PRIORITY if b is not Bucket.WAITING]
claims_st = st.lists(st.builds(
    lambda b, a, n, s: Claim(b, d(a), d(a + n), s),
    st.sampled_from(CLAIMABLE), st.integers(-20, 80), st.integers(0, 60),
    st.sampled_from(["", "eng:1", "eng:2", "case:1"])), max_size=12)


@settings(max_examples=150, deadline=None)
@given(claims=claims_st, start=st.integers(-10, 30), length=st.integers(0, 90),
       seed=st.randoms(use_true_random=False))
def test_properties(claims: list[Claim], start: int, length: int, seed: object) -> None:
    a = attribute(d(start), d(start + length), claims, CAL.is_working_day)
    # the buckets add up to the span, and every working day of it is in exactly one bucket
    assert sum(a.totals().values()) == a.total == CAL.working_days_between(
        d(start), d(start + length))
    assert set(a.days) == {x for x in (d(start + i) for i in range(1, length + 1))
                           if CAL.is_working_day(x)}
    # the order of the claims does not matter
    shuffled = list(claims)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    b = attribute(d(start), d(start + length), shuffled, CAL.is_working_day)
    assert (dict(a.days), dict(a.sources)) == (dict(b.days), dict(b.sources))
    # each day's bucket is the highest-priority claim covering it, or waiting if none does
    for day, bucket in a.days.items():
        covering = [c.bucket for c in claims if c.after < day <= c.until]
        assert bucket is (min(covering, key=PRIORITY.index) if covering else Bucket.WAITING)
    # the runs cover the days in order
    assert sum(1 for x in a.days) == sum(
        sum(1 for x in a.days if r0 <= x <= r1) for r0, r1, _ in a.runs())


def test_an_empty_span_has_no_days() -> None:
    assert attribute(d(3), d(3), [], CAL.is_working_day) == Attribution(d(3), d(3), {}, {})


def _day_by_day(start: date, end: date, claims: list[Claim]) -> Attribution:
    """The rule as the module docstring states it, one claim and one day at a time: the
    definition :func:`attribute` (which skips the days already given) must agree with."""
    best: dict[date, tuple[int, str]] = {}
    for c in claims:
        day = max(c.after, start) + timedelta(days=1)
        while day <= min(c.until, end):
            key = (PRIORITY.index(c.bucket), c.source)
            best[day] = min(best.get(day, key), key)
            day += timedelta(days=1)
    days, sources = {}, {}
    for i in range(1, (end - start).days + 1):
        day = start + timedelta(days=i)
        if CAL.is_working_day(day):
            rank, source = best.get(day, (PRIORITY.index(Bucket.WAITING), ""))
            days[day], sources[day] = PRIORITY[rank], source
    return Attribution(start, end, days, sources)


@settings(max_examples=300, deadline=None)
@given(claims=st.lists(st.builds(
    lambda b, a, n, s: Claim(b, d(a), d(a + n), s),
    st.sampled_from(CLAIMABLE), st.integers(-40, 120), st.integers(-3, 90),
    st.sampled_from(["", "case:1", "case:2", "eng:1", "eng:2", "req:1"])), max_size=40),
    start=st.integers(-10, 60), length=st.integers(0, 120))
def test_the_same_days_as_day_by_day(claims: list[Claim], start: int, length: int) -> None:
    a = attribute(d(start), d(start + length), claims, CAL.is_working_day)
    b = _day_by_day(d(start), d(start + length), claims)
    assert list(a.days.items()) == list(b.days.items())
    assert list(a.sources.items()) == list(b.sources.items())


def test_claims_of_one_bucket_over_one_span_give_every_day_to_the_smallest_source() -> None:
    # fifty open cases of one project, each claiming the same three years
    claims = [Claim(Bucket.ACCEPTANCE, d(-1), d(3 * 365), f"case:{i}") for i in range(50)]
    a = attribute(d(-1), d(3 * 365), claims, CAL.is_working_day)
    assert set(a.sources.values()) == {"case:0"}
    assert a.totals()[Bucket.ACCEPTANCE] == a.total == CAL.working_days_between(d(-1),
                                                                                d(3 * 365))
