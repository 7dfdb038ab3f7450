"""A city's or county's public pages (``/d/<code>/``): its home and its notices carry its own
requests and its name in the header and the title; the province-wide pages carry the
province's name once the platform serves more than one tenant; every older address works."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask

from market import timeutil
from market.accounts import tenants
from market.db import db
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.selection.test_tenant_public import _city_and_county
from tests.support.live import no_sideways_scroll, sized_page
from tests.support.page_cache import executed
from tests.support.selection_flow import publish


def _brand(html: str) -> str:
    found = re.search(r'<a class="brand" href="([^"]*)" data-test="brand">([^<]*)</a>', html)
    assert found is not None
    return f"{found.group(1)} {found.group(2)}"


def _title(html: str) -> str:
    found = re.search(r"<title>([^<]*)</title>", html)
    assert found is not None
    return found.group(1)


def test_a_city_home_shows_its_requests_and_its_name(app: Flask) -> None:
    ids = _city_and_county(app)
    client = app.test_client()
    city = client.get("/d/539800/")
    assert city.status_code == 200
    html = city.get_data(as_text=True)
    # the city's and its county's open notices, not the other city's
    assert "公告539800" in html and "公告539821" in html and "公告539900" not in html
    assert _brand(html) == "/d/539800/ 云岭市中介服务超市"
    assert _title(html).endswith("· 云岭市中介服务超市")
    assert 'href="/d/539800/notices?state=open"' in html
    county = client.get("/d/539821/").get_data(as_text=True)
    assert "公告539821" in county and "公告539800" not in county
    assert _brand(county) == "/d/539821/ 青石县中介服务超市"
    # the province-wide home: every request, the province's name, links to each place
    home = client.get("/").get_data(as_text=True)
    assert all(f"公告{code}" in home for code in ids)
    assert _brand(home) == "/ 云南省中介服务超市"
    assert 'data-test="home-places"' in home and 'href="/d/539821/"' in home


def test_a_city_notices_page_is_the_filtered_list(app: Flask) -> None:
    ids = _city_and_county(app)
    client = app.test_client()
    html = client.get("/d/539800/notices").get_data(as_text=True)
    assert ids["539800"] in html and ids["539821"] in html and ids["539900"] not in html
    assert 'data-test="notices-place"' in html and 'data-test="notices-division"' not in html
    assert _brand(html) == "/d/539800/ 云岭市中介服务超市"
    assert 'data-test="nav-notices"' in html
    assert re.search(r'href="/d/539800/notices"[^>]*data-test="nav-notices"', html)
    # the query parameter keeps working, with the same rows
    old = client.get("/notices?division=539800").get_data(as_text=True)
    assert ids["539800"] in old and ids["539821"] in old and ids["539900"] not in old
    assert _brand(old) == "/ 云南省中介服务超市"
    # the filters of the list apply under the city's address too
    assert ids["539800"] not in client.get(
        "/d/539800/notices?state=selected").get_data(as_text=True)


def test_unknown_province_and_unserved_codes_are_not_found(app: Flask) -> None:
    _city_and_county(app)
    with app.app_context():
        tenants.add("539822", "白水县", tenant=False)  # in the tree, not served
        tenants.add("539700", "澜屏市", tenant=False)  # a city none of whose counties is served
        db.session.commit()
    client = app.test_client()
    for code in ("110000", "530000", "539822", "539700", "5398", "53980x", "1234567"):
        assert client.get(f"/d/{code}/").status_code == 404, code
        assert client.get(f"/d/{code}/notices").status_code == 404, code
    # a city that is not itself a tenant but whose county is: the county's requests
    with app.app_context():
        tenants.add("539721", "松岭县", tenant=True)
        db.session.commit()
    assert client.get("/d/539700/").status_code == 200


def test_a_one_city_platform_keeps_its_configured_name(app: Flask) -> None:
    app.config["SITE_NAME"] = "某某中介服务超市"
    with app.app_context():
        tenants.home_tenant()
        db.session.commit()
    client = app.test_client()
    assert _brand(client.get("/").get_data(as_text=True)) == "/ 某某中介服务超市"
    assert _brand(client.get("/d/539900/").get_data(as_text=True)) == \
        "/d/539900/ 云川市中介服务超市"


def test_the_english_site_name(app: Flask) -> None:
    _city_and_county(app)
    client = app.test_client()
    client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client)})
    html = client.get("/d/539821/").get_data(as_text=True)
    assert "青石县 Intermediary Services Marketplace" in _brand(html)


@pytest.mark.browser
def test_a_city_home_at_phone_width(browser: Any, city: City, site: str) -> None:
    """Walk at 390 px from the province's home to the city's home, its open notices, and to
    a county of it, which has none."""
    with city.app.app_context():
        tenants.add("539921", "青石县", tenant=True)
        db.session.commit()
    with timeutil.frozen(START):
        req = publish(city)
        page = sized_page(browser, site, None, phone=True)
        page.goto(site + "/")
        assert page.inner_text("[data-test=brand]") == "云南省中介服务超市"
        page.click("[data-test=home-places] >> text=云川市")
        page.wait_for_url(site + "/d/539900/")
        page.wait_for_selector("[data-test=home-open]")
        assert page.inner_text("[data-test=brand]") == "云川市中介服务超市"
        assert page.title().endswith("· 云川市中介服务超市")
        no_sideways_scroll(page)
        page.click("[data-test=home-open] >> text=全部正在报名的公告")
        page.wait_for_selector("[data-test=notices-place]")
        assert page.url == site + "/d/539900/notices?state=open"
        assert page.locator(f"table >> text={req.title}").count() == 1
        no_sideways_scroll(page)
        page.screenshot(path="/tmp/place-notices-390.png", full_page=True)
        page.goto(site + "/d/539921/")
        page.wait_for_selector("[data-test=home-open]")
        assert page.inner_text("[data-test=brand]") == "青石县中介服务超市"
        assert "暂无正在报名的公告" in page.inner_text("[data-test=home-open]")
        page.click("[data-test=brand]")
        page.wait_for_url(site + "/d/539921/")
        no_sideways_scroll(page)
        page.screenshot(path="/tmp/place-home-390.png", full_page=True)


def test_a_division_list_reads_the_tenant_index_not_the_table(app: Flask) -> None:
    """The request lists of a division (notices and the API, their count and their page) go
    through the tenant index on SQLite: a scan of ``selection_request`` costs the whole
    province's requests (the province bench's county page was 2.4× the one city's)."""
    import sqlalchemy as sa

    _city_and_county(app)
    with app.app_context():
        db.session.execute(sa.text("ANALYZE"))
        # the planner's statistics of the province bench's data (100,000 requests, 20
        # tenants), not of these three rows: the plans are those of a loaded province
        db.session.execute(sa.text("DELETE FROM sqlite_stat1 WHERE tbl = 'selection_request'"))
        for index, stat in (("ix_selection_request_tenant_state_published", "100000 5000 1000 2"),
                            ("ix_selection_request_tenant_id", "100000 5000"),
                            ("ix_selection_request_state", "100000 20000"),
                            ("ix_selection_request_published_at", "100000 2"),
                            ("sqlite_autoindex_selection_request_1", "100000 1")):
            db.session.execute(sa.text("INSERT INTO sqlite_stat1 VALUES ('selection_request', "
                                       ":i, :s)"), {"i": index, "s": stat})
        db.session.commit()
    client = app.test_client()
    with executed(app) as sent:
        for path in ("/d/539821/notices", "/api/requests?division=539821"):
            assert client.get(path).status_code == 200
    seen = [(s, p) for s, p in sent if "FROM selection_request" in s
            and "division" not in s.split("FROM selection_request")[0]]
    with app.app_context():
        engine = db.engine
        lists = [(s, p) for s, p in seen if "tenant_id IN" in s]
        assert len(lists) == 4  # a count and a page, twice
        with engine.connect() as conn:
            raw = conn.connection.driver_connection
            raw.execute("ANALYZE sqlite_schema")  # read the statistics again
            for statement, params in lists:
                plan = " ".join(r[3] for r in raw.execute("EXPLAIN QUERY PLAN " + statement,
                                                          params).fetchall())
                assert "INDEX ix_selection_request_tenant" in plan, plan
                assert "SCAN selection_request" not in plan, plan


