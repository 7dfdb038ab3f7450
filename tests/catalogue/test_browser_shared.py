"""The shared catalogue in a real browser at desktop and phone width (390 px): a city's
operator reads the service types without a form and is told who keeps them; the provincial
operator edits one, is refused with bad data (the error next to the field, what it typed
kept) and saves good data."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devdata import demo
from market.catalogue.models import ServiceType
from market.db import db
from tests.support.live import menu_click, no_sideways_scroll, page_at

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-catalogue-shared"
CITY_OPERATOR = "operator@yunchuan.demo"
PROVINCIAL_OPERATOR = "province-operator@yunchuan.demo"
KEEPER = "云南省政务服务管理局（平台运营）"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_city_operator_reads_the_service_types(
        browser: Any, demo_city_site: tuple[str, Flask], width: int) -> None:
    site, _app = demo_city_site
    page = page_at(browser, site, width, CITY_OPERATOR, demo.DEMO_PASSWORD)
    menu_click(page, "nav-service-types")
    page.wait_for_selector("[data-test=read-only]")
    assert KEEPER in page.inner_text("[data-test=read-only]")
    assert page.locator("[data-test=service-types] tbody tr").count() > 1
    assert page.locator("main input[name=code]").count() == 0
    assert page.locator("[data-test=service-types] a:text('修改')").count() == 0
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"city-operator-{width}.png"), full_page=True)


@pytest.mark.parametrize("width", [1280, 390])
def test_the_provincial_operator_edits_a_service_type(
        browser: Any, demo_city_site: tuple[str, Flask], width: int) -> None:
    site, app = demo_city_site
    with app.app_context():
        st = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).first()
        assert st is not None
        code = st.code
    page = page_at(browser, site, width, PROVINCIAL_OPERATOR, demo.DEMO_PASSWORD)
    menu_click(page, "nav-service-types")
    page.wait_for_selector("[data-test=service-types]")
    assert page.locator("[data-test=read-only]").count() == 0
    page.goto(f"{site}/operator/service-types/{code}")
    page.wait_for_selector("main input[name=code]")
    name = f"宽度 {width} 的新名称"
    page.fill("main input[name=code]", "1BAD")
    page.fill("main input[name=name]", name)
    page.click("main form button.primary")
    page.wait_for_selector(".field.has-error")
    assert "以字母开头" in page.inner_text(".field.has-error")
    assert page.input_value("main input[name=name]") == name  # kept as typed
    no_sideways_scroll(page)
    with app.app_context():
        assert db.session.scalar(sa.select(ServiceType.name).where(
            ServiceType.code == code)) != name
    page.fill("main input[name=code]", code)
    page.click("main form button.primary")
    page.wait_for_url(f"{site}/operator/service-types")
    page.wait_for_selector("[data-test=service-types]")
    assert name in page.inner_text("[data-test=service-types]")
    no_sideways_scroll(page)
    page.screenshot(path=str(SHOTS / f"provincial-operator-{width}.png"), full_page=True)
    with app.app_context():
        assert db.session.scalar(sa.select(ServiceType.name).where(
            ServiceType.code == code)) == name
