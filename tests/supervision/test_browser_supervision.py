"""Electronic supervision in a real browser, at 1280 and 390 px: the regulator finds a late
service's ladder in the console, opens its 督办, gets the error next to the field for a too-short
answer (what was typed kept), answers, and reads the answer back; the published rule fits a
phone."""

from __future__ import annotations

from typing import Any

import pytest

from market import timeutil
from market.supervision.operations import escalate
from tests.selection.conftest import City
from tests.support.live import open_page
from tests.support.supervision_flow import RED_AT, _late_service

pytestmark = pytest.mark.browser


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_regulator_answers_a_supervision_order(browser: Any, city: City, site: str,
                                                   width: int) -> None:
    eid = _late_service(city.app, city)
    with timeutil.frozen(RED_AT):
        with city.app.app_context():
            assert escalate() == 3
        page = open_page(browser, site, city.regulator.email)
        page.set_viewport_size({"width": width, "height": 900})
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(site + "/regulator")
        page.click("[data-test=console-supervision]")
        page.wait_for_selector("[data-test=ladder-party]")  # count() does not wait for the page
        ladder = page.locator("[data-test=ladder-party]")
        assert ladder.count() == 1 and eid in ladder.inner_text()
        for step in ("warning", "yellow", "red"):
            assert ladder.locator(f"[data-test=step-{step}]").count() == 1
        assert _fits(page)
        order = page.locator("[data-test=open-orders] a").first
        order_id = order.inner_text()
        order.click()
        page.wait_for_selector("[data-test=answer-form]")
        assert _fits(page)
        page.fill("textarea[name=answer]", "已催办")
        page.click("[data-test=answer-submit]")
        page.wait_for_selector(".field.has-error .error")
        assert "至少 10 个字" in page.inner_text(".field.has-error")
        assert page.input_value("textarea[name=answer]") == "已催办"
        answer = "已约谈该机构负责人，责令三个工作日内提交成果，我处跟踪办结。"
        page.fill("textarea[name=answer]", answer)
        page.click("[data-test=answer-submit]")
        page.wait_for_selector("[data-test=order-answer]")
        assert answer in page.inner_text("[data-test=order-answer]")
        assert _fits(page)
        page.goto(site + "/regulator/supervision")
        assert page.locator(f"[data-test=order-{order_id}]").count() == 0  # answered: off the list
        page.screenshot(path=f"/tmp/supervision-console-{width}.png", full_page=True)
        anyone = open_page(browser, site, None)
        anyone.set_viewport_size({"width": width, "height": 900})
        anyone.goto(site + "/supervision")
        assert "满 3 个工作日" in anyone.inner_text("[data-test=rule-yellow]")
        assert _fits(anyone)
        # the refused answer is a 400 by design (forms answer 400 on refusal); nothing else
        assert [e for e in errors if "status of 400" not in e] == []