@pytest.mark.parametrize("code", ["539999", "000000", "53980", "abcdef", "5398001"])
def test_an_unknown_division_filter_is_refused_like_the_directorys(app: Flask,
                                                                   code: str) -> None:
    """The notice list and the API's request list refuse a code that is no division of the
    platform (400, the directory's words, the API's error shape) instead of answering an
    empty list; a division's own pages answer 404 for it."""
    ids = _city_and_county(app)
    client = app.test_client()
    api = client.get(f"/api/requests?division={code}")
    assert api.status_code == 400, api.get_data(as_text=True)
    error = api.get_json()["error"]
    assert error["code"] == "invalid_parameter" and error["message"].startswith("division")
    page = client.get(f"/notices?division={code}&state=open")
    html = page.get_data(as_text=True)
    assert page.status_code == 400
    assert re.search(r'<label class="has-error">地区\s*<select name="division"', html)
    assert f"未知的行政区划代码：{code}。" in html
    assert not any(public_id in html for public_id in ids.values())
    assert 'value="open" selected' in html  # what was chosen is kept
    assert client.get(f"/d/{code}/notices").status_code == 404
    missing = client.get(f"/d/{code}/")
    assert missing.status_code == 404 and "页面不存在" in missing.get_data(as_text=True)
    # a division of the platform still filters, on both
    assert [r["id"] for r in client.get("/api/requests?division=539821").get_json()["items"]] \
        == [ids["539821"]]
    assert client.get("/notices?division=539821").status_code == 200


