"""The scoring sheet and arithmetic of proposal selection (market.domain.proposal_scoring):
the sheet's rules, the price formula, the totals, ties and ranking — stated as properties."""

from __future__ import annotations

import itertools
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain import proposal_scoring as ps

AGENCIES = [f"AG-{n:06d}" for n in range(1, 9)]


@st.composite
def sheets(draw: st.DrawFn) -> ps.Sheet:
    """A valid sheet: price points in range, 1–6 criteria whose points fill the rest to 100."""
    price = draw(st.integers(ps.MIN_PRICE_POINTS, ps.MAX_PRICE_POINTS))
    rest = ps.TOTAL_POINTS - price
    n = draw(st.integers(1, min(6, rest)))
    cuts = sorted(draw(st.lists(st.integers(1, rest - 1), min_size=n - 1, max_size=n - 1,
                                unique=True))) if n > 1 else []
    bounds = [0, *cuts, rest]
    return ps.Sheet(tuple(ps.Criterion(f"因素{i}", bounds[i + 1] - bounds[i]) for i in range(n)),
                    price)


@st.composite
def scored_cases(draw: st.DrawFn) -> tuple[ps.Sheet, dict[str, int], dict[str, list[list[int]]]]:
    sheet = draw(sheets())
    agencies = draw(st.lists(st.sampled_from(AGENCIES), min_size=1, max_size=6, unique=True))
    scorers = draw(st.integers(ps.MIN_SCORERS, 7))
    quotes = {a: draw(st.integers(1, 10**9)) for a in agencies}
    points = {a: [[draw(st.integers(0, c.max_points * 10)) for c in sheet.criteria]
                  for _ in range(scorers)] for a in agencies}
    return sheet, quotes, points


@given(sheets())
def test_a_sheet_whose_points_add_to_100_is_accepted(sheet: ps.Sheet) -> None:
    assert ps.weights_total(sheet) == 100
    assert ps.sheet_problems(sheet) == []


@given(sheets(), st.integers(-50, 50).filter(lambda d: d != 0))
def test_a_sheet_that_does_not_add_to_100_is_refused(sheet: ps.Sheet, delta: int) -> None:
    first = sheet.criteria[0]
    changed = ps.Sheet((ps.Criterion(first.name, first.max_points + delta), *sheet.criteria[1:]),
                       sheet.price_points)
    assert "total" in ps.sheet_problems(changed)


@pytest.mark.parametrize("price", [0, 9, 91, 100])
def test_price_points_outside_the_range_are_refused(price: int) -> None:
    sheet = ps.Sheet((ps.Criterion("技术方案", 100 - price),) if price < 100 else (), price)
    assert "price" in ps.sheet_problems(sheet)


def test_sheet_rules_name_each_problem() -> None:
    assert "none" in ps.sheet_problems(ps.Sheet((), 100))
    assert "duplicate" in ps.sheet_problems(ps.Sheet(
        (ps.Criterion("方案", 35), ps.Criterion("方案", 35)), 30))
    assert "points" in ps.sheet_problems(ps.Sheet(
        (ps.Criterion("方案", 70), ps.Criterion("业绩", 0)), 30))
    assert "name" in ps.sheet_problems(ps.Sheet((ps.Criterion("长" * 61, 70),), 30))


def test_criteria_are_read_one_a_line_with_any_usual_separator() -> None:
    criteria, bad = ps.parse_criteria("技术方案 | 40\n\n服务承诺｜１５\n类似业绩：10分\n人员配备,5\n没有分值")
    assert [(c.name, c.max_points) for c in criteria] == [
        ("技术方案", 40), ("服务承诺", 15), ("类似业绩", 10), ("人员配备", 5)]
    assert bad == [6]


@given(sheets())
def test_the_sheet_survives_its_json_and_its_text(sheet: ps.Sheet) -> None:
    assert ps.Sheet.from_json(sheet.as_json()) == sheet
    criteria, bad = ps.parse_criteria(sheet.text())
    assert bad == [] and tuple(criteria) == sheet.criteria


@given(st.integers(ps.MIN_PRICE_POINTS, ps.MAX_PRICE_POINTS), st.integers(1, 10**9),
       st.integers(0, 10**9))
