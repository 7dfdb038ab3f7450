"""The resident identity number (居民身份证号码, GB 11643-1999) and masking a person's name."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st

from market.domain.identity import (
    RESIDENT_ID_CHECK,
    RESIDENT_ID_WEIGHTS,
    birth_date,
    mask_name,
    mask_resident_id,
    normalise_resident_id,
    resident_id_check_char,
    validate_resident_id,
)

TODAY = date(2026, 12, 6)
digits = st.text("0123456789", min_size=1, max_size=1)


@st.composite
def numbers(draw: st.DrawFn) -> str:
    """A valid number: an address code, a birth date up to TODAY, a sequence, its check."""
    address = draw(st.text("0123456789", min_size=6, max_size=6))
    born = draw(st.dates(min_value=date(1900, 1, 1), max_value=TODAY))
    sequence = draw(st.text("0123456789", min_size=3, max_size=3))
    body = f"{address}{born:%Y%m%d}{sequence}"
    return body + resident_id_check_char(body)


def test_the_weights_are_two_to_the_power_mod_eleven() -> None:
    assert tuple(2 ** (17 - i) % 11 for i in range(17)) == RESIDENT_ID_WEIGHTS


@pytest.mark.parametrize("number", [
    "11010519491231002X",  # GB 11643-1999 Annex A: 北京市朝阳区
    "440524188001010014",  # Annex A: 广东省汕头市 (born 1880: before our earliest date)
])
def test_the_standards_examples_have_the_right_check_character(number: str) -> None:
    assert resident_id_check_char(number[:17]) == number[17]


def test_the_standards_example_validates() -> None:
    assert validate_resident_id("11010519491231002X", TODAY) is None
    assert validate_resident_id("440524188001010014", TODAY) == "birth_date"


@given(numbers())
def test_a_valid_number_validates_and_keeps_its_birth_date(number: str) -> None:
    assert validate_resident_id(number, TODAY) is None
    assert birth_date(number) is not None and birth_date(number) <= TODAY  # type: ignore[operator]


@given(numbers(), st.integers(0, 16), st.integers(1, 9))
def test_one_wrong_digit_is_caught(number: str, position: int, delta: int) -> None:
    changed = str((int(number[position]) + delta) % 10)
    wrong = number[:position] + changed + number[position + 1:]
    # a changed date digit may make no date (birth_date) instead; never a valid number
    assert validate_resident_id(wrong, TODAY) in ("check", "birth_date")


@given(numbers(), st.integers(0, 15))
def test_two_swapped_neighbours_are_caught(number: str, position: int) -> None:
    a, b = number[position], number[position + 1]
    assume(a != b and position + 1 < 17)
    swapped = number[:position] + b + a + number[position + 2:]
    assert validate_resident_id(swapped, TODAY) in ("check", "birth_date")


@given(numbers())
def test_any_other_check_character_is_refused(number: str) -> None:
    for other in RESIDENT_ID_CHECK:
        if other != number[17]:
            assert validate_resident_id(number[:17] + other, TODAY) == "check"


@given(st.text(max_size=30))
def test_any_text_gets_an_answer_and_only_valid_numbers_pass(text: str) -> None:
    found = validate_resident_id(normalise_resident_id(text), TODAY)
    if found is None:
        number = normalise_resident_id(text)
        assert len(number) == 18 and resident_id_check_char(number[:17]) == number[17]


def test_bad_shapes_say_what_is_wrong() -> None:
    assert validate_resident_id("11010519491231002", TODAY) == "length"
    assert validate_resident_id("1101051949123100AX", TODAY) == "characters"
    assert validate_resident_id("110105194913310020", TODAY) == "birth_date"
    tomorrow = TODAY + timedelta(days=1)
    body = f"110105{tomorrow:%Y%m%d}002"
    assert validate_resident_id(body + resident_id_check_char(body), TODAY) == "birth_date"


def test_full_width_and_lower_case_are_normalised() -> None:
    assert normalise_resident_id("１１０１０５ １９４９１２３１００２ｘ") == "11010519491231002X"


@given(st.text(st.characters(categories=["Lo", "Lu", "Ll"]), min_size=1, max_size=20))
@example("AA")
def test_a_masked_name_keeps_only_its_first_character(name: str) -> None:
    masked = mask_name(name)
    assert len(masked) == max(1, len(name))
    assert set(masked[1:]) <= {"*"}
    if len(name) > 1:
        # Only the first character shows; the rest is one mask per character, whatever they
        # were (a name like "AA" keeps its first "A", which is not a leak of the second).
        assert masked == name[0] + "*" * (len(name) - 1)
    else:
        assert masked == "*"


def test_masked_names() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("李四") == "李*"
    assert mask_name("欧阳 娜娜") == "欧***"
    assert mask_name("王") == "*"


@given(numbers())
def test_a_masked_number_shows_neither_address_nor_birth_date(number: str) -> None:
    masked = mask_resident_id(number)
    assert len(masked) == 18 and masked[1:17] == "*" * 16
    assert masked[0] == number[0] and masked[17] == number[17]
