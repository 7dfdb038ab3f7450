"""In a real browser, on a phone-wide screen: text pasted with an invisible character is
refused next to its field with what was typed kept; full-width digits from a Chinese IME are
accepted as numbers and codes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market.accounts.models import Role
from market.db import db
from market.selection.models import Project
from tests.conftest import create_person, make_app
from tests.support.live import open_page, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[Flask, str, str]]:
    app = make_app(tmp_path)
    owner = create_person(app, Role.OWNER_ADMIN)
    with serve(app) as url:
        yield app, url, owner.email


def test_owner_pastes_an_invisible_character_then_types_full_width_digits(
        browser: Any, site: tuple[Flask, str, str], tmp_path: Path) -> None:
    app, url, email = site
    page = open_page(browser, url, email)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(url + "/owner/projects")
    page.fill("input[name=name]", "东城区\u200b第三小学改扩建")
    page.fill("input[name=code]", "２０２６－５３９９０１－４７－０１－０００１２３")
    page.check("input[name=fund_source][value=fiscal]")
    page.fill("input[name=investment]", "８，６００")
    page.fill("input[name=location]", "云川市东城区")
    page.click("form button[type=submit]")
    field = page.locator(".field", has=page.locator("input[name=name]"))
    field.wait_for()
    assert "U+200B 零宽空格" in field.inner_text()
    assert page.input_value("input[name=name]") == "东城区\u200b第三小学改扩建"  # kept
    assert page.input_value("input[name=investment]") == "8,600"  # folded, kept
    # The message wraps inside a phone-wide screen.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(tmp_path / "refused-390.png"), full_page=True)

    page.fill("input[name=name]", "东城区第三小学改扩建")
    page.click("form button[type=submit]")
    page.wait_for_selector("text=项目已登记")
    with app.app_context():
        project = db.session.scalar(sa.select(Project))
        assert (project.name, project.code) == ("东城区第三小学改扩建", "2026-539901-47-01-000123")
        assert project.investment_fen == 8600 * 10_000 * 100
    page.close()
