"""The directory's division filter (``/agencies?division=``, ``/api/agencies?division=``): the
agencies admitted in a city with its counties', or in one county; on SQLite and PostgreSQL,
with and without a service filter (two different query paths), through the response cache."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse as Response

from market import pagecache
from market.accounts import tenants
from market.accounts.audit import AuditEvent
from market.agencies import directory
from market.agencies import operations as ops
from market.agencies.directory import DirectoryFilter
from market.agencies.models import Listing
from market.catalogue.models import ServiceType
from market.db import db
from tests.agencies.helpers import agency, catalogue, first_user, fixed, org_by_public_id
from tests.support.live import open_page, serve

HOME, CITY, COUNTY = "539900", "539800", "539821"  # 云川市 (the first tenant), 云岭市, 青石县
NAMES = {HOME: "云川青禾环境科技有限公司", CITY: "云岭远山环境科技有限公司",
         COUNTY: "青石澄川勘测设计有限公司"}


def _province(app: Flask) -> Flask:
    """Three tenants (a city, a second city and one of its counties), an agency in each."""
    catalogue(app)
    with app.app_context():
        tenants.home_tenant()
        tenants.add(CITY, "云岭市", tenant=True)
        tenants.add(COUNTY, "青石县", tenant=True)
        db.session.commit()
    agency(app, NAMES[HOME], listings={"EIA": fixed(80_000, 30)})
    agency(app, NAMES[CITY], tenant=CITY, listings={"EIA": fixed(60_000, 45)})
    agency(app, NAMES[COUNTY], tenant=COUNTY,
           listings={"EIA": fixed(70_000, 25), "COST": fixed(9_000, 10)})
    return app


@pytest.fixture
def province(any_app: Flask) -> Flask:
    return _province(any_app)


def _api_names(app: Flask, query: str) -> list[str]:
    r = app.test_client().get("/api/agencies" + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return [a["name"] for a in r.get_json()["items"]]


def _page_names(app: Flask, query: str) -> list[str]:
    r = app.test_client().get("/agencies" + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    page = r.get_data(as_text=True)
    return [n for n in NAMES.values() if n in page]


@pytest.mark.parametrize("service", ["", "&service=EIA&sort=fee", "&service=EIA",
                                     "&service=EIA&sort=days&days_max=60"])
def test_api_filters_by_a_city_with_its_counties_and_by_a_county(province: Flask,
                                                                 service: str) -> None:
    assert set(_api_names(province, "?division=" + CITY + service)) == {NAMES[CITY],
                                                                         NAMES[COUNTY]}
    assert _api_names(province, "?division=" + COUNTY + service) == [NAMES[COUNTY]]
    assert _api_names(province, "?division=" + HOME + service) == [NAMES[HOME]]
    assert len(_api_names(province, "?division=" + service)) == 3  # empty: no filter
    r = province.test_client().get("/api/agencies?division=" + CITY + service)
    assert r.get_json()["total"] == 2


def test_city_division_under_fee_sort_is_in_fee_order(province: Flask) -> None:
    assert _api_names(province, f"?division={CITY}&service=EIA&sort=fee") == [
        NAMES[CITY], NAMES[COUNTY]]
    assert _api_names(province, f"?division={CITY}&service=COST") == [NAMES[COUNTY]]


def test_page_filters_by_division_and_keeps_the_choice(province: Flask) -> None:
    assert set(_page_names(province, "?division=" + CITY)) == {NAMES[CITY], NAMES[COUNTY]}
    assert _page_names(province, "?division=" + COUNTY) == [NAMES[COUNTY]]
    assert _page_names(province, f"?division={COUNTY}&service=EIA&sort=fee") == [NAMES[COUNTY]]
    page = province.test_client().get("/agencies?division=" + CITY).get_data(as_text=True)
    assert "共 2 家机构" in page
    select = page[page.index('data-test="directory-division"'):]
    select = select[:select.index("</select>")]
    assert all(name in select for name in ("云川市", "云岭市", "青石县"))
    assert f'value="{CITY}" selected' in select
    assert f'value="{COUNTY}" selected' not in select


def test_pager_links_keep_the_division(province: Flask) -> None:
    province.config["DIRECTORY_PER_PAGE"] = 1
    page = province.test_client().get(f"/agencies?division={CITY}").get_data(as_text=True)
    links = re.findall(r'href="(/agencies\?[^"]*page=2[^"]*)"', page)
    assert links and all(f"division={CITY}" in link for link in links)
    second = province.test_client().get(links[0].replace("&amp;", "&")).get_data(as_text=True)
    assert "共 2 家机构" in second


def test_no_division_choice_while_one_tenant_is_served(any_app: Flask) -> None:
    catalogue(any_app)
    agency(any_app, NAMES[HOME], listings={"EIA": fixed(80_000, 30)})
    page = any_app.test_client().get("/agencies").get_data(as_text=True)
    assert 'name="division"' not in page
    # the filter still answers for the one tenant (a link made elsewhere)
    assert _api_names(any_app, "?division=" + HOME) == [NAMES[HOME]]


@pytest.mark.parametrize("code", ["539999", "000000", "53990", "abcdef", "5399001"])
def test_unknown_division_is_refused_and_nothing_changes(province: Flask, code: str) -> None:
    def state() -> tuple[object, ...]:
        with province.app_context():
            return (db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
                    pagecache.generation(pagecache.DIRECTORY),
                    db.session.execute(sa.select(Listing.id, Listing.tenant_id)
                                       .order_by(Listing.id)).all())

    before = state()
    c = province.test_client()
    for service in ("", "&service=EIA"):
        r = c.get(f"/api/agencies?division={code}{service}")
        assert r.status_code == 400, r.get_data(as_text=True)
        error = r.get_json()["error"]
        assert error["code"] == "invalid_parameter" and "division" in error["message"]
        r = c.get(f"/agencies?division={code}{service}")
        body = r.get_data(as_text=True)
        assert r.status_code == 400 and "未知的行政区划代码" in body
        assert 'class="field has-error"><label for="division">' in body
        assert not any(name in body for name in NAMES.values())
    assert state() == before


def test_a_listing_follows_its_agencys_tenant(province: Flask) -> None:
    """No operation moves an agency to another tenant today; whatever code changes
    ``Organisation.tenant_id`` through the ORM, its listings (loaded or not) follow."""
    moved = agency(province, "云川移居咨询有限公司", listings={"EIA": fixed(50_000, 20)})
    assert NAMES[COUNTY] in _api_names(province, f"?division={COUNTY}&service=EIA")
    assert "云川移居咨询有限公司" not in _api_names(province, f"?division={COUNTY}")
    with province.app_context():
        org = org_by_public_id(moved)
        loaded = db.session.scalars(sa.select(Listing).where(
            Listing.organisation_id == org.id)).one()
        org.tenant_id = tenants.by_code(COUNTY).id  # type: ignore[union-attr]
        db.session.flush()
        assert loaded.tenant_id == org.tenant_id  # the loaded object sees it without refresh
        db.session.commit()
    for query in (f"?division={COUNTY}&service=EIA", f"?division={COUNTY}",
                  f"?division={CITY}&service=EIA&sort=fee"):
        assert "云川移居咨询有限公司" in _api_names(province, query), query
        assert "云川移居咨询有限公司" in province.test_client().get(
            "/agencies" + query).get_data(as_text=True), query
    assert "云川移居咨询有限公司" not in _api_names(province, f"?division={HOME}&service=EIA")
    # a listing published after the move starts in the new tenant too
    with province.app_context():
        org = org_by_public_id(moved)
        cost = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "COST"))
        listing = ops.save_listing(org, first_user(org), cost, fixed(8_000, 9)[0], 9)
        db.session.commit()
        assert listing.tenant_id == tenants.by_code(COUNTY).id  # type: ignore[union-attr]
    assert "云川移居咨询有限公司" in _api_names(province, f"?division={COUNTY}&service=COST")


def _shown(response: Response) -> str:
    """The agencies' names in a page or an API answer (JSON escapes non-ASCII)."""
    if response.is_json:
        return " ".join(a["name"] for a in response.get_json()["items"])
    return response.get_data(as_text=True)