def test_price_score_low_price_first(points: int, lowest: int, extra: int) -> None:
    """The lowest quote scores full points, a higher one less and never below zero, and the
    score is exactly base ÷ quote × points."""
    quote = lowest + extra
    score = ps.price_score(points, lowest, quote)
    assert ps.price_score(points, lowest, lowest) == points
    assert 0 < score <= points
    assert score == Fraction(lowest, quote) * points
    if extra:
        assert score < points


def test_price_score_refuses_a_base_above_the_quote() -> None:
    with pytest.raises(ValueError):
        ps.price_score(30, 200, 100)


@given(scored_cases())
def test_totals_are_the_rounded_sum_of_means_and_price(case: tuple) -> None:  # type: ignore[type-arg]
    sheet, quotes, points = case
    scored = {s.agency_id: s for s in ps.score_all(sheet, quotes, points)}
    lowest = min(quotes.values())
    for agency, s in scored.items():
        means = [Fraction(sum(p[i] for p in points[agency]), 10 * len(points[agency]))
                 for i in range(len(sheet.criteria))]
        exact = sum(means, Fraction(0)) + Fraction(sheet.price_points * lowest, quotes[agency])
        assert abs(Fraction(s.total_centi, 100) - exact) <= Fraction(1, 200)
        assert 0 <= s.total_centi <= 100 * 100
        assert s.price_centi == ps.to_centi(Fraction(sheet.price_points * lowest, quotes[agency]))
    # the lowest quote scores the full price points
    assert any(s.price_centi == sheet.price_points * 100 for s in scored.values())


@given(scored_cases())
def test_ties_are_exactly_the_agencies_at_the_highest_total(case: tuple) -> None:  # type: ignore[type-arg]
    sheet, quotes, points = case
    scored = ps.score_all(sheet, quotes, points)
    tied = ps.top_tie(scored)
    best = max(s.total_centi for s in scored)
    assert set(tied) == {s.agency_id for s in scored if s.total_centi == best}
    assert tied == sorted(tied, key=lambda a: a.encode())


@given(scored_cases(), st.randoms(use_true_random=False))
def test_ranking_orders_by_total_and_follows_the_draw_within_a_tie(case: tuple, rnd) -> None:  # type: ignore[no-untyped-def,type-arg]
    sheet, quotes, points = case
    scored = ps.score_all(sheet, quotes, points)
    tied = ps.top_tie(scored)
    drawn = list(tied)
    rnd.shuffle(drawn)
    ranking = ps.ranking(scored, drawn)
    totals = {s.agency_id: s.total_centi for s in scored}
    assert sorted(ranking) == sorted(totals)
    assert all(totals[a] >= totals[b] for a, b in itertools.pairwise(ranking))
    assert ranking[:len(tied)] == drawn  # the draw decides the order among the tied


def test_a_tie_is_found_when_two_proposals_score_the_same() -> None:
    sheet = ps.Sheet((ps.Criterion("技术方案", 70),), 30)
    quotes = {"AG-000001": 30000_00, "AG-000002": 30000_00, "AG-000003": 25000_00}
    points = {"AG-000001": [[600], [600], [600]], "AG-000002": [[600], [600], [600]],
              "AG-000003": [[400], [400], [400]]}
    scored = {s.agency_id: s for s in ps.score_all(sheet, quotes, points)}
    # 60 + 30 × 25000/30000 = 85.00 for the two; 40 + 30 = 70.00 for the cheapest
    assert scored["AG-000001"].total_centi == scored["AG-000002"].total_centi == 8500
    assert scored["AG-000003"].total_centi == 7000
    assert ps.top_tie(list(scored.values())) == ["AG-000001", "AG-000002"]


@given(sheets(), st.data())
def test_points_outside_zero_to_max_are_named(sheet: ps.Sheet, data: st.DataObject) -> None:
    good = [data.draw(st.integers(0, c.max_points * 10)) for c in sheet.criteria]
    assert ps.points_problems(sheet, good) == []
    i = data.draw(st.integers(0, len(sheet.criteria) - 1))
    bad = list(good)
    bad[i] = data.draw(st.one_of(st.integers(-1000, -1),
                                 st.integers(sheet.criteria[i].max_points * 10 + 1, 10**6)))
    assert ps.points_problems(sheet, bad) == [i]
    assert ps.points_problems(sheet, good[:-1]) != []
