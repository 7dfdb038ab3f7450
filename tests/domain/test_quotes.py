"""market.domain.quotes and the credit-merit lists: discount rates (下浮率), the abnormally low
quote rule (异常低价), the long and short list of 信用择优."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain import credit, quotes
from market.domain.quotes import Quote

bases = st.integers(quotes.MIN_RATE_BASE_FEN, 10**10)
rates = st.integers(0, quotes.MAX_RATE_BP)


def test_fee_at_rate_rounds_half_up_to_the_fen() -> None:
    assert quotes.fee_at_rate(100_000, 1250) == 87_500
    # 10,001 fen less 0.05 % = 9,995.9995 fen → 9,996
    assert quotes.fee_at_rate(10_001, 5) == 9_996
    # 10,010 fen less 50 % = 5,005 exactly; 10,011 less 50 % = 5,005.5 → 5,006 (half up)
    assert quotes.fee_at_rate(10_010, 5000) == 5_005
    assert quotes.fee_at_rate(10_011, 5000) == 5_006
    with pytest.raises(ValueError):
        quotes.fee_at_rate(100_000, quotes.BP)
    with pytest.raises(ValueError):
        quotes.fee_at_rate(100_000, -1)


@given(bases, rates)
def test_the_fee_is_the_exact_value_rounded_half_up(base: int, rate: int) -> None:
    exact = Fraction(base * (quotes.BP - rate), quotes.BP)
    fee = quotes.fee_at_rate(base, rate)
    assert fee - Fraction(1, 2) <= exact < fee + Fraction(1, 2)


@given(bases, rates)
def test_the_fee_names_its_rate(base: int, rate: int) -> None:
    assert quotes.rate_of_fee(base, quotes.fee_at_rate(base, rate)) == rate


@given(bases, rates, rates)
def test_a_higher_rate_is_a_lower_fee(base: int, a: int, b: int) -> None:
    if a < b:
        assert quotes.fee_at_rate(base, a) > quotes.fee_at_rate(base, b)


@given(bases, st.integers(1, 10**10))
def test_a_fee_no_rate_gives_has_no_rate(base: int, fee: int) -> None:
    rate = quotes.rate_of_fee(base, fee)
    assert rate is None or quotes.fee_at_rate(base, rate) == fee


def test_parse_and_format_rate() -> None:
    assert quotes.parse_rate("12.5") == 1250
    assert quotes.parse_rate(" 12.50% ") == 1250
    assert quotes.parse_rate("8") == 800
    assert quotes.parse_rate("0.01％") == 1
    assert quotes.parse_rate("99.99") == 9999
    for bad in ("", "100", "12.345", "-1", "abc", "1e3", "12,5", "٣"):
        assert quotes.parse_rate(bad) is None, bad
    assert quotes.parse_rate("１２．５") == 1250  # typed with a Chinese input method
    assert quotes.format_rate(1250) == "12.50%"
    assert quotes.format_rate(5) == "0.05%"


@given(rates)
def test_a_formatted_rate_parses_back(rate: int) -> None:
    assert quotes.parse_rate(quotes.format_rate(rate)) == rate


@given(bases, st.one_of(st.none(), st.integers(1, 10**10)))
def test_the_rate_range_keeps_the_fee_above_the_floor(base: int, floor: int | None) -> None:
    low, top = quotes.rate_range(base, floor)
    assert low == 0 <= top <= quotes.MAX_RATE_BP
    if floor is not None and top > 0:
        assert quotes.fee_at_rate(base, top) >= floor
    if floor is not None and top < quotes.MAX_RATE_BP:
        assert quotes.fee_at_rate(base, top + 1) < floor


def test_abnormally_low_against_the_mean_of_the_others() -> None:
    q = [Quote("AG-1", 100_00), Quote("AG-2", 100_00), Quote("AG-3", 79_99)]
    # the others' mean is 100 yuan; 20 % below it is 80 yuan: 79.99 is below, 80 is not
    assert quotes.abnormally_low(q, 2000) == ["AG-3"]
    q[2] = Quote("AG-3", 80_00)
    assert quotes.abnormally_low(q, 2000) == []
    # two quotes: one other is no mean; nothing is abnormal
    assert quotes.abnormally_low([Quote("AG-1", 100_00), Quote("AG-2", 1)], 2000) == []
    with pytest.raises(ValueError):
        quotes.abnormally_low(q, 0)


quote_lists = st.lists(st.integers(1, 10**9), min_size=0, max_size=12).map(
    lambda amounts: [Quote(f"AG-{i:06d}", a) for i, a in enumerate(amounts)])


@given(quote_lists, st.integers(1, quotes.BP - 1))
def test_abnormally_low_is_exactly_the_published_rule(qs: list[Quote], share: int) -> None:
    low = set(quotes.abnormally_low(qs, share))
    for q in qs:
        others = [o.amount_fen for o in qs if o is not q]
        if len(others) < quotes.LOW_MIN_OTHERS:
            assert q.agency_id not in low
            continue
        mean = Fraction(sum(others), len(others))
        assert (q.agency_id in low) == (q.amount_fen < mean * Fraction(quotes.BP - share, quotes.BP))


@given(quote_lists, st.integers(1, quotes.BP - 1))
def test_never_every_quote_is_abnormally_low(qs: list[Quote], share: int) -> None:
    # the highest quote is never below the mean of the others
    low = quotes.abnormally_low(qs, share)
    assert len(low) < max(1, len(qs))


@given(quote_lists, st.integers(1, quotes.BP - 1), st.integers(1, quotes.BP - 1))
def test_a_larger_share_flags_no_more(qs: list[Quote], a: int, b: int) -> None:
    small, large = min(a, b), max(a, b)
    assert set(quotes.abnormally_low(qs, large)) <= set(quotes.abnormally_low(qs, small))


def test_low_rule_problem() -> None:
    assert quotes.low_rule_problem(None, None) is None
    assert quotes.low_rule_problem(2000, "set_aside") is None
    assert quotes.low_rule_problem(2000, "explain") is None
    assert quotes.low_rule_problem(99, "explain") == "share"
    assert quotes.low_rule_problem(None, "explain") == "share"
    assert quotes.low_rule_problem(2000, None) == "action"
    assert quotes.low_rule_problem(2000, "ignore") == "action"


scored = st.lists(st.integers(0, 100), max_size=15).map(
    lambda s: [credit.Scored(f"AG-{i:06d}", v) for i, v in enumerate(s)])


@given(scored, st.integers(0, 100))
def test_the_long_list_is_everyone_at_or_above_the_threshold(s: list[credit.Scored],
                                                             threshold: int) -> None:
    kept, out = credit.long_list(s, threshold)
    assert sorted(kept + out) == sorted(x.agency_id for x in s)
    assert all(x.score >= threshold for x in s if x.agency_id in kept)
    assert all(x.score < threshold for x in s if x.agency_id in out)
    assert kept == sorted(kept, key=lambda a: a.encode())


@given(st.lists(st.integers(0, 999), unique=True, min_size=1, max_size=12).map(
    lambda ids: [f"AG-{i:06d}" for i in ids]), st.integers(1, 7), st.data())
def test_the_selected_set_keeps_its_size_while_alternates_last(
        ranking: list[str], k: int, data: st.DataObject) -> None:
    k = min(k, len(ranking))
    passed: list[str] = []
    for _ in range(len(ranking)):
        selected = credit.still_selected(ranking, k, passed)
        assert len(selected) == max(0, min(k, len(ranking) - len(passed)))
        assert not set(selected) & set(passed)
        if not selected:
            break
        passed.append(data.draw(st.sampled_from(selected)))


def test_the_short_list_minimum_is_never_below_its_size() -> None:
    assert credit.shortlist_minimum(3, 5) == 5
    assert credit.shortlist_minimum(3, 2) == 3
