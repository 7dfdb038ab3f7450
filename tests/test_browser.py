"""End to end in a real browser: Debian's chromium driven by Playwright (never `playwright
install`)."""

from __future__ import annotations

import pytest

from devdata import demo

pytestmark = pytest.mark.browser


def test_owner_logs_in_switches_language_and_care_mode(browser, demo_site: str) -> None:
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(demo_site + "/")
    assert "中介服务超市" in page.content()

    page.click("text=登录")
    page.fill("input[name=email]", "owner1@yunchuan.demo")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-test=dashboard-title]")
    assert "云川市东城区教育局" in page.content()
    assert "采购管理人" in page.content()

    page.click("[data-test=lang-en]")
    page.wait_for_selector("text=Dashboard")
    assert page.locator("html").get_attribute("lang") == "en"
    assert "Owner administrator" in page.content()

    page.click("[data-test=care-toggle]")
    page.wait_for_selector("html.care", state="attached")
    size = page.evaluate("getComputedStyle(document.documentElement).fontSize")
    assert size == "20px"
    # Still on the dashboard, still logged in, still in English.
    assert page.locator("[data-test=dashboard-title]").inner_text() == "Dashboard"
    assert errors == [], errors  # no CSP violations or script errors
    page.close()


def test_wrong_password_shows_the_error_next_to_the_field(browser, demo_site: str) -> None:
    page = browser.new_page()
    page.goto(demo_site + "/login")
    page.fill("input[name=email]", "owner1@yunchuan.demo")
    page.fill("input[name=password]", "wrong-password-1")
    page.click("button[type=submit]")
    error = page.locator("#password-msg")
    assert error.inner_text() == "邮箱或密码不正确。"
    assert page.input_value("input[name=email]") == "owner1@yunchuan.demo"
    page.close()
