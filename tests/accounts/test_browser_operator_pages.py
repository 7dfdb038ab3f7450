"""The operator's settings and accounts pages walked in a real browser at desktop and phone
width (390 px), with good and bad data; and the OpenID Connect login through a real provider
on loopback (npm's oidc-provider), its own login and consent pages included."""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from werkzeug.serving import make_server

from devdata import demo
from market import timeutil
from market.accounts import operations as ops
from market.accounts.models import OidcIdentity, Organisation, OrgKind, User
from market.db import db
from market.settings.models import SettingChange
from tests.conftest import make_app
from tests.support import oidc
from tests.support.live import menu_click, page_at

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-operator-screens"
OPERATOR = "operator@yunchuan.demo"


def fits(page: Any, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"


def nav(page: Any, test_id: str) -> None:
    menu_click(page, test_id)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_operator_changes_a_setting_with_bad_then_good_data(
        browser: Any, demo_city_site: tuple[str, Flask], width: int) -> None:
    site, app = demo_city_site
    page = page_at(browser, site, width, OPERATOR, demo.DEMO_PASSWORD)
    nav(page, "nav-settings")
    page.wait_for_selector("[data-test=settings]")
    fits(page, width)
    form = page.locator("[data-test=setting-form]")
    form.locator("select[name=key]").select_option("DIRECT_SELECTION_THRESHOLD_FEN")
    form.locator("input[name=value]").fill("12,345.678")
    form.locator("input[name=effective_from]").fill("2020-01-01")
    form.locator("input[name=reason]").fill("市政务服务管理局通知")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#value-msg")
    assert "金额" in page.inner_text("#value-msg")
    assert page.input_value("input[name=value]") == "12,345.678"  # kept
    page.fill("input[name=value]", "80000")
    page.locator("[data-test=setting-form] button[type=submit]").click()
    page.wait_for_selector("#effective_from-msg")
    assert "不得早于今天" in page.inner_text("#effective_from-msg")
    # desktop: from today; phone: from tomorrow (scheduled; a second change today is refused)
    day = (timeutil.today_local() + timedelta(days=0 if width == 1280 else 1)).isoformat()
    page.fill("input[name=effective_from]", day)
    value = "80000" if width == 1280 else "90000.5"
    page.fill("input[name=value]", value)
    page.locator("[data-test=setting-form] button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    history = page.inner_text("[data-test=setting-history]")
    assert day in history and ("80,000.00" if width == 1280 else "90,000.50") in history
    row = page.inner_text("[data-test=setting-DIRECT_SELECTION_THRESHOLD_FEN]")
    assert ("80,000.00" if width == 1280 else f"{day} 起为 90,000.50") in row
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"settings-{width}.png"), full_page=True)
    with app.app_context():
        assert db.session.scalar(sa.select(SettingChange.value).where(
            SettingChange.effective_from == date.fromisoformat(day))) == (
            8_000_000 if width == 1280 else 9_000_050)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_operator_disables_enables_and_invites(
        browser: Any, demo_city_site: tuple[str, Flask], width: int) -> None:
    site, app = demo_city_site
    page = page_at(browser, site, width, OPERATOR, demo.DEMO_PASSWORD)
    nav(page, "nav-accounts")
    page.wait_for_selector("[data-test=accounts]")
    fits(page, width)
    page.fill("input[name=q]", "owner2@yunchuan.demo")
    page.click("[data-test=account-search] button")
    row = page.locator('[data-test="account-owner2@yunchuan.demo"]')
    row.locator("[data-test=toggle]").click()
    page.wait_for_selector(".flash-success")
    assert "已停用" in page.locator('[data-test="account-owner2@yunchuan.demo"]').inner_text()
    with app.app_context():
        assert not db.session.scalar(sa.select(User.active).where(
            User.email == "owner2@yunchuan.demo"))
    page.locator('[data-test="account-owner2@yunchuan.demo"] [data-test=toggle]').click()
    page.wait_for_selector(".flash-success")
    with app.app_context():
        assert db.session.scalar(sa.select(User.active).where(
            User.email == "owner2@yunchuan.demo"))
    # oneself: no button that could only be refused (the server's refusal: test_operator_accounts)
    page.fill("input[name=q]", OPERATOR)
    page.click("[data-test=account-search] button")
    own = page.locator(f'[data-test="account-{OPERATOR}"]')
    assert own.locator("[data-test=toggle]").count() == 0
    assert "当前登录的账户" in own.locator("[data-test=self]").inner_text()
    # an invitation: a made-up organisation, then a real one
    page.click("[data-test=invite] summary")  # folded above the list
    form = page.locator("[data-test=invite-form]")
    form.locator("input[name=organisation]").fill("AG-999999")
    form.locator("input[name=email]").fill(f"invitee{width}@yunchuan.demo")
    form.locator("select[name=role]").select_option("agency_staff")
    form.locator("button[type=submit]").click()
    page.wait_for_selector("#organisation-msg")
    assert "找不到这个单位" in page.inner_text("#organisation-msg")
    assert page.input_value("input[name=email]") == f"invitee{width}@yunchuan.demo"
    with app.app_context():
        agency = db.session.scalar(sa.select(Organisation.public_id).where(
            Organisation.kind == "agency").order_by(Organisation.id).limit(1))
    page.fill("input[name=organisation]", agency)
    page.locator("[data-test=invite-form] button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    fits(page, width)
    page.screenshot(path=str(SHOTS / f"accounts-{width}.png"), full_page=True)
    assert f"invitee{width}@yunchuan.demo" in page.inner_text(".flash-success")


OWNER_CODE = "91539900MA9000001"


@pytest.fixture
def oidc_site(tmp_path: Path) -> Iterator[tuple[str, Flask]]:
    """The app on a port chosen first, so that the provider, started next, knows where to send
    the browser back; then the app, configured with the provider's issuer."""
    from market.domain.codes import make_credit_code

    code = make_credit_code(OWNER_CODE)
    holder: dict[str, Flask] = {}
    server = make_server("127.0.0.1", 0, lambda env, start: holder["app"](env, start),
                         threaded=True)
    site = f"http://127.0.0.1:{server.server_port}"
    accounts = {"owner.person": {"email": "owner.person@oidc.example.cn", "name": "吴业主",
                                 "credit_code": code},
                "stranger": {"email": "stranger@oidc.example.cn", "name": "郑陌生",
                             "credit_code": make_credit_code("91539900MA9000009")}}
    with oidc.provider([f"{site}/login/oidc/callback"], accounts) as issuer:
        app = make_app(tmp_path, **oidc.app_config(issuer))
        with app.app_context():
            ops.create_organisation(OrgKind.OWNER, "云川市城投公司", credit_code=code)
            db.session.commit()
        holder["app"] = app
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield site, app
        finally:
            server.shutdown()
            thread.join(timeout=10)


def at_provider(page: Any, login: str) -> None:
    """The provider's own development login page, then its consent page."""
    page.wait_for_selector("input[name=login]")
    page.fill("input[name=login]", login)
    page.fill("input[name=password]", "any password")
    page.click("button[type=submit]")
    page.wait_for_selector("button[type=submit]")
    if page.locator("input[name=prompt][value=consent]").count():
        page.click("button[type=submit]")


@pytest.mark.parametrize("width", [1280, 390])
def test_an_owner_logs_in_through_the_provider(chromium: Any, oidc_site: tuple[str, Flask],
                                               width: int) -> None:
    # The provider's pages are its own (development) ones: the plain Playwright browser, not
    # the axe-checked one; the app's pages are checked by the tests above and the layout crawl.
    site, app = oidc_site
    context = chromium.new_context(viewport={"width": width, "height": 900})
    try:
        page = context.new_page()
        page.goto(site + "/login")
        page.click("[data-test=oidc-login]")
        at_provider(page, "owner.person")
        page.wait_for_selector("[data-test=dashboard-title]")
        assert "吴业主" in page.content()
        fits(page, width)
        with app.app_context():
            assert db.session.scalar(sa.select(OidcIdentity.subject)) == "owner.person"
        # an organisation this platform does not know: refused, nothing stored
        other = context.browser.new_context(viewport={"width": width, "height": 900}) \
            if context.browser else context
        page2 = other.new_page()
        page2.goto(site + "/login")
        page2.click("[data-test=oidc-login]")
        at_provider(page2, "stranger")
        page2.wait_for_selector("[data-test=oidc-refused]")
        assert "尚未在本平台注册" in page2.inner_text("[data-test=oidc-refused]")
        page2.screenshot(path=str(SHOTS / f"oidc-refused-{width}.png"), full_page=True)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(User.id)).where(
                User.email == "stranger@oidc.example.cn")) == 0
    finally:
        context.close()
