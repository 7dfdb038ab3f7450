"""The city operator's catalogue choice (目录选用) walked in a real browser at desktop and phone
width (390 px): switch a service type off, see it saved and gone from the owner's form, switch
it on again."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devdata import demo
from market.accounts.models import Membership, Organisation, User
from market.catalogue import choices
from market.catalogue.models import ServiceType
from market.db import db
from tests.support.live import menu_click, page_at

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-catalogue-choices"
OPERATOR = "operator@yunchuan.demo"


def _fits(page: Any, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"


@pytest.mark.parametrize("width", [1280, 390])
def test_the_city_operator_switches_a_service_type_off_and_on(
        browser: Any, demo_city_site: tuple[str, Flask], width: int) -> None:
    site, app = demo_city_site
    with app.app_context():
        st = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).first()
        assert st is not None
        type_id, code = st.id, st.code
        tenant = db.session.scalar(
            sa.select(Organisation.tenant_id).join(Membership).join(User)
            .where(User.email == OPERATOR))
    page = page_at(browser, site, width, OPERATOR, demo.DEMO_PASSWORD)
    menu_click(page, "nav-catalogue-choices")
    page.wait_for_selector("[data-test=choices-form]")
    _fits(page, width)
    box = page.locator(f"input[name=service_type_ids][value='{type_id}']")
    assert box.is_checked()
    box.uncheck()
    page.click("[data-test=save-choices]")
    page.wait_for_selector(".flash, [role=status], .success")
    page.wait_for_selector("[data-test=choices-form]")
    assert not page.locator(f"input[name=service_type_ids][value='{type_id}']").is_checked()
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"choices-{width}.png"), full_page=True)
    with app.app_context():
        assert tenant is not None and not choices.uses_type(tenant, type_id)
        owner_email = db.session.scalar(
            sa.select(User.email).join(Membership).join(Organisation)
            .where(Membership.role == "owner_admin", Organisation.tenant_id == tenant,
                   Organisation.status == "active").order_by(User.id).limit(1))
    owner = page_at(browser, site, width, owner_email, demo.DEMO_PASSWORD)
    owner.goto(site + "/owner/requests/new")
    owner.wait_for_selector("select[name=service_code]")
    assert owner.locator(f"select[name=service_code] option[value='{code}']").count() == 0
    # on again
    page.locator(f"input[name=service_type_ids][value='{type_id}']").check()
    page.click("[data-test=save-choices]")
    page.wait_for_selector("[data-test=choices-form]")
    assert page.locator(f"input[name=service_type_ids][value='{type_id}']").is_checked()
    with app.app_context():
        assert choices.uses_type(tenant, type_id)
