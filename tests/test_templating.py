"""The filters that show stored words in the page's language (market/templating.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from market.catalogue.models import ServiceType
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.selection.draw import failed_reason
from market.templating import (
    GRADES,
    RETIRED_SYSTEM_TEXTS,
    SYSTEM_TEXTS,
    grade,
    service_name,
    source_label,
    system_text,
)

SELECTION = Path(__file__).resolve().parents[1] / "market" / "selection"


def _in(app: Flask, lang: str):  # type: ignore[no-untyped-def]
    context = app.test_request_context("/")
    context.push()
    from flask import session

    session["lang"] = "en" if lang == "en" else "zh_Hans_CN"
    return context


@pytest.fixture(params=["zh", "en"])
def lang(request: pytest.FixtureRequest, app: Flask):  # type: ignore[no-untyped-def]
    context = _in(app, request.param)
    yield request.param
    context.pop()


def test_every_grade_has_a_translation() -> None:
    assert set(GRADES) == set(QUALIFICATION_LEVELS)


def test_grades_in_both_languages(lang: str) -> None:
    assert grade("甲级") == ("Grade A" if lang == "en" else "甲级")
    assert grade("不分级") == ("Ungraded" if lang == "en" else "不分级")
    assert grade("特级") == "特级"  # not a grade we know: shown as stored
    assert grade(None) == ""


def test_service_types_by_their_english_name_when_the_catalogue_has_one(lang: str) -> None:
    named = ServiceType(code="EIA", name="环境影响评价", name_en="Environmental impact assessment")
    unnamed = ServiceType(code="XYZ", name="新事项", name_en="")
    assert service_name(named) == ("Environmental impact assessment" if lang == "en"
                                   else "环境影响评价")
    assert service_name(unnamed) == "新事项"


def test_the_reasons_the_selection_code_writes_are_translated(lang: str) -> None:
    stored = failed_reason(3, 2)
    assert system_text(stored) == (
        "Fewer than 3 eligible sign-ups (2); this selection failed" if lang == "en" else stored)
    assert system_text("异议成立：中选机构证书失效") == (
        "Objection upheld: 中选机构证书失效" if lang == "en" else "异议成立：中选机构证书失效")
    assert system_text("监管人员手写的理由") == "监管人员手写的理由"
    assert system_text(None) == ""


def test_every_fixed_reason_is_still_written_by_the_selection_code() -> None:
    """The filter recognises stored text by its wording: a reason reworded in market.selection
    without the filter would show untranslated, so each fixed one must still be in the code."""
    source = "".join(p.read_text(encoding="utf-8") for p in SELECTION.rglob("*.py"))
    fixed = [t for t in SYSTEM_TEXTS if "%(" not in t and t not in RETIRED_SYSTEM_TEXTS]
    assert fixed and all(f'"{t}"' in source for t in fixed), [
        t for t in fixed if f'"{t}"' not in source]
    assert "异议成立：{reason}" in source
    assert failed_reason(3, 2) == "有效报名不足 3 家（2 家），本次选取失败"


def test_randomness_sources_in_both_languages(lang: str) -> None:
    english = lang == "en"
    assert source_label("见证人1（U-000007）") == (
        "Witness 1 (U-000007)" if english else "见证人1（U-000007）")
    assert source_label("drand quicknet 第33165729轮") == (
        "drand quicknet round 33165729" if english else "drand quicknet 第33165729轮")
    assert source_label("福彩双色球 2026150期") == (
        "China Welfare Lottery Double Colour Ball, issue 2026150" if english
        else "福彩双色球 2026150期")
    assert source_label("drand quicknet") == "drand quicknet"
    # a witness as a request's plan names them: position, name as typed, role
    assert source_label("见证人2：监管员 林若溪（监管人员）") == (
        "Witness 2: 监管员 林若溪 (Regulator officer)" if english
        else "见证人2：监管员 林若溪（监管人员）")
