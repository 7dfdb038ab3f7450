"""好差评 in a real browser, at 1280 and 390 px: the owner rates a service 不满意 on the
five-level scale, the agency answers the correction (after an error next to the field), the
operator records the follow-up; every page fits the screen."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from market import timeutil
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City
from tests.support.live import open_page

pytestmark = pytest.mark.browser


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", [1280, 390])
def test_a_poor_rating_is_corrected_and_followed_up(browser: Any, city: City, site: str,
                                                    width: int) -> None:
    screen = {"width": width, "height": 900}
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START + timedelta(days=1)):
        owner = open_page(browser, site, city.owner.email, viewport=screen)
        owner.goto(site + "/owner/ratings")
        owner.click(f"[data-test=rate-{eng}]")
        for dimension, stars in (("quality", 2), ("timeliness", 1), ("attitude", 3),
                                 ("fees", 3), ("integrity", 3)):
            owner.check(f"input[name={dimension}][value='{stars}']")
        owner.fill("textarea[name=comment]", "成果多次返工，沟通不及时。")
        owner.click("[data-test=submit-rating]")  # no level chosen: refused, typed text kept
        owner.wait_for_selector(".field.has-error .error")
        assert "请选择满意程度。" in owner.inner_text(".field.has-error")
        assert owner.input_value("textarea[name=comment]") == "成果多次返工，沟通不及时。"
        assert _fits(owner)
        owner.check("input[name=level][value=dissatisfied]")
        owner.click("[data-test=submit-rating]")
        owner.wait_for_selector("text=这是一条差评")

        agency = open_page(browser, site, city.agencies[0].email, viewport=screen)
        agency.goto(site + "/agency/ratings")
        assert agency.inner_text("[data-test=level]") == "不满意"
        agency.click("[data-test=my-corrections]")
        agency.locator("[data-test=corrections] a").first.click()
        agency.wait_for_selector("[data-test=correction-form]")
        assert _fits(agency)
        agency.fill("textarea[name=answer]", "已改")
        agency.click("[data-test=correction-submit]")
        agency.wait_for_selector(".field.has-error .error")
        assert "至少 10 个字" in agency.inner_text(".field.has-error")
        text = "已重新核算工程量并修改报告第三章，指定专人对接业主。"
        agency.fill("textarea[name=answer]", text)
        agency.click("[data-test=correction-submit]")
        agency.wait_for_selector("[data-test=correction-answer]")
        assert text in agency.inner_text("[data-test=correction-answer]")

        operator = open_page(browser, site, city.operator.email, viewport=screen)
        operator.goto(site + "/operator/corrections")
        assert _fits(operator)
        operator.locator("[data-test=corrections] a").first.click()
        operator.check("input[name=result][value=satisfied]")
        operator.fill("textarea[name=note]", "电话回访业主，业主确认问题已解决。")
        operator.click("[data-test=follow-up-submit]")
        operator.wait_for_selector("[data-test=follow-up]")
        assert "整改到位，业主满意" in operator.inner_text("[data-test=follow-up]")
        assert _fits(operator)
        operator.screenshot(path=f"/tmp/correction-{width}.png", full_page=True)
