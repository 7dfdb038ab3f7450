"""The subscription page in a real browser at phone width (390 px) with SMS on: a phone number
of ten digits is refused next to its field with the choices and the number kept; corrected, the
subscription is saved and described on the page; nothing is wider than the screen."""

from __future__ import annotations

from typing import Any

import pytest

from tests.selection.conftest import City
from tests.support.live import no_sideways_scroll, sized_page
from tests.support.sms import TOKEN, Gateway

pytestmark = pytest.mark.browser


def test_an_agency_subscribes_on_a_phone(browser: Any, city: City, site: str,
                                         sms_gateway: Gateway) -> None:
    city.app.config.update(SMS_GATEWAY_URL=sms_gateway.url, SMS_GATEWAY_TOKEN=TOKEN)
    page = sized_page(browser, site, city.agencies[0].email, phone=True)
    page.click("[data-test=menu-toggle]")
    page.click("[data-test=nav-subscription]")
    page.wait_for_selector("[data-test=subscription-form]")
    no_sideways_scroll(page)
    page.check("input[name=service_codes][value=EIA]")
    page.check("input[name=frequency][value=daily]")
    page.fill("input[name=sms_phone]", "1391234567")
    page.click("[data-test=subscription-save]")
    page.wait_for_selector(".field.has-error .error")
    assert "请输入 11 位手机号码。" in page.inner_text(".field.has-error")
    assert page.input_value("input[name=sms_phone]") == "1391234567"
    assert page.is_checked("input[name=service_codes][value=EIA]")
    assert page.is_checked("input[name=frequency][value=daily]")
    page.fill("input[name=sms_phone]", "13912345678")
    page.click("[data-test=subscription-save]")
    page.wait_for_selector("[data-test=subscription-state]")
    state = page.inner_text("[data-test=subscription-state]")
    assert "1 个事项" in state and "每日汇总一次" in state and "13912345678" in state
    no_sideways_scroll(page)
    page.screenshot(path="/tmp/subscription-390.png", full_page=True)