def test_the_cache_keeps_each_divisions_page_apart(province: Flask) -> None:
    c = province.test_client()
    for path in ("/agencies", "/api/agencies"):
        for service in ("", "?service=EIA"):
            sep = "&" if service else "?"
            for _round in range(2):  # the second round is served from the cache
                county = _shown(c.get(f"{path}{service}{sep}division={COUNTY}"))
                home = _shown(c.get(f"{path}{service}{sep}division={HOME}"))
                assert NAMES[COUNTY] in county and NAMES[HOME] not in county
                assert NAMES[HOME] in home and NAMES[COUNTY] not in home
    # a tenant opened later is a choice (and a valid filter) at once, cached pages or not
    with province.app_context():
        tenants.add("539802", "云岭市新区", tenant=True)
        db.session.commit()
    page = c.get("/agencies").get_data(as_text=True)
    assert "云岭市新区" in page
    assert c.get("/api/agencies?division=539802").get_json()["total"] == 0


@pytest.mark.parametrize("code", [COUNTY, CITY])
def test_a_divisions_queries_read_its_tenants_listings_only(app: Flask, code: str) -> None:
    """With a service filter, the count and the page read ``ix_listing_dir_tenant_fee`` (the
    division's tenants' ranges) and never ``organisation``; the page is sorted from those rows,
    not found by walking the whole service's fee, days or id index (SQLite's plans)."""
    catalogue(app)
    with app.app_context():
        tenants.home_tenant()
        tenants.add(CITY, "云岭市", tenant=True)
        tenants.add(COUNTY, "青石县", tenant=True)
        db.session.commit()
    agency(app, NAMES[COUNTY], tenant=COUNTY, listings={"EIA": fixed(70_000, 25)})
    plans = []

    def capture(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        if statement.lstrip().startswith("SELECT") and "FROM listing" in statement \
                and "listing.id" not in statement:
            plans.append((statement, " | ".join(
                row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                       tuple(params)))))

    with app.test_request_context("/agencies"):
        sa.event.listen(db.engine, "after_cursor_execute", capture)
        try:
            for f in (DirectoryFilter(service="EIA", division=code, sort="fee"),
                      DirectoryFilter(service="EIA", division=code, sort="days"),
                      DirectoryFilter(service="EIA", division=code, fee_max_fen=9_000_000),
                      DirectoryFilter(service="EIA", division=code)):
                assert directory.search(f).total == 1
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", capture)
    assert len(plans) == 8
    for statement, plan in plans:
        assert "ix_listing_dir_tenant_fee" in plan, (statement, plan)
        assert "organisation" not in plan, (statement, plan)


