"""The draw on the service hall's big screen, in a real browser at 1920 px: the screen opened
once shows the frozen list and the witnesses still to come; each witness's value and then the
result appear on it without a reload (the page fetches its changing part itself, within what
the CSP allows); the same view fits a phone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Lottery
from tests.conftest import csrf_token
from tests.selection.conftest import START, City, enter_external
from tests.support.live import no_sideways_scroll, open_page, sized_page
from tests.support.selection_flow import publish, sign_up

pytestmark = pytest.mark.browser
SCREEN = {"width": 1920, "height": 1080}


def test_the_hall_screen_follows_a_draw_without_a_reload(browser: Any, city: City,
                                                         site: str) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = publish(city)
        for a in city.agencies[:4]:
            assert sign_up(city, a, req.public_id) == 302
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    hall = f"{site}/lotteries/{lottery_id}/hall"
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):  # sign-up closed
        page = open_page(browser, site, None, viewport=SCREEN)
        page.goto(hall)
        stage = page.locator("[data-test=hall-stage]")
        assert stage.get_attribute("data-state") == "frozen"
        assert "4" in stage.inner_text()
        assert page.locator("[data-test=hall-witnesses] li").count() == 2
        assert page.locator("[data-test=hall-source-0]").count() == 0
        page.evaluate("window.stillTheSamePage = true")
    with timeutil.frozen(external_at - timedelta(hours=1)):
        c = city.client(city.delegate)
        assert c.post(f"/lotteries/{lottery_id}/witness", data={
            "value": "20260309", "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}
        ).status_code == 302
        page.wait_for_selector("[data-test=hall-source-0]", timeout=15_000)
        assert page.inner_text("[data-test=hall-source-0]") == "20260309"
        c = city.client(city.regulator)
        assert c.post(f"/lotteries/{lottery_id}/witness", data={
            "value": "88112233", "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}
        ).status_code == 302
    with timeutil.frozen(external_at + timedelta(minutes=20)):
        enter_external(city, lottery_id, external_at)
        page.wait_for_selector("[data-test=hall-winner]", timeout=15_000)
        assert page.evaluate("window.stillTheSamePage") is True  # no reload
        winner = page.inner_text("[data-test=hall-winner]")
        assert any(city.agency_id(a) in winner for a in city.agencies[:4])
        assert page.locator(".hall-qr svg").count() == 1
        no_sideways_scroll(page)
        page.screenshot(path="/tmp/hall-1920.png")
        phone = sized_page(browser, site, None, phone=True)
        phone.goto(hall)
        assert phone.locator("[data-test=hall-winner]").count() == 1
        no_sideways_scroll(phone)
        phone.screenshot(path="/tmp/hall-390.png", full_page=True)


def _px(page: Any, selector: str) -> float:
    return float(page.eval_on_selector(
        selector, "e => parseFloat(getComputedStyle(e).fontSize)"))


def test_every_word_on_the_hall_screen_is_sized_for_the_room(browser: Any, city: City,
                                                             site: str) -> None:
    """The state, the witnesses still to enter (待录入) and the times are what the room reads
    too: on the big screen none of it is set in the small print of a desk page, everything is
    at least half the size of the screen's own text."""
    with timeutil.frozen(START):
        req = publish(city)
        for a in city.agencies[:4]:
            assert sign_up(city, a, req.public_id) == 302
    with city.app.app_context():
        lottery_id = db.session.scalar(sa.select(Lottery.lottery_id))
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        page = open_page(browser, site, None, viewport=SCREEN)
        page.goto(f"{site}/lotteries/{lottery_id}/hall")
        text = _px(page, ".hall")
        assert text >= 28  # 1.6 vw at 1920 px
        for selector in (".hall-meta .badge", ".hall-meta .hint",
                         "[data-test=hall-witnesses] .hint"):
            assert _px(page, selector) >= text / 2, selector
