"""The second factor (动态口令) in a real browser, at phone width (390 px) and desktop: an
operator who must have one is sent to enrol after the password, scans (here: reads) the
secret, confirms with a code pyotp computes, sees the recovery codes once; the next login asks
for the code, refuses a wrong one next to the field and lets the right one in."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from flask import Flask

from market.db import db
from tests.conftest import PASSWORD, create_person, make_app
from tests.support.live import PHONE, no_sideways_scroll, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    app = make_app(tmp_path, SECOND_FACTOR_ROLES="operator,regulator,department_staff")
    with serve(app) as url:
        yield app, url
    with app.app_context():
        db.engine.dispose()


def password_step(page: Any, url: str, email: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main button[type=submit]")


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}],
                         ids=["390px", "1280px"])
def test_enrol_then_log_in_with_a_code(browser: Any, site: tuple[Flask, str],
                                       viewport: dict[str, int]) -> None:
    app, url = site
    operator = create_person(app, "operator")
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    password_step(page, url, operator.email)
    # held at the enrolment page, whatever is asked for
    page.wait_for_selector("[data-test=enrol-form]")
    assert page.is_visible("[data-test=second-factor-required]")
    page.goto(url + "/operator/accounts")
    page.wait_for_selector("[data-test=enrol-form]")
    assert page.locator("[data-test=enrol-qr] svg").count() == 1
    box = page.locator("[data-test=enrol-qr] svg").bounding_box()
    assert box is not None and box["width"] >= 150  # large enough to scan from a screen
    no_sideways_scroll(page)
    secret = page.inner_text("[data-test=enrol-secret]").replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.fill("input[name=code]", "000000" if totp.now() != "000000" else "111111")
    page.click("[data-test=enrol-form] button[type=submit]")
    page.wait_for_selector("[data-test=enrol-form] .error")
    page.fill("input[name=code]", totp.now())
    page.click("[data-test=enrol-form] button[type=submit]")
    page.wait_for_selector("[data-test=recovery-codes]")
    codes = page.locator("[data-test=recovery-code]").all_inner_texts()
    assert len(codes) == 10
    no_sideways_scroll(page)
    page.click("[data-test=continue]")
    page.wait_for_selector("[data-test=dashboard-title]")
    context.close()

    # The next login: password, then the code (the next step's: this step's was used).
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    password_step(page, url, operator.email)
    page.wait_for_selector("[data-test=code-form]")
    no_sideways_scroll(page)
    page.fill("input[name=code]", "12345")
    page.click("[data-test=code-form] button[type=submit]")
    page.wait_for_selector("[data-test=code-form] .error")
    assert page.get_attribute("input[name=code]", "aria-invalid") == "true"
    page.fill("input[name=code]", totp.at(time.time() + 30))
    page.click("[data-test=code-form] button[type=submit]")
    page.wait_for_selector("[data-test=dashboard-title]")
    page.goto(url + "/account/second-factor")
    page.wait_for_selector("[data-test=second-factor-on]")
    assert page.inner_text("[data-test=recovery-left]") == "10"
    context.close()