@pytest.mark.browser
def test_choosing_a_division_in_the_browser_at_phone_width(app: Flask, browser) -> None:  # noqa: ANN001
    _province(app)
    with serve(app) as site:
        page = open_page(browser, site, None, viewport={"width": 390, "height": 844})
        page.goto(site + "/agencies")
        page.wait_for_selector("[data-test=directory-division]")
        page.select_option("[data-test=directory-division]", CITY)
        page.click("[data-test=search]")
        page.wait_for_url(f"**division={CITY}**")
        page.wait_for_selector("[data-test=total]")
        assert page.inner_text("[data-test=total]") == "共 2 家机构"
        assert page.input_value("[data-test=directory-division]") == CITY
        body = page.inner_text("main")
        assert NAMES[CITY] in body and NAMES[COUNTY] in body and NAMES[HOME] not in body
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.goto(site + "/agencies?division=539999")
        page.wait_for_selector("[data-test=filter-error]")
        assert "未知的行政区划代码" in page.inner_text("[data-test=filter-error]")


def test_a_citys_directory_shows_the_provinces_agencies(app: Flask) -> None:
    """``/d/<code>/agencies``: every agency on the province's register (one register, 一地入驻、
    全省通行), the division filter offered and not applied, a link to those admitted in the
    place, the place's header and navigation; the filters work under the prefix."""
    _province(app)
    c = app.test_client()
    r = c.get(f"/d/{CITY}/agencies")
    assert r.status_code == 200
    html = r.get_data(as_text=True)
    assert [n for n in NAMES.values() if n in html] == list(NAMES.values())
    assert re.search(r"<h1>云岭市 · 中介机构</h1>", html)
    assert 'data-test="directory-division"' in html and 'selected>云岭市' not in html
    admitted = re.search(r'href="([^"]+)" data-test="directory-place-admitted"', html)
    assert admitted is not None
    assert admitted.group(1).replace("&amp;", "&") == f"/d/{CITY}/agencies?division={CITY}"
    # the place's header: its name, and its home, notices and directory under its prefix
    assert re.search(rf'<a class="brand" href="/d/{CITY}/" data-test="brand">云岭市', html)
    assert re.search(rf'href="/d/{CITY}/agencies" data-test="nav-directory"', html)
    assert re.search(rf'href="/d/{CITY}/notices" data-test="nav-notices"', html)
    # the division filter under the prefix: the city with its county, and kept in the form
    narrowed = c.get(admitted.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert [n for n in NAMES.values() if n in narrowed] == [NAMES[CITY], NAMES[COUNTY]]
    assert f'value="{CITY}" selected' in narrowed
    assert 'data-test="directory-place-admitted"' not in narrowed
    other = c.get(f"/d/{CITY}/agencies?division={HOME}&service=EIA").get_data(as_text=True)
    assert [n for n in NAMES.values() if n in other] == [NAMES[HOME]]
    # a bad filter: 400 next to it, under the prefix too
    bad = c.get(f"/d/{CITY}/agencies?division=539999")
    assert bad.status_code == 400 and "未知的行政区划代码" in bad.get_data(as_text=True)
    # the place's home and notices link to its directory; the province's pages do not
    home = c.get(f"/d/{CITY}/").get_data(as_text=True)
    assert f'action="/d/{CITY}/agencies"' in home
    assert re.search(rf'href="/d/{CITY}/agencies" data-test="nav-directory"',
                     c.get(f"/d/{CITY}/notices").get_data(as_text=True))
    province_wide = c.get("/agencies").get_data(as_text=True)
    assert re.search(r'href="/agencies" data-test="nav-directory"', province_wide)
    assert 'data-test="directory-place"' not in province_wide


@pytest.mark.parametrize("code", ["539999", "530000", "5398", "53980x", "5398001"])
def test_an_unserved_places_directory_is_not_found(app: Flask, code: str) -> None:
    _province(app)
    r = app.test_client().get(f"/d/{code}/agencies")
    assert r.status_code == 404 and "您要找的页面不存在" in r.get_data(as_text=True)
