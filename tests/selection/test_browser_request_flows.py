"""The owner's request flows in a real browser, at desktop and phone width (390 px): correcting
a draft and a published notice, the guided form's errors, requirements from the catalogue, a
failed request re-announced or withdrawn, and the award passing to the alternate."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection.models import Lottery, SelectionRequest
from tests.conftest import PASSWORD, create_person
from tests.selection.conftest import START, City
from tests.selection.test_lottery_flow import _project, _publish, _request_form, _sign_up
from tests.support.live import serve

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


def _page(browser: Any, site: str, email: str | None, phone: bool = False) -> Any:
    context = browser.new_context(viewport=PHONE) if phone else browser.new_context()
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    if email:
        page.goto(site + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-test=dashboard-title]")
    return page


def _no_sideways_scroll(page: Any) -> None:
    """At phone width nothing pushes the page wider than the screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"] + 1, f"page is {width}px wide at {PHONE['width']}px"


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
