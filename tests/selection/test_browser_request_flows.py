"""The owner's request flows in a real browser, at desktop and phone width (390 px): correcting
a draft and a published notice, the guided form's errors, requirements from the catalogue, a
failed request re-announced or withdrawn, and the award passing to the alternate."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection.models import Lottery, SelectionRequest
from tests.conftest import create_person
from tests.selection.conftest import START, City
from tests.support.live import no_sideways_scroll as _no_sideways_scroll
from tests.support.live import sized_page as _page
from tests.support.selection_flow import assign_to_delegate as _assign_to_delegate
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up

pytestmark = pytest.mark.browser



def choose_witnesses(page: Any, ids: list[str]) -> None:
    """Fill the witness positions in order (见证人1, 见证人2, …) and empty the rest."""
    page.wait_for_selector("form.wizard select[name=witnesses]")
    slots = page.query_selector_all("select[name=witnesses]")
    assert len(slots) >= len(ids)
    for i, slot in enumerate(slots):
        slot.select_option(ids[i] if i < len(ids) else "")


def _user_id(city: City, who: Any) -> str:
    with city.app.app_context():
        return str(db.session.scalar(sa.select(User.id).where(User.email == who.email)))


def _witness_labels(city: City, public_id: str) -> list[str]:
    with city.app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))
        return [w.user.email for w in req.witnesses]


def _draft_via_client(city: City) -> str:
    from tests.conftest import csrf_token

    c = city.client(city.owner)
    data = _request_form(city, _project(city))
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    return r.headers["Location"].rsplit("/", 1)[1]


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_owner_edits_a_draft_reordering_and_changing_witnesses(
        browser: Any, city: City, site: str, phone: bool) -> None:
    extra = create_person(city.app, "regulator")
    with timeutil.frozen(START):
        public_id = _draft_via_client(city)
        page = _page(browser, site, city.owner.email, phone)
        page.goto(f"{site}/owner/requests/{public_id}")
        page.click("[data-test=edit-draft]")
        page.fill("input[name=title]", "第三小学改扩建环评（更正标题）")
        # regulator first, then a second regulator; the delegate is dropped
        choose_witnesses(page, [_user_id(city, city.regulator), _user_id(city, extra)])
        page.click("form.wizard >> button[type=submit]")
        page.wait_for_selector("text=草稿已保存")
        assert "第三小学改扩建环评（更正标题）" in page.inner_text("h1")
        if phone:
            _no_sideways_scroll(page)
        # and back again: the same two people in the other order, then the delegate added
        assert _witness_labels(city, public_id) == [city.regulator.email, extra.email]
        page.click("[data-test=edit-draft]")
        choose_witnesses(page, [_user_id(city, extra), _user_id(city, city.regulator),
                                _user_id(city, city.delegate)])
        page.click("form.wizard >> button[type=submit]")
        page.wait_for_selector("text=草稿已保存")
        page.click("[data-test=publish]")
        page.wait_for_selector("text=公告已发布")
    assert _witness_labels(city, public_id) == [extra.email, city.regulator.email,
                                                city.delegate.email]
    with city.app.app_context():
        plan = db.session.scalar(sa.select(Lottery)).announcement["entropy_plan"]
        assert len(plan) == 4 and plan[0]["label"].startswith("见证人1")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_owner_amends_a_published_notice_changing_witnesses(
        browser: Any, city: City, site: str, phone: bool) -> None:
    with timeutil.frozen(START):
        req = _publish(city)
        public_id = req.public_id
        assert _sign_up(city, city.agencies[0], public_id) == 302
    with timeutil.frozen(START + timedelta(days=1)):
        # the delegate acts on the projects the administrator assigned to it
        _assign_to_delegate(city, req.project_id)
        page = _page(browser, site, city.delegate.email, phone)
        page.goto(f"{site}/owner/requests/{public_id}")
        page.click("[data-test=amend]")
        page.fill("textarea[name=scope]", "编制环境影响报告书")
        # the same two witnesses, the other way round
        choose_witnesses(page, [_user_id(city, city.regulator), _user_id(city, city.delegate)])
        page.fill("textarea[name=reason]", "服务范围由报告表改为报告书")
        page.click("form.wizard >> button[type=submit]")
        page.wait_for_selector("text=更正公告已发布")
        if phone:
            _no_sideways_scroll(page)
        anyone = _page(browser, site, None, phone)
        anyone.goto(f"{site}/notices/{public_id}")
        text = anyone.inner_text("main")
        assert "编制环境影响报告书" in text and "服务范围由报告表改为报告书" in text
        assert "第 2 版" in text
    assert _witness_labels(city, public_id) == [city.regulator.email, city.delegate.email]
    with city.app.app_context():
        assert [lt.state for lt in db.session.scalars(
            sa.select(Lottery).order_by(Lottery.id))] == ["void", "open"]


def _catalogue(city: City) -> None:
    from tests.support.selection_flow import require_qualifications as fill

    fill(city.app)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_guided_form_shows_every_error_at_once_and_offers_the_services_types(
        browser: Any, city: City, site: str, phone: bool) -> None:
    _catalogue(city)
    with timeutil.frozen(START):
        _project(city)
        page = _page(browser, site, city.owner.email, phone)
        page.goto(f"{site}/owner/requests/new")
        # the requirement lists follow the chosen service (the page's script)
        page.select_option("select[name=service_code]", "SURV")
        visible = page.eval_on_selector_all(
            "select[name=qualification_type] option:not([hidden])", "os => os.map(o => o.value)")
        assert visible == ["", "测绘资质"]
        page.select_option("select[name=service_code]", "EIA")
        visible = page.eval_on_selector_all(
            "#practitioners-0-kind option:not([hidden])", "os => os.map(o => o.value)")
        assert visible == ["", "注册核安全工程师", "环境影响评价工程师"]
        # errors in steps 1, 2, 3, 4 and 6, all at once
        page.fill("textarea[name=scope]", "编制环境影响报告表（保留）")
        page.select_option("select[name=qualification_level]", "乙级")
        page.fill("#practitioners-0-count", "2")
        page.check("input[name=price_kind][value=fixed]")
        page.fill("input[name=price]", "三万")
        page.fill("input[name=service_days]", "20")
        page.click("form.wizard >> button[type=submit]")
        page.wait_for_selector("#title-msg")
        shown = {e.get_attribute("id"): e.inner_text()
                 for e in page.query_selector_all("p.error")}
        assert set(shown) >= {"title-msg", "qualification_type-msg", "practitioners-0-kind-msg",
                              "price-msg", "signup_closes_at-msg", "witnesses-msg"}
        assert page.input_value("textarea[name=scope]") == "编制环境影响报告表（保留）"
        assert page.input_value("input[name=price]") == "三万"
        assert page.input_value("#practitioners-0-count") == "2"
        if phone:
            _no_sideways_scroll(page)
        # each error sits by its own field: the title's right under the title input
        title_box = page.locator("input[name=title]").bounding_box()
        msg_box = page.locator("#title-msg").bounding_box()
        assert 0 <= msg_box["y"] - (title_box["y"] + title_box["height"]) < 40
        # fixed, every step: saved, and the preview counts who could sign up
        closes = (START + timedelta(days=7)).astimezone(timeutil.SHANGHAI)
        page.fill("input[name=title]", "第三小学改扩建环评")
        page.select_option("select[name=qualification_type]", "环境影响评价资质")
        page.select_option("#practitioners-0-kind", "环境影响评价工程师")
        page.fill("input[name=price]", "30000")
        page.fill("input[name=signup_closes_at]", closes.strftime("%Y-%m-%dT%H:%M"))
        choose_witnesses(page, [_user_id(city, city.delegate), _user_id(city, city.regulator)])
        page.click("form.wizard >> button[type=submit]")
        page.wait_for_selector("text=草稿已保存")
        assert page.get_attribute("[data-test=eligible-now]", "data-count") == "0"
        assert page.is_visible("[data-test=eligible-warning]")
        if phone:
            _no_sideways_scroll(page)


def _failed_request(city: City) -> str:
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:2]:
            assert _sign_up(city, a, req.public_id) == 302
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        city.app.test_client().get(f"/notices/{req.public_id}")
    return req.public_id


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_owner_re_announces_a_failed_request_and_anyone_follows_the_links(
        browser: Any, city: City, site: str, phone: bool) -> None:
    failed_id = _failed_request(city)
    with timeutil.frozen(START + timedelta(days=7, hours=2)):
        page = _page(browser, site, city.owner.email, phone)
        page.goto(f"{site}/owner/requests/{failed_id}")
        assert "有效报名不足" in page.inner_text("[data-test=next-step]")
        if phone:
            _no_sideways_scroll(page)
        page.click("[data-test=reannounce]")
        page.wait_for_selector("[data-test=reannouncing]")
        assert page.input_value("input[name=title]") == "第三小学改扩建环评"
        page.fill("input[name=title]", "第三小学改扩建环评（重新公告）")
        page.fill("input[name=price]", "36000")
        page.click("form.wizard >> button[type=submit]")
        page.wait_for_selector("text=重新公告的草稿已保存")
        page.click("[data-test=publish]")
        page.wait_for_selector("text=公告已发布")
        new_id = page.url.rsplit("/", 1)[1]
        assert new_id != failed_id
        anyone = _page(browser, site, None, phone)
        anyone.goto(f"{site}/notices/{failed_id}")
        anyone.click("[data-test=reannounced-as] a")
        anyone.wait_for_selector("[data-test=reannounces]")
        assert anyone.url.endswith(f"/notices/{new_id}")
        assert "36,000.00" in anyone.inner_text("main")
        anyone.click("[data-test=reannounces] a")
        anyone.wait_for_selector("[data-test=failed-reason]")
        if phone:
            _no_sideways_scroll(anyone)


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_delegate_withdraws_an_open_request_and_the_agency_is_told(
        browser: Any, city: City, site: str, phone: bool) -> None:
    with timeutil.frozen(START):
        req = _publish(city)
        assert _sign_up(city, city.agencies[0], req.public_id) == 302
    with timeutil.frozen(START + timedelta(days=1)):
        # the delegate acts on the projects the administrator assigned to it
        _assign_to_delegate(city, req.project_id)
        page = _page(browser, site, city.delegate.email, phone)
        page.goto(f"{site}/owner/requests/{req.public_id}")
        page.click("[data-test=withdraw-submit]")  # no reason: the error next to the field
        page.wait_for_selector("#reason-msg")
        page.fill("textarea[name=reason]", "项目暂缓实施")
        page.click("[data-test=withdraw-submit]")
        page.wait_for_selector("text=公告已撤销")
        assert "项目暂缓实施" in page.inner_text("[data-test=cancelled]")
        if phone:
            _no_sideways_scroll(page)
        agency = _page(browser, site, city.agencies[0].email, phone)
        agency.goto(f"{site}/notifications")
        assert "采购公告已撤销" in agency.inner_text("main")
        agency.goto(f"{site}/agency/signups")
        assert "项目暂缓实施" in agency.inner_text(f"[data-test=result-{req.public_id}]")
        anyone = _page(browser, site, None, phone)
        anyone.goto(f"{site}/notices/{req.public_id}")
        assert "项目暂缓实施" in anyone.inner_text("[data-test=cancel-reason]")
        anyone.click("text=LT-")
        assert "业主撤销公告：项目暂缓实施" in anyone.inner_text("main")


@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_after_a_decline_the_notice_and_draw_page_name_the_alternate(
        browser: Any, city: City, site: str, phone: bool, tmp_path: Any) -> None:
    from tests.conftest import csrf_token
    from tests.support.selection_flow import lottery_to_draw as _lottery_to_draw
    from tests.support.selection_flow import person as _person

    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, drawn_at = lot.record["ranking"], lot.drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        c = city.client(_person(city, ranking[0]))
        c.post("/agency/awards/1/decline", data={
            "reason": "项目负责人调离", "csrf_token": csrf_token(c, "/agency/awards")})
        anyone = _page(browser, site, None, phone)
        anyone.goto(f"{site}/notices/{rid}")
        assert anyone.inner_text("[data-test=awarded]") == ranking[1]
        assert ranking[1] in anyone.inner_text("[data-test=now-awarded]")
        assert "项目负责人调离" in anyone.inner_text("[data-test=award-changes]")
        if phone:
            _no_sideways_scroll(anyone)
        anyone.goto(f"{site}/lotteries/{lottery_id}")
        assert anyone.inner_text("[data-test=winner]") == ranking[0]
        current = anyone.inner_text("[data-test=current-award]")
        assert ranking[1] in current and "项目负责人调离" in current
        if phone:
            _no_sideways_scroll(anyone)
        owner = _page(browser, site, city.owner.email, phone)
        owner.goto(f"{site}/owner/requests/{rid}")
        assert owner.inner_text("[data-test=owner-result] [data-test=awarded]") == ranking[1]
