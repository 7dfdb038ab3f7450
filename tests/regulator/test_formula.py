"""The credit formula: bounded, monotone in every input, versioned."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from market.domain.credit_formula import VERSION, CreditInputs, compute

inputs = st.builds(
    CreditInputs,
    average_rating=st.none() | st.floats(1.0, 5.0),
    ratings=st.integers(0, 50),
    on_time_rate=st.none() | st.floats(0.0, 1.0),
    declines=st.integers(0, 30),
    upheld_complaints=st.integers(0, 20),
    active_warnings=st.integers(0, 5),
    active_suspensions=st.integers(0, 3),
    blacklisted=st.booleans(),
)


@given(inputs)
def test_bounded_and_versioned(i: CreditInputs) -> None:
    result = compute(i)
    assert 0 <= result.score <= 100
    assert result.version == VERSION


@given(inputs, st.floats(0.0, 4.0), st.floats(0.0, 1.0))
def test_better_ratings_and_punctuality_never_lower_the_score(
        i: CreditInputs, more: float, faster: float) -> None:
    if i.average_rating is not None:
        up = replace(i, average_rating=min(5.0, i.average_rating + more))
        assert compute(up).score >= compute(i).score
    if i.on_time_rate is not None:
        up = replace(i, on_time_rate=min(1.0, i.on_time_rate + faster))
        assert compute(up).score >= compute(i).score


@given(inputs, st.integers(1, 5))
def test_bad_records_never_raise_the_score(i: CreditInputs, n: int) -> None:
    base = compute(i).score
    for field in ("declines", "upheld_complaints", "active_warnings", "active_suspensions"):
        assert compute(replace(i, **{field: getattr(i, field) + n})).score <= base
    assert compute(replace(i, blacklisted=True)).score == 0


def test_no_history_is_80_less_5_a_decline() -> None:
    for declines in range(0, 20):
        assert compute(CreditInputs(declines=declines)).score == max(0, 80 - 5 * declines)