def test_the_provinces_code_filters_every_division_under_it(app: Flask) -> None:
    """The province's code (530000) names the province with its cities and their counties."""
    ids = _city_and_county(app)
    client = app.test_client()
    listed = {r["id"] for r in client.get("/api/requests?division=530000").get_json()["items"]}
    assert listed == set(ids.values())
    html = client.get("/notices?division=530000").get_data(as_text=True)
    assert all(public_id in html for public_id in ids.values())


def test_a_citys_contract_notices_are_those_of_its_requests(
        demo_city_app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """``/d/<code>/contracts``: the contract notices of the place's requests (a city's with its
    counties'); the province-wide list keeps them all; the place's pages link to it."""
    import sqlalchemy as sa

    from market.engagements import views_public
    from market.engagements.models import Engagement
    from market.selection.models import SelectionRequest

    monkeypatch.setattr(views_public, "PER_PAGE", 1000)  # every notice on one page
    app = demo_city_app
    with app.app_context():
        rows = db.session.execute(
            sa.select(Engagement.public_id, SelectionRequest.tenant_id)
            .join(SelectionRequest, SelectionRequest.id == Engagement.request_id)
            .where(Engagement.contract_confirmed_at.is_not(None))).all()
        by_code = {code: {p for p, t in rows if t in {d.id for d in tenants.tenants()
                                                      if d.code[:4] == code[:4]}}
                   for code in ("539900", "539800")}
        everything = {p for p, _t in rows}
        db.session.remove()
    assert everything and by_code["539900"]
    client = app.test_client()

    def listed(path: str) -> set[str]:
        page = client.get(path)
        assert page.status_code == 200
        return set(re.findall(r'href="/contracts/([^"]+)"', page.get_data(as_text=True)))

    assert listed("/contracts") == everything
    for code, mine in by_code.items():
        assert listed(f"/d/{code}/contracts") == mine, code
    html = client.get("/d/539800/contracts").get_data(as_text=True)
    assert "<h1>云岭市 · 合同公告</h1>" in html and _brand(html) == "/d/539800/ 云岭市中介服务超市"
    assert 'href="/d/539800/contracts" data-test="home-contracts-all"' in client.get(
        "/d/539800/").get_data(as_text=True)
    assert 'href="/d/539800/contracts" data-test="contracts-link"' in client.get(
        "/d/539800/notices").get_data(as_text=True)
    assert client.get("/d/539999/contracts").status_code == 404
