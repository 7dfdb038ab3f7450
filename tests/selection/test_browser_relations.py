"""Relations in a real browser at phone width (390 px): an agency's administrator declares a
related unit, gets the check-digit error next to the field with what was typed kept, corrects
it and sees the relation listed; the operator's page lists it; nothing is wider than the
screen."""

from __future__ import annotations

from typing import Any

import pytest

from market.accounts.models import Organisation
from market.db import db
from tests.selection.conftest import City
from tests.support.live import no_sideways_scroll, sized_page

pytestmark = pytest.mark.browser


def test_an_agency_declares_a_relation_on_a_phone(browser: Any, city: City, site: str) -> None:
    with city.app.app_context():
        other = db.session.get(Organisation, city.agencies[1].org_id)
        code, name = other.credit_code, other.name
    page = sized_page(browser, site, city.agencies[0].email, phone=True)
    page.click("[data-test=menu-toggle]")
    page.click("[data-test=nav-relations]")
    page.wait_for_selector("[data-test=relation-form]")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    page.fill("input[name=other_credit_code]", wrong)
    page.select_option("select[name=kind]", "shared_contact")
    page.click("[data-test=relation-form] button[type=submit]")
    page.wait_for_selector(".field.has-error .error")
    assert "校验位" in page.inner_text(".field.has-error")
    assert page.input_value("input[name=other_credit_code]") == wrong
    assert page.input_value("select[name=kind]") == "shared_contact"
    no_sideways_scroll(page)
    page.fill("input[name=other_credit_code]", code)
    page.click("[data-test=relation-form] button[type=submit]")
    page.wait_for_selector("[data-test=relations] tbody tr[data-test^=relation-]")
    assert name in page.inner_text("[data-test=relations]")
    no_sideways_scroll(page)
    page.screenshot(path="/tmp/relations-390.png", full_page=True)
    operator = sized_page(browser, site, city.operator.email, phone=True)
    operator.goto(site + "/operator/relations")
    assert name in operator.inner_text("[data-test=relations]")
    no_sideways_scroll(operator)
