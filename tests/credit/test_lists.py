"""The red list (守信激励) and the black list (黑名单), public with the red list's criteria; the
red list moves the score; a sanction takes an agency off it; a repair takes one off the black
list."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.credit import score
from market.credit.models import Sanction
from market.db import db
from market.domain.credit_formula import RED_LIST_MIN_RATINGS
from tests.regulator.conftest import accepted_engagement, post
from tests.selection.conftest import START, City

RATING = {"quality": "5", "timeliness": "5", "attitude": "5", "fees": "5", "integrity": "5",
          "level": "very_satisfied", "comment": ""}


def _rate_five(city: City) -> None:
    for _ in range(RED_LIST_MIN_RATINGS):
        eng = accepted_engagement(city, 0)
        with timeutil.frozen(START):
            assert post(city, city.owner, f"/owner/engagements/{eng}/rating", RATING
                        ).status_code == 302


def _sanction(city: City, index: int, kind: str, start: str, end: str) -> int:
    r = post(city, city.regulator, "/regulator/sanctions/new", {
        "agency": city.agency_id(city.agencies[index]), "kind": kind, "reason": "出具虚假报告",
        "legal_basis": "《云川市中介服务管理办法》第二十条", "starts_on": start, "ends_on": end,
        "action": "confirm"})
    assert r.status_code == 302
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.max(Sanction.id)))


def test_the_red_list_is_earned_public_and_lost_with_a_sanction(city: City) -> None:
    _rate_five(city)
    name = city.agency_id(city.agencies[0])
    with timeutil.frozen(START):
        with city.app.app_context():
            assert score.red_list() == [city.agencies[0].org_id]
            inputs, result = score.explain(city.agencies[0].org_id)
            assert inputs.red_listed and "red_list" in [p.code for p in result.parts]
        page = city.app.test_client().get("/credit/lists").get_data(as_text=True)
        red = page.split('data-test="red-list"')[1].split("</table>")[0]
        assert name in red
        assert 'data-test="red-criteria"' in page and "95%" in page
        profile = city.app.test_client().get(f"/agencies/{name}").get_data(as_text=True)
        assert 'data-test="red-listed"' in profile
        formula = city.app.test_client().get("/credit").get_data(as_text=True)
        assert 'data-test="red-list-bonus"' in formula and "credit/v2" in formula
        # a warning, even one that ended, inside the period takes it off
        _sanction(city, 0, "warning", "2025-06-01", "2025-06-30")
        with city.app.app_context():
            assert score.red_list() == []
        profile = city.app.test_client().get(f"/agencies/{name}").get_data(as_text=True)
        assert 'data-test="red-listed"' not in profile


def test_a_poor_share_keeps_an_agency_off_the_red_list(city: City) -> None:
    _rate_five(city)
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START):
        assert post(city, city.owner, f"/owner/engagements/{eng}/rating",
                    {**RATING, "level": "dissatisfied"}).status_code == 302  # 5 of 6: 83 %
        with city.app.app_context():
            assert score.red_list() == []


def test_the_black_list_shows_blacklistings_in_force_until_repaired(city: City) -> None:
    with timeutil.frozen(START):
        sid = _sanction(city, 1, "blacklist", "2025-01-15", "2027-01-14")
        name = city.agency_id(city.agencies[1])
        black = city.app.test_client().get("/credit/lists").get_data(as_text=True).split(
            'data-test="black-list"')[1]
        assert name in black
        assert post(city, city.regulator, f"/regulator/sanctions/{sid}/repair", {
            "repaired_on": "2026-03-02", "decision": "云川信修〔2026〕4号",
            "reason": "已纠正失信行为并履行全部义务"}).status_code == 302
        black = city.app.test_client().get("/credit/lists").get_data(as_text=True).split(
            'data-test="black-list"')[1]
        assert name not in black
