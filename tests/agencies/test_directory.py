"""The public directory and the JSON API: search, filters, sorting, paging — on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask

from market.domain.fees import FeeKind, FeeSchedule
from tests.agencies.helpers import agency, catalogue, fixed


@pytest.fixture
def market(any_app: Flask) -> Flask:
    catalogue(any_app)
    agency(any_app, "云川青禾环境科技有限公司", region="云川市东城区", rating=480,
           listings={"EIA": fixed(80_000, 30), "COST": fixed(9_000, 10)})
    agency(any_app, "云川远山环境科技有限公司", region="云川市西岭区", rating=350,
           listings={"EIA": fixed(60_000, 45)})
    agency(any_app, "云川澄川勘测设计有限公司", region="云川市东城区", level="甲级",
           listings={"SURV": (FeeSchedule(FeeKind.RANGE, minimum_fen=2_000_000,
                                          maximum_fen=9_000_000), 15),
                     "EIA": (FeeSchedule(FeeKind.RATE, rate_bp=30, minimum_fen=5_000_000), 25)})
    agency(any_app, "云川明衡造价事务所有限公司", region="云川市南湖区", level="乙级",
           listings={"COST": fixed(12_000, 8)})
    return any_app


def _api(app: Flask, query: str) -> dict:  # type: ignore[type-arg]
    r = app.test_client().get("/api/agencies" + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


def _names(app: Flask, query: str) -> list[str]:
    return [a["name"] for a in _api(app, query)["items"]]


def test_filters_combine(market: Flask) -> None:
    assert len(_names(market, "")) == 4
    assert _names(market, "?service=EIA&sort=fee") == [
        "云川澄川勘测设计有限公司", "云川远山环境科技有限公司", "云川青禾环境科技有限公司"]
    assert _names(market, "?service=EIA&region=云川市东城区&days_max=30&sort=fee") == [
        "云川澄川勘测设计有限公司", "云川青禾环境科技有限公司"]
    assert _names(market, "?service=EIA&fee_min_fen=5500000&fee_max_fen=7000000") == [
        "云川远山环境科技有限公司"]
    assert _names(market, "?level=甲级") == ["云川澄川勘测设计有限公司"]
    assert _names(market, "?q=远山") == ["云川远山环境科技有限公司"]
    assert _names(market, "?days_max=9") == ["云川明衡造价事务所有限公司"]
    assert _names(market, "?service=COST&sort=days") == [
        "云川明衡造价事务所有限公司", "云川青禾环境科技有限公司"]


def test_rating_sort_puts_no_record_last(market: Flask) -> None:
    names = _names(market, "?sort=rating")
    assert names[:2] == ["云川青禾环境科技有限公司", "云川远山环境科技有限公司"]
    assert set(names[2:]) == {"云川澄川勘测设计有限公司", "云川明衡造价事务所有限公司"}
    assert len(_names(market, "?sort=on_time")) == 4


def test_search_by_credit_code(market: Flask) -> None:
    first = _api(market, "?q=远山")["items"][0]
    assert _names(market, "?q=" + first["credit_code"].lower()) == ["云川远山环境科技有限公司"]


def test_paging(market: Flask) -> None:
    page = _api(market, "?per_page=3&page=2")
    assert (page["total"], page["page"], page["per_page"], len(page["items"])) == (4, 2, 3, 1)
    assert _api(market, "?per_page=3&page=9")["items"] == []


@pytest.mark.parametrize("query", [
    "?service=NOPE", "?region=火星", "?level=特级", "?sort=price", "?per_page=1000",
    "?per_page=0", "?page=0", "?page=x", "?fee_min_fen=-1", "?days_max=0",
    "?fee_min_fen=9&fee_max_fen=1", "?bogus=1", "?fee_max_fen=99999999999999999999",
])
def test_bad_api_filters_answer_400_with_an_error(market: Flask, query: str) -> None:
    r = market.test_client().get("/api/agencies" + query)
    assert r.status_code == 400, (query, r.get_data(as_text=True))
    error = r.get_json()["error"]
    assert error["code"] in ("invalid_parameter", "unknown_parameter") and error["message"]


def test_directory_page_filters_and_errors(market: Flask) -> None:
    c = market.test_client()
    page = c.get("/agencies?service=EIA&region=云川市东城区&fee_max=60000&sort=fee"
                 ).get_data(as_text=True)
    assert "云川澄川勘测设计有限公司" in page and "云川青禾环境科技有限公司" not in page
    assert "共 1 家机构" in page
    assert "暂无记录" in page
    for query, message in (("?service=NOPE", "未知的服务事项代码"), ("?fee_min=abc", "以元为单位"),
                           ("?region=火星", "未知的地区"), ("?days_max=x", "请输入整数")):
        r = c.get("/agencies" + query)
        assert r.status_code == 400 and message in r.get_data(as_text=True)


def test_agency_detail_and_comparison(market: Flask) -> None:
    c = market.test_client()
    first = _api(market, "?level=甲级")["items"][0]
    detail = c.get(f"/api/agencies/{first['id']}").get_json()
    assert detail["qualifications"][0]["number_masked"] != "测绘甲字第0012345号"
    assert "*" in detail["qualifications"][0]["number_masked"]
    assert detail["performance"] == {"orders": 0, "on_time_rate_bp": None,
                                     "average_days_ratio_bp": None, "rating_centi": None}
    assert [li["service"] for li in detail["listings"]] == ["EIA", "SURV"]
    assert detail["listings"][0]["history"][0]["version"] == 1
    assert c.get("/api/agencies/AG-999999").status_code == 404
    page = c.get("/services/EIA").get_data(as_text=True)
    assert page.count('class="bar-fee"') == 3
    assert page.index("云川澄川勘测设计有限公司") < page.index("云川青禾环境科技有限公司")


def test_pending_agencies_are_not_public(any_app: Flask) -> None:
    from market.accounts.models import Role
    from tests.conftest import create_person

    p = create_person(any_app, Role.AGENCY_ADMIN, admitted=False)
    c = any_app.test_client()
    assert _api(any_app, "")["total"] == 0
    assert c.get(f"/agencies/AG-{p.org_id:06d}").status_code == 404
    assert c.get(f"/api/agencies/AG-{p.org_id:06d}").status_code == 404
