"""A walk in chromium, at desktop (1280 px) and phone (390 px) width, through the pages a
province's tenants share out between them, on the demo province: the second city's operator
maps a service type to its own industry regulator (saved) and to another city's (refused next
to the field, in Chinese), and invites departments' staff; the provincial operator reads both
pages; a visitor walks the second city's home, its directory under its prefix and the division
filter there.  No page scrolls sideways, none answers 500."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devdata import demo
from market.accounts.models import Organisation
from market.catalogue import choices, regulators
from market.db import db
from tests.support.live import menu_click, no_sideways_scroll, page_at

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-tenant-pages"  # to look at after a run
SECOND_OPERATOR = "operator2@yunchuan.demo"
PROVINCE_OPERATOR = "province-operator@yunchuan.demo"
SECOND_CITY = demo.SECOND_CITY[0]


@pytest.fixture(scope="module")
def demo_site(demo_city_site: tuple[str, Flask]) -> tuple[str, Flask]:
    return demo_city_site


def _watch(page: Any, failures: list[str]) -> None:
    page.on("response", lambda r: failures.append(f"{r.status} {r.url}")
            if r.status >= 500 else None)


def _mapping(app: Flask) -> tuple[int, int, int, int]:
    """(second city's tenant, a service type it uses, its own industry regulator, another
    city's industry regulator)."""
    with app.app_context():
        operator = db.session.scalars(sa.select(Organisation).where(
            Organisation.name == "云岭市政务服务中心（平台运营）")).one()
        tenant = operator.tenant_id
        own = dict(choices.tenant_regulators(tenant))
        mine = min(own)
        used = [t for t, r in regulators.tenant_mapping(tenant).items()
                if t not in choices.unused_types(tenant)]
        foreign = db.session.scalar(sa.select(Organisation.id).where(
            Organisation.kind == "regulator", Organisation.regulator_kind == "industry",
            Organisation.tenant_id != tenant).order_by(Organisation.id))
        assert foreign is not None and used
        db.session.remove()
        return tenant, used[0], mine, foreign


@pytest.mark.parametrize("width", [1280, 390])
def test_tenant_pages_at_desktop_and_phone_width(browser: Any, demo_site: tuple[str, Flask],
                                                 width: int) -> None:
    site, app = demo_site
    failures: list[str] = []
    tenant, type_id, mine, foreign = _mapping(app)
    field = f"regulator_{type_id}"

    # the second city's operator: the industry-regulator mapping, once good, once bad
    page = page_at(browser, site, width, SECOND_OPERATOR, demo.DEMO_PASSWORD)
    _watch(page, failures)
    menu_click(page, "nav-catalogue-choices")
    page.wait_for_selector("[data-test=industry-regulators]")
    no_sideways_scroll(page)
    page.select_option(f"select[name={field}]", str(mine))
    page.click("[data-test=save-choices]")
    page.wait_for_selector(".flash-success")
    assert "已保存本地选用的服务目录" in page.inner_text(".flash-success")
    with app.app_context():
        assert regulators.tenant_mapping(tenant)[type_id] == mine
        db.session.remove()
    # a tampered form naming another city's bureau: refused next to the field, in Chinese
    page.evaluate("""([name, value]) => {
        const select = document.querySelector(`select[name=${name}]`);
        select.add(new Option('外地的行业主管部门', value));
        select.value = value;
    }""", [field, str(foreign)])
    page.click("[data-test=save-choices]")
    page.wait_for_selector(f"#{field}-msg")
    assert "请选择本地的行业主管部门" in page.inner_text(f"#{field}-msg")
    no_sideways_scroll(page)
    page.locator(f"#{field}-msg").scroll_into_view_if_needed()
    page.screenshot(path=str(SHOTS / f"choices-refused-{width}.png"))
    with app.app_context():
        assert regulators.tenant_mapping(tenant)[type_id] == mine  # nothing changed
        db.session.remove()

    # its departments' staff: a bad address refused next to the field, what was typed kept
    menu_click(page, "nav-departments")
    page.wait_for_selector("[data-test=department-staff]")
    no_sideways_scroll(page)
    page.fill("input[name=email]", "不是邮箱")
    page.click("form[method=post] button[type=submit]")
    page.wait_for_selector("#email-msg")
    assert re.search(r"邮箱|请", page.inner_text("#email-msg"))
    assert page.input_value("input[name=email]") == "不是邮箱"
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"department-staff-{width}.png"), full_page=True)
    page.context.close()

    # the provincial operator reads every tenant's choices and its own departments' staff
    page = page_at(browser, site, width, PROVINCE_OPERATOR, demo.DEMO_PASSWORD)
    _watch(page, failures)
    menu_click(page, "nav-catalogue-choices")
    page.wait_for_selector(f"[data-test=choices-{SECOND_CITY}]")
    no_sideways_scroll(page)
    menu_click(page, "nav-departments")
    page.wait_for_selector("[data-test=department-staff]")
    no_sideways_scroll(page)
    page.context.close()

    # a visitor: the second city's home, its directory under its prefix (the province's
    # agencies, most admitted in the first city), the division filter
    page = page_at(browser, site, width)
    _watch(page, failures)
    page.goto(f"{site}/d/{SECOND_CITY}/")
    menu_click(page, "nav-directory")
    page.wait_for_selector("[data-test=directory-place]")
    assert page.url.startswith(f"{site}/d/{SECOND_CITY}/agencies")
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"place-directory-{width}.png"))
    everyone = page.inner_text("[data-test=total]")
    page.click("[data-test=directory-place-admitted]")
    page.wait_for_selector(f"[data-test=directory-division] option[value='{SECOND_CITY}']"
                           "[selected]", state="attached")
    assert page.url.startswith(f"{site}/d/{SECOND_CITY}/agencies?division={SECOND_CITY}")
    no_sideways_scroll(page)
    assert page.inner_text("[data-test=total]") != everyone  # narrowed, only when asked
    page.select_option("[data-test=directory-division]", "")
    page.click("[data-test=search]")
    page.wait_for_selector("[data-test=directory-place-admitted]")
    assert page.inner_text("[data-test=total]") == everyone
    page.context.close()
    assert failures == []


