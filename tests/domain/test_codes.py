"""Unified social credit code (统一社会信用代码) and investment project code validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.codes import (
    CREDIT_CODE_ALPHABET,
    CREDIT_CODE_WEIGHTS,
    credit_code_check_char,
    make_credit_code,
    normalise_credit_code,
    normalise_project_code,
    validate_credit_code,
    validate_project_code,
)

alphabet_char = st.sampled_from(CREDIT_CODE_ALPHABET)
digit = st.sampled_from("0123456789")


@st.composite
def credit_bodies(draw: st.DrawFn) -> str:
    """17 characters shaped like a real code: authority, type, 6-digit region, 9-char id."""
    head = draw(st.text(alphabet_char, min_size=2, max_size=2))
    region = draw(st.text(digit, min_size=6, max_size=6))
    tail = draw(st.text(alphabet_char, min_size=9, max_size=9))
    return head + region + tail


def test_weights_are_powers_of_three_mod_31() -> None:
    assert tuple(pow(3, i, 31) for i in range(17)) == CREDIT_CODE_WEIGHTS


@pytest.mark.parametrize(
    "code",
    [
        "91440300708461136T",  # a widely published company code (Shenzhen)
        "91330100799655058B",  # another widely published company code (Hangzhou)
        make_credit_code("91500116MA5U00000"),
        make_credit_code("12500000450000000"),
        make_credit_code("52500116MA6000XY0"),
    ],
)
def test_known_valid_codes(code: str) -> None:
    assert validate_credit_code(code) is None


def test_check_char_31_maps_to_zero() -> None:
    # An all-zero body sums to 0, so 31 - 0 = 31, which the standard writes as "0".
    assert credit_code_check_char("0" * 17) == "0"


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("", "length"),
        ("91440300708461136", "length"),
        ("91440300708461136TT", "length"),
        ("91440300708461136t", "charset"),
        ("9144030070846113IT", "charset"),
        ("91440300708461136O", "charset"),
        ("91A40300708461136T", "region"),
        ("91440300708461136A", "check_digit"),
    ],
)
def test_invalid_codes(code: str, key: str) -> None:
    assert validate_credit_code(code) == key


def test_normalise() -> None:
    assert normalise_credit_code("  91440300708461136t\n") == "91440300708461136T"
    assert validate_credit_code(normalise_credit_code(" 91440300708461136t ")) is None


def test_check_char_rejects_bad_body() -> None:
    with pytest.raises(ValueError, match="17"):
        credit_code_check_char("123")
    with pytest.raises(ValueError, match="alphabet"):
        credit_code_check_char("I" * 17)


@given(credit_bodies())
def test_made_codes_are_valid(body: str) -> None:
    assert validate_credit_code(make_credit_code(body)) is None


@given(
    credit_bodies(),
    st.integers(0, 17),
    st.sampled_from(CREDIT_CODE_ALPHABET + "IOZSVabc-* "),
)
def test_single_character_mutation_is_rejected(body: str, pos: int, new: str) -> None:
    code = make_credit_code(body)
    if code[pos] == new:
        return
    mutated = code[:pos] + new + code[pos + 1 :]
    assert validate_credit_code(mutated) is not None


# Positions 0..15 only: swapping a body character with the check character itself is not a
# detected error class of a single mod-31 check (the weight argument needs both in the body).
@given(credit_bodies(), st.integers(0, 15))
def test_adjacent_transposition_of_distinct_chars_is_rejected(body: str, pos: int) -> None:
    code = make_credit_code(body)
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2 :]
    assert validate_credit_code(swapped) is not None


@pytest.mark.parametrize(
    "code", ["2026-500116-48-01-123456", "2000-110000-00-00-000000", "2100-999999-99-99-999999"]
)
def test_valid_project_codes(code: str) -> None:
    assert validate_project_code(code) is None


@pytest.mark.parametrize(
    ("code", "key"),
    [
        ("", "format"),
        ("2026-500116-48-01-12345", "format"),
        ("2026-50011-648-01-123456", "format"),
        ("2026_500116_48_01_123456", "format"),
        ("2026-500116-48-01-12345A", "format"),
        ("２026-500116-48-01-123456", "format"),  # full-width digit
        (" 2026-500116-48-01-123456", "format"),
        ("1999-500116-48-01-123456", "year"),
        ("2101-500116-48-01-123456", "year"),
    ],
)
def test_invalid_project_codes(code: str, key: str) -> None:
    assert validate_project_code(code) == key


def test_normalise_project_code() -> None:
    assert validate_project_code(normalise_project_code(" 2026-500116-48-01-123456\t")) is None
