"""In a real browser: an agency applies → the operator admits → the agency lists a fee → an
anonymous visitor finds it with filters."""

from __future__ import annotations

import pytest

from devdata import demo
from tests.agencies.helpers import PDF, credit_code

pytestmark = pytest.mark.browser


def _login(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base + "/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-test=dashboard-title]")


def _logout(page) -> None:  # type: ignore[no-untyped-def]
    page.click("text=退出")
    page.wait_for_selector("text=登录")


def test_agency_is_admitted_lists_a_fee_and_is_found(browser, demo_site: str) -> None:  # noqa: F811
    page = browser.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    # 1. An agency registers and applies with its business licence.
    page.goto(demo_site + "/register?kind=agency")
    page.check("input[name=kind][value=agency]")
    page.fill("input[name=org_name]", "云川星河测绘科技有限公司")
    page.fill("input[name=credit_code]", credit_code())
    page.fill("input[name=region]", "云川市南湖区")
    page.fill("input[name=name]", "星河授权人")
    page.fill("input[name=email]", "xinghe@test.example.cn")
    page.fill("input[name=password]", demo.DEMO_PASSWORD)
    page.fill("input[name=confirm]", demo.DEMO_PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_selector("[data-test=dashboard-title]")
    page.goto(demo_site + "/agency/application")
    page.fill("input[name=legal_representative]", "星河法人")
    page.fill("input[name=authorised_representative]", "星河授权人")
    page.fill("input[name=contact_phone]", "0871-60000001")
    page.fill("input[name=contact_email]", "xinghe@test.example.cn")
    page.set_input_files("input[name=licence]", files=[
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.click("[data-test=application-form] button[type=submit]")
    page.wait_for_selector("text=入驻申请已提交")
    assert "待审核" in page.locator("[data-test=org-status]").inner_text()
    _logout(page)

    # 2. The operator admits it.
    _login(page, demo_site, "operator@yunchuan.demo")
    page.click("[data-test=nav-review]")
    page.click("text=云川星河测绘科技有限公司")
    page.click("[data-test=admit]")
    page.wait_for_selector("text=已准予入驻")
    _logout(page)

    # 3. The agency lists a fee for surveying.
    _login(page, demo_site, "xinghe@test.example.cn")
    page.click("[data-test=nav-listings]")
    page.click("[data-test=edit-SURV]")
    page.check("input[name=fee_kind][value=fixed]")
    page.fill("input[name=amount]", "1234.56")
    page.fill("input[name=committed_days]", "3")
    page.click("[data-test=listing-form] button[type=submit]")
    page.wait_for_selector("text=服务报价已发布")
    _logout(page)

    # 4. An anonymous visitor finds it with filters.
    page.goto(demo_site + "/")
    page.click("[data-test=nav-directory]")
    page.select_option("select[name=service]", "SURV")
    page.select_option("select[name=region]", "云川市南湖区")
    page.fill("input[name=fee_max]", "2000")
    page.fill("input[name=days_max]", "3")
    page.select_option("select[name=sort]", "fee")
    page.click("[data-test=search]")
    results = page.locator("[data-test=results]")
    results.wait_for()
    assert page.locator("[data-test=total]").inner_text() == "共 1 家机构"
    assert "云川星河测绘科技有限公司" in results.inner_text()
    assert "1,234.56 元" in results.inner_text()
    page.click("text=云川星河测绘科技有限公司")
    page.wait_for_selector("[data-test=agency-name]")
    assert "暂无记录" in page.content()
    assert errors == [], errors
    page.close()