FIRST_CITY = "539900"  # the demo city (云川市), whose requests have confirmed contracts


@pytest.mark.parametrize("width", [1280, 390])
def test_place_contract_notices_at_desktop_and_phone_width(
        browser: Any, demo_site: tuple[str, Flask], width: int) -> None:
    """A visitor reaches a city's contract notices (/d/<code>/contracts) from its home and
    from its notices: the demo city's list has its contracts, the second city's is its own
    (none of the first city's)."""
    site, _app = demo_site
    failures: list[str] = []
    page = page_at(browser, site, width)
    _watch(page, failures)
    page.goto(f"{site}/d/{FIRST_CITY}/")
    page.click("[data-test=home-contracts-all]")
    page.wait_for_selector("[data-test=contract-notices]")
    assert page.url.startswith(f"{site}/d/{FIRST_CITY}/contracts")
    assert page.locator("[data-test=contract-notices] tbody a").count() > 0
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"place-contracts-{width}.png"), full_page=True)
    first_city = set(page.locator("[data-test=contract-notices] tbody a").all_inner_texts())
    page.goto(f"{site}/d/{SECOND_CITY}/notices")
    page.click("[data-test=contracts-link]")
    page.wait_for_selector("[data-test=contract-notices]")
    assert page.url.startswith(f"{site}/d/{SECOND_CITY}/contracts")
    assert not first_city & set(
        page.locator("[data-test=contract-notices] tbody a").all_inner_texts())
    no_sideways_scroll(page)
    page.context.close()
    assert failures == []


def _selected(page: Any, name: str) -> str:
    return str(page.eval_on_selector(f"select[name={name}]", "s => s.value"))


def _tamper(page: Any, name: str, value: str) -> None:
    """Add an option the page never offered and choose it, as a hand-edited form would."""
    page.evaluate("""([name, value]) => {
        const select = document.querySelector(`select[name=${name}]`);
        select.add(new Option('外地', value));
        select.value = value;
    }""", [name, value])


