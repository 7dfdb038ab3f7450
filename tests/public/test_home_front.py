"""The home page as the city's front window, for a visitor who is not logged in: a notice open
for sign-up with its deadline, gone from there the moment the sign-up closes (a cached copy is
not kept past a deadline); the day's draw; the latest result; last month's headline figures;
the search over notices; the open data; and it fits a phone."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from market import timeutil
from market.accounts import operations as ops
from market.accounts.models import Organisation, OrgKind, OrgStatus
from market.db import db
from market.selection.models import Lottery
from tests.conftest import csrf_token
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.selection.conftest import START, City, enter_external
from tests.support.live import no_sideways_scroll, sized_page
from tests.support.selection_flow import publish, sign_up


def _section(client: FlaskClient, name: str) -> str:
    html = client.get("/").get_data(as_text=True)
    start = html.index(f'data-test="{name}"')
    return html[start:html.index("</section>", start)]


def test_the_front_window_follows_a_selection(city: City) -> None:
    anyone = city.app.test_client()
    with timeutil.frozen(START):
        assert "暂无正在报名的公告" in _section(anyone, "home-open")  # cached…
        req = publish(city)
        opened = _section(anyone, "home-open")  # …and fresh on the next request
        assert req.title in opened and "2026-03-09" in opened  # its deadline, Beijing time
        for a in city.agencies[:3]:
            assert sign_up(city, a, req.public_id) == 302
        assert "2026-02" in _section(anyone, "home-headline")
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(req.signup_closes_at + timedelta(seconds=1)):
        # time alone closed it: not kept from the cached copy
        assert req.title not in _section(anyone, "home-open")
        anyone.get(f"/lotteries/{lottery_id}")  # the close happens
    with timeutil.frozen(external_at - timedelta(hours=1)):
        for who, value in ((city.delegate, "20260309"), (city.regulator, "88112233")):
            c = city.client(who)
            assert c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}
            ).status_code == 302
        draws = _section(anyone, "home-draws")
        assert req.title in draws and f"/lotteries/{lottery_id}/hall" in draws
    with timeutil.frozen(external_at + timedelta(minutes=20)):
        enter_external(city, lottery_id, external_at)
        assert req.title in _section(anyone, "home-results")
    found = anyone.get("/notices?q=" + req.title[:4]).get_data(as_text=True)
    assert req.public_id in found
    assert req.public_id not in anyone.get("/notices?q=不存在的公告").get_data(as_text=True)
    open_data = _section(anyone, "home-open-data")
    assert "/api/ocds/releases.json" in open_data and "/api/openapi.json" in open_data


@pytest.mark.browser
def test_the_front_window_fits_a_phone(browser: Any, city: City, site: str) -> None:
    with timeutil.frozen(START):
        publish(city)
        page = sized_page(browser, site, None, phone=True)
        page.goto(site + "/")
        assert page.locator("[data-test=home-open] li a").count() == 1
        page.fill("#home-q-notices", "第三小学")
        page.press("#home-q-notices", "Enter")
        page.wait_for_selector("[data-test=notices-q]")
        assert page.input_value("[data-test=notices-q]") == "第三小学"
        page.go_back()
        no_sideways_scroll(page)
        page.screenshot(path="/tmp/home-390.png", full_page=True)


def test_the_front_window_lists_the_latest_contract_notices(city: City) -> None:
    """A contract confirmed by both sides shows among the latest contract notices (合同公告) on
    the home page at once — the cached copy is not kept past the confirmation — and links to
    its notice and to the whole list."""
    anyone = city.app.test_client()
    award_id = make_award(city.app, city)
    with timeutil.frozen(START):
        eid = engagement_id_of(city.app, award_id)
        before = _section(anyone, "home-contracts")  # cached…
        assert "暂无合同公告" in before and 'href="/contracts"' in before
        owner, agency = city.client(city.owner), city.client(city.agencies[0])
        assert post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code == 302
        assert eid not in _section(anyone, "home-contracts")  # not confirmed: not public
        assert post(owner, f"/engagements/{eid}/contract/confirm").status_code == 302
        after = _section(anyone, "home-contracts")  # …and fresh on the next request
    assert f'href="/contracts/{eid}"' in after
    with city.app.app_context():
        agency = db.session.get(Organisation, city.agencies[0].org_id)
        assert agency is not None and agency.name in after


def _number(section: str, label: str) -> str:
    found = re.search(r'<span class="num">(\d+)</span><span>' + label, section)
    assert found is not None, label
    return found.group(1)


def test_the_counters_and_the_headline_change_on_the_next_request(city: City) -> None:
    """The home page is served from its cache while nothing changes; the operator activating
    an owner shows in the owners' counter on the very next request, and the first request of a
    new month shows the month just ended in the headline figures (not the day's cached copy)."""
    anyone = city.app.test_client()
    with city.app.app_context():
        owner = ops.create_organisation(OrgKind.OWNER, "云川市第九中学", region="云川市",
                                        status=OrgStatus.PENDING)
        db.session.commit()
        owner_id = owner.public_id
    with timeutil.frozen(START):
        before = _number(anyone.get("/").get_data(as_text=True), "项目业主")
        operator = city.client(city.operator)
        assert operator.post(f"/operator/owners/{owner_id}/activate", data={
            "csrf_token": csrf_token(operator, "/operator/owners")}).status_code == 302
        after = _number(anyone.get("/").get_data(as_text=True), "项目业主")
        assert int(after) == int(before) + 1
        assert "上月统计（2026-02）" in _section(anyone, "home-headline")
        publish(city)  # published in March
        assert "上月统计（2026-02）" in _section(anyone, "home-headline")
    # 00:00:30 on 1 April in Beijing: March has ended
    with timeutil.frozen(datetime(2026, 3, 31, 16, 0, 30, tzinfo=UTC)):
        headline = _section(anyone, "home-headline")
    assert "上月统计（2026-03）" in headline
    assert re.search(r"<dt>发布采购公告</dt><dd>1</dd>", headline), headline
