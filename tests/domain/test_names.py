"""Organisation names: the key under which two names a reader cannot tell apart are one."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.domain.names import clean_organisation_name, organisation_name_key

BUREAU = "云川市住房和城乡建设局"


@pytest.mark.parametrize("lookalike", [
    BUREAU + " ",
    " " + BUREAU,
    "云川市 住房和城乡建设局",
    "云川市\u3000住房和城乡建设局",  # a full-width space
    "云川市\u200b住房和城乡建设局",  # a zero-width space
    "云川市\ufeff住房和城乡建设局",  # a byte-order mark
    "云川市\u202e住房和城乡建设局",  # a bidirectional override
    "云川市\t住房和城乡\n建设局",
])
def test_spaces_and_invisible_characters_do_not_make_a_new_name(lookalike: str) -> None:
    assert organisation_name_key(lookalike) == organisation_name_key(BUREAU)


def test_width_and_case_do_not_make_a_new_name() -> None:
    assert organisation_name_key("ＡＢＣ测绘（云川）有限公司") == organisation_name_key(
        "abc测绘(云川)有限公司")
    assert organisation_name_key("ｱｲ") == organisation_name_key("アイ")  # half-width kana
    assert organisation_name_key("Straße GmbH") == organisation_name_key("STRASSE gmbh")


def test_different_names_stay_different() -> None:
    assert organisation_name_key("云川市东城区教育局") != organisation_name_key("云川市西岭区教育局")
    assert organisation_name_key("") == organisation_name_key(" \u3000\u200b") == ""


def test_the_shown_name_keeps_full_width_brackets_and_single_spaces() -> None:
    assert clean_organisation_name("  云川\u3000\u3000测绘（东城）\u200b有限公司 ") == \
        "云川 测绘（东城）有限公司"


@given(st.text(max_size=60))
def test_the_key_is_stable(name: str) -> None:
    key = organisation_name_key(name)
    assert organisation_name_key(key) == key
    assert organisation_name_key(clean_organisation_name(name)) == key
    assert len(key) <= 200