def _ids(app: Flask) -> dict[str, int]:
    from market.accounts import tenants
    from market.catalogue.models import Department

    with app.app_context():
        found = {code: i for code, i in db.session.execute(sa.select(
            Department.code, Department.id).where(Department.code.in_(
                ["YL-STHJJ", "YL-ZRZYJ", "YC-STHJJ"])))}
        found.update({code: tenants.by_code(code).id  # type: ignore[union-attr]
                      for code in (FIRST_CITY, SECOND_CITY, "539821", "539822")})
        db.session.remove()
        return found


@pytest.mark.parametrize("width", [1280, 390])
def test_department_tenants_at_desktop_and_phone_width(
        browser: Any, demo_site: tuple[str, Flask], width: int) -> None:
    """The provincial operator gives 云岭市's ecology department to its county and back (saved),
    then to a division not on the platform (refused next to the field, the select showing the
    department's place); the second city's operator invites staff to its own department
    (saved) and to the first city's (refused next to the field, the select showing its own)."""
    from market.catalogue.models import Department

    site, app = demo_site
    failures: list[str] = []
    ids = _ids(app)

    def tenant_of(department: int) -> int:
        with app.app_context():
            found = db.session.get(Department, department).tenant_id  # type: ignore[union-attr]
            db.session.remove()
            return found

    page = page_at(browser, site, width, PROVINCE_OPERATOR, demo.DEMO_PASSWORD)
    _watch(page, failures)
    page.goto(f"{site}/operator/departments")
    page.wait_for_selector("[data-test=departments]")
    no_sideways_scroll(page)
    page.click("a[href$='/operator/departments/YL-STHJJ']")
    page.wait_for_selector("select[name=tenant_id]")
    assert _selected(page, "tenant_id") == str(ids[SECOND_CITY])
    for place in ("539821", SECOND_CITY):  # to the county, and back
        page.select_option("select[name=tenant_id]", str(ids[place]))
        page.click("[data-test=save-department]")
        page.wait_for_selector(".flash-success")
        assert tenant_of(ids["YL-STHJJ"]) == ids[place]
        page.click("a[href$='/operator/departments/YL-STHJJ']")
        page.wait_for_selector("select[name=tenant_id]")
    _tamper(page, "tenant_id", str(ids["539822"]))  # in the tree, not on the platform
    page.fill("input[name=name]", "云岭市生态环境局（改名未存）")
    page.click("[data-test=save-department]")
    page.wait_for_selector("#tenant_id-msg")
    assert "请选择本省或在本平台开通的" in page.inner_text("#tenant_id-msg")
    assert _selected(page, "tenant_id") == str(ids[SECOND_CITY])
    assert page.input_value("input[name=name]") == "云岭市生态环境局（改名未存）"
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"department-tenant-refused-{width}.png"), full_page=True)
    assert tenant_of(ids["YL-STHJJ"]) == ids[SECOND_CITY]
    page.context.close()

    page = page_at(browser, site, width, SECOND_OPERATOR, demo.DEMO_PASSWORD)
    _watch(page, failures)
    menu_click(page, "nav-departments")
    page.wait_for_selector("select[name=department_id]")
    offered = page.eval_on_selector_all("select[name=department_id] option", "os => os.map(o => o.value)")
    assert set(offered) == {str(ids["YL-STHJJ"]), str(ids["YL-ZRZYJ"])}
    first = offered[0]
    _tamper(page, "department_id", str(ids["YC-STHJJ"]))  # the first city's
    page.fill("input[name=email]", f"tamper{width}@yunling.example.cn")
    page.click("[data-test=invite-staff]")
    page.wait_for_selector("#department_id-msg")
    assert "请选择本地的审批部门" in page.inner_text("#department_id-msg")
    assert _selected(page, "department_id") == first
    assert page.input_value("input[name=email]") == f"tamper{width}@yunling.example.cn"
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"department-staff-refused-{width}.png"), full_page=True)
    page.select_option("select[name=department_id]", str(ids["YL-ZRZYJ"]))
    page.fill("input[name=email]", f"staff{width}@yunling.example.cn")
    page.click("[data-test=invite-staff]")
    page.wait_for_selector(".flash-success")
    assert f"staff{width}@yunling.example.cn" in page.inner_text("main")
    no_sideways_scroll(page)
    page.context.close()
    assert failures == []
