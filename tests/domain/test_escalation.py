"""The escalation ladder (电子监察): monotone in lateness, and each step raised once, in order,
however the periodic runs fall."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.escalation import RAISED_STEPS, Ladder, Step, reached, to_raise

ladders = st.tuples(st.integers(1, 20), st.integers(1, 20), st.integers(1, 40)).map(
    lambda t: Ladder(t[0], t[0] + t[1], t[0] + t[1] + t[2]))


@given(ladders, st.integers(0, 100), st.integers(0, 100))
def test_reached_is_monotone(ladder: Ladder, a: int, b: int) -> None:
    lo, hi = sorted((a, b))
    assert reached(lo, ladder) <= reached(hi, ladder)


@given(ladders, st.lists(st.integers(0, 80), max_size=30))
def test_runs_raise_each_step_once_in_order(ladder: Ladder, runs: list[int]) -> None:
    # runs see a lateness that never goes down (a late matter only gets later)
    raised: list[Step] = []
    for late in sorted(runs):
        raised += to_raise(late, set(raised), ladder)
    assert raised == [s for s in RAISED_STEPS if s <= reached(max(runs, default=0), ladder)]
    assert len(raised) == len(set(raised))


def test_thresholds() -> None:
    ladder = Ladder(1, 3, 10)
    assert [reached(n, ladder) for n in (0, 1, 2, 3, 9, 10, 50)] == [
        Step.NONE, Step.WARNING, Step.WARNING, Step.YELLOW, Step.YELLOW, Step.RED, Step.RED]
    assert to_raise(10, set(), ladder) == [Step.WARNING, Step.YELLOW, Step.RED]
    assert to_raise(10, {Step.WARNING}, ladder) == [Step.YELLOW, Step.RED]
    assert to_raise(0, set(), ladder) == []


@pytest.mark.parametrize("days", [(0, 3, 10), (3, 3, 10), (1, 10, 10), (5, 3, 10)])
def test_a_ladder_climbs(days: tuple[int, int, int]) -> None:
    with pytest.raises(ValueError):
        Ladder(*days)
