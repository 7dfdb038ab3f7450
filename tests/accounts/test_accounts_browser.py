"""The account flows in a real browser, at desktop and phone width (390 px): registration and
the operator's check, invitations for an existing and a new person, a regulator invitation,
and logging out for good."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from devdata import demo
from tests.support import demo_data
from tests.support.live import menu_click, serve

pytestmark = pytest.mark.browser
PASSWORD = demo.DEMO_PASSWORD
# Screenshots to look at after a run (not kept in the repository).
SHOTS = Path(tempfile.gettempdir()) / "market-accounts-screens"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app: Flask = demo_data.demo_app(tmp_path_factory.mktemp("accounts-browser"))
    SHOTS.mkdir(exist_ok=True)
    with serve(app) as url:
        yield url


def page_at(browser: Any, width: int) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    page.on("dialog", lambda d: d.accept())
    errors: list[str] = []
    # Refused forms answer 400, which the console reports; anything else (a CSP violation, a
    # script error) is a failure.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" and not m.text
            .startswith("Failed to load resource: the server responded with a status of 4")
            else None)
    page.errors = errors
    return page


def log_in(page: Any, site: str, email: str, password: str = PASSWORD) -> None:
    page.goto(site + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-test=dashboard-title]")


def log_out(page: Any) -> None:
    menu_click(page, "logout")
    page.wait_for_selector("[data-test=logout]", state="detached")


def fits(page: Any, width: int) -> None:
    """Nothing wider than the screen at phone width (no sideways scrolling)."""
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("width", [1280, 390])
def test_register_check_refuse_reapply_activate(browser: Any, site: str, width: int) -> None:
    n = width  # distinct people and names per width
    applicant = page_at(browser, width)
    applicant.goto(site + "/register?kind=owner")
    # Bad data first: a department's name already taken, a wrong check digit.
    applicant.fill("input[name=org_name]", "云川市东城区教育局 ")
    applicant.fill("input[name=credit_code]", demo.demo_credit_code("1", 60)[:-1] + "0")
    applicant.fill("input[name=region]", "云川市东城区")
    applicant.fill("input[name=name]", "申请人")
    applicant.fill("input[name=email]", f"applicant{n}@test.example.cn")
    applicant.fill("input[name=password]", "good-password-1")
    applicant.fill("input[name=confirm]", "good-password-1")
    applicant.click("main button[type=submit]")
    applicant.wait_for_selector(".field.has-error")
    assert applicant.locator("input[name=email]").input_value() == f"applicant{n}@test.example.cn"
    errors = applicant.locator(".field.has-error .error").all_inner_texts()
    assert any("校验位" in e for e in errors), errors
    applicant.fill("input[name=credit_code]", demo.demo_credit_code("1", 60 + n % 7))
    applicant.fill("input[name=password]", "good-password-1")
    applicant.fill("input[name=confirm]", "good-password-1")
    applicant.click("main button[type=submit]")
    applicant.wait_for_selector("#org_name-msg")
    assert "已有单位使用这个名称" in applicant.inner_text("#org_name-msg")
    applicant.fill("input[name=org_name]", f"云川市测试{n}号局")
    applicant.fill("input[name=password]", "good-password-1")
    applicant.fill("input[name=confirm]", "good-password-1")
    applicant.click("main button[type=submit]")
    applicant.wait_for_selector("[data-test=owner-pending]")
    assert "平台运营方核验单位信息后" in applicant.inner_text(".flash-success")
    assert "待核验" in applicant.inner_text("[data-test=owner-status]")
    fits(applicant, width) if width == 390 else None
    applicant.screenshot(path=str(SHOTS / f"owner-pending-{width}.png"), full_page=True)

    operator = page_at(browser, width)
    log_in(operator, site, "operator@yunchuan.demo")
    operator.click("[data-test=owners-queue]")
    card = operator.locator("article", has_text=f"云川市测试{n}号局")
    card.locator("button", has_text="不予激活").click()  # no reason yet
    operator.wait_for_selector(".field.has-error")
    assert "请填写此项" in operator.locator(".field.has-error").first.inner_text()
    card = operator.locator("article", has_text=f"云川市测试{n}号局")
    card.locator("textarea").fill("信用代码与单位名称不符，请核对营业执照。")
    card.locator("button", has_text="不予激活").click()
    operator.wait_for_selector(".flash-success")
    assert "云川市测试" in operator.inner_text("[data-test=refused]")
    if width == 390:
        fits(operator, width)
    operator.screenshot(path=str(SHOTS / f"operator-queue-{width}.png"), full_page=True)

    applicant.goto(site + "/dashboard")
    assert "信用代码与单位名称不符" in applicant.inner_text("[data-test=owner-refused]")
    applicant.fill("[data-test=owner-refused] input[name=credit_code]",
                   demo.demo_credit_code("1", 70 + n % 7))
    applicant.click("[data-test=owner-refused] button[type=submit]")
    applicant.wait_for_selector("[data-test=owner-pending]")

    operator.goto(site + "/operator/owners")
    operator.locator("article", has_text=f"云川市测试{n}号局").locator(
        "button", has_text="激活").first.click()
    operator.wait_for_selector(".flash-success")
    applicant.goto(site + "/dashboard")
    assert "已核验" in applicant.inner_text("[data-test=owner-status]")
    assert applicant.errors == [] and operator.errors == []
    for p in (applicant, operator):
        p.context.close()


@pytest.mark.parametrize("width", [1280, 390])
def test_invite_an_existing_and_a_new_person(browser: Any, site: str, width: int) -> None:
    admin = page_at(browser, width)
    log_in(admin, site, "owner2@yunchuan.demo")
    admin.goto(site + "/org/members")
    admin.fill("input[name=email]", "not an address")
    admin.click("main form button[type=submit] >> text=发出邀请")
    admin.wait_for_selector("#email-msg")
    assert "邮箱格式不正确" in admin.inner_text("#email-msg")
    existing = "delegate3@yunchuan.demo" if width == 1280 else "delegate4@yunchuan.demo"
    admin.fill("input[name=email]", existing)
    admin.click("main form button[type=submit] >> text=发出邀请")
    admin.wait_for_selector(".flash-success")
    # Only what was typed is shown, not who holds the address.
    assert existing in admin.inner_text("[data-test=invitations]")
    assert f"采购受托人 {existing[8]}号" not in admin.inner_text("main")
    if width == 390:
        fits(admin, width)
    admin.screenshot(path=str(SHOTS / f"members-{width}.png"), full_page=True)

    invitee = page_at(browser, width)
    log_in(invitee, site, existing)
    invitee.click("[data-test=my-invitations] a")
    invitee.click("[data-test=accept]")
    invitee.wait_for_selector(".flash-success")
    assert "切换单位" in invitee.content()
    admin.reload()
    assert existing in admin.inner_text("[data-test=members]")

    newcomer_email = f"new{width}@test.example.cn"
    admin.fill("input[name=email]", newcomer_email)
    admin.click("main form button[type=submit] >> text=发出邀请")
    admin.wait_for_selector(f"[data-test='invitation-{newcomer_email}']")
    link = admin.locator(f"[data-test='invitation-{newcomer_email}'] [data-test=invitation-link]").input_value()
    newcomer = page_at(browser, width)
    newcomer.goto(link)
    assert "云川市交通建设投资集团有限公司" in newcomer.inner_text("[data-test=invitation-org]")
    newcomer.fill("input[name=name]", "新来的 受托人")
    newcomer.fill("input[name=password]", "short")
    newcomer.fill("input[name=confirm]", "short")
    newcomer.click("main form button[type=submit]")
    newcomer.wait_for_selector("#password-msg")
    assert newcomer.locator("input[name=name]").input_value() == "新来的 受托人"
    newcomer.fill("input[name=password]", "newcomer-pass-1")
    newcomer.fill("input[name=confirm]", "newcomer-pass-1")
    newcomer.click("main form button[type=submit]")
    newcomer.wait_for_selector("[data-test=dashboard-title]")
    assert "您已加入" in newcomer.inner_text(".flash-success")
    assert "采购受托人" in newcomer.content(), newcomer.inner_text("main")
    if width == 390:
        fits(newcomer, width)
    # Another account opening the same (now spent) link cannot use it.
    invitee.goto(link)
    assert invitee.locator("[data-test=invitation-closed]").count() == 1
    assert admin.errors == [] and invitee.errors == [] and newcomer.errors == []
    for p in (admin, invitee, newcomer):
        p.context.close()


def test_operator_invites_a_regulator_and_logout_is_for_good(browser: Any, site: str) -> None:
    operator = page_at(browser, 390)
    log_in(operator, site, "operator@yunchuan.demo")
    operator.goto(site + "/operator/regulators")
    operator.fill("input[name=org_name]", "云川市审计局")
    operator.fill("input[name=email]", "auditor@test.example.cn")
    operator.click("main form button[type=submit]")
    operator.wait_for_selector(".flash-success")
    fits(operator, 390)
    link = operator.locator("[data-test='invitation-auditor@test.example.cn'] [data-test=invitation-link]").input_value()
    regulator = page_at(browser, 390)
    regulator.goto(link)
    regulator.fill("input[name=name]", "审计员 乙")
    regulator.fill("input[name=password]", "auditor-pass-12")
    regulator.fill("input[name=confirm]", "auditor-pass-12")
    regulator.click("main form button[type=submit]")
    regulator.wait_for_selector("[data-test=dashboard-title]")
    assert "监管人员" in regulator.content()

    # A copy of the cookie taken while logged in is worth nothing after logging out.
    cookies = regulator.context.cookies()
    log_out(regulator)
    thief = browser.new_context()
    thief.add_cookies(cookies)
    stolen = thief.new_page()
    stolen.goto(site + "/dashboard")
    assert "/login" in stolen.url
    thief.close()
    for p in (operator, regulator):
        p.context.close()
