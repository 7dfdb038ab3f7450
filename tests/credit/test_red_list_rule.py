"""The red list (守信激励) rule and its place in the formula, as pure functions."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given
from hypothesis import strategies as st

from market.domain.credit_formula import (
    RED_LIST_BONUS,
    RED_LIST_MIN_RATINGS,
    CreditInputs,
    RedListFacts,
    compute,
    red_listed,
)

GOOD = RedListFacts(levels=20, satisfied=19)  # 95 %


def test_every_criterion_is_needed() -> None:
    assert red_listed(GOOD)
    assert not red_listed(replace(GOOD, satisfied=18))  # 90 %
    assert not red_listed(RedListFacts(levels=RED_LIST_MIN_RATINGS - 1,
                                       satisfied=RED_LIST_MIN_RATINGS - 1))
    assert red_listed(RedListFacts(levels=RED_LIST_MIN_RATINGS, satisfied=RED_LIST_MIN_RATINGS))
    assert not red_listed(replace(GOOD, sanctioned=True))
    assert not red_listed(replace(GOOD, upheld_complaints=1))
    assert not red_listed(RedListFacts())


@given(st.floats(1.0, 5.0), st.none() | st.floats(0.0, 1.0), st.integers(0, 3))
def test_the_red_list_adds_its_bonus_and_never_lowers_the_score(
        rating: float, on_time: float | None, declines: int) -> None:
    base = CreditInputs(average_rating=rating, ratings=5, on_time_rate=on_time,
                        declines=declines)
    red = replace(base, red_listed=True)
    assert compute(red).score >= compute(base).score
    assert any(p.code == "red_list" and p.points == RED_LIST_BONUS for p in compute(red).parts)
    # a blacklisted agency stays at 0 whatever else
    assert compute(replace(red, blacklisted=True)).score == 0

