"""Pure rules: fee schedules, money parsing, masking, validity by date."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from market.domain.fees import (
    MAX_FEE_FEN,
    FeeKind,
    FeeSchedule,
    estimate_fen,
    format_yuan,
    parse_yuan,
    validate_committed_days,
    validate_fee_schedule,
)
from market.domain.qualifications import counts_on, dates_error, expired_on, mask_number


@given(st.integers(min_value=0, max_value=MAX_FEE_FEN))
def test_yuan_round_trip(fen: int) -> None:
    assert parse_yuan(format_yuan(fen)) == fen


def test_parse_yuan_refuses_what_is_not_money() -> None:
    for text in ("", "abc", "1.234", "１２", "1e5", "1..2", "--1", "0x10"):
        assert parse_yuan(text) is None, text
    assert parse_yuan("1,234.5") == 123_450
    assert parse_yuan(".5") == 50


def test_fee_rules() -> None:
    assert validate_fee_schedule(FeeSchedule(FeeKind.FIXED, amount_fen=1)) is None
    assert validate_fee_schedule(FeeSchedule(FeeKind.FIXED, amount_fen=0)) == (
        "amount", "fee_not_positive")
    assert validate_fee_schedule(FeeSchedule(FeeKind.FIXED, amount_fen=MAX_FEE_FEN + 1)) == (
        "amount", "fee_too_large")
    assert validate_fee_schedule(FeeSchedule(FeeKind.RATE, rate_bp=35)) == (
        "minimum", "fee_missing")
    assert validate_fee_schedule(FeeSchedule(FeeKind.RATE, rate_bp=10_001, minimum_fen=1)) == (
        "rate", "rate_out_of_range")
    assert validate_fee_schedule(FeeSchedule(FeeKind.RANGE, minimum_fen=5, maximum_fen=4)) == (
        "maximum", "range_inverted")
    assert validate_committed_days(0) == "days_not_positive"
    assert validate_committed_days(1) is None


@given(st.integers(min_value=0, max_value=10**13), st.integers(min_value=1, max_value=10_000),
       st.integers(min_value=1, max_value=MAX_FEE_FEN))
def test_rate_estimate_never_below_minimum(investment: int, bp: int, minimum: int) -> None:
    fee = FeeSchedule(FeeKind.RATE, rate_bp=bp, minimum_fen=minimum)
    assert estimate_fen(fee, investment) >= minimum
    assert estimate_fen(fee, investment) >= investment * bp // 10_000


@given(st.text(min_size=0, max_size=40))
def test_mask_hides_at_least_half(number: str) -> None:
    masked = mask_number(number)
    assert len(masked) == len(number)
    assert masked.count("*") >= len(number) / 2 - (number.count("*") / 2)


def test_counting_by_date() -> None:
    until = date(2026, 3, 31)
    assert counts_on(date(2025, 1, 1), until, until)
    assert not counts_on(date(2025, 1, 1), until, date(2026, 4, 1))
    assert expired_on(until, date(2026, 4, 1)) and not expired_on(until, until)
    assert dates_error(date(2026, 1, 2), date(2026, 1, 1)) == "until_before_from"
    assert mask_number("环评甲字第1234号") == "环评甲*****4号"
