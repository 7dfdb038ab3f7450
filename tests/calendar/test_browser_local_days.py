"""A city operator enters its local holiday (地方性节假日) in a real browser at desktop and
phone width (390 px): bad data first (the message next to the field, what was typed kept),
then good data, then the day on the city's public calendar."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from devdata import demo
from market import timeutil
from market.calendar.models import CalendarLocalDay
from market.db import db
from tests.support.live import menu_click, page_at

pytestmark = pytest.mark.browser
SHOTS = Path(tempfile.gettempdir()) / "market-local-days"
OPERATOR = "operator@yunchuan.demo"  # 云川市's


def _fits(page: Any, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"


@pytest.mark.parametrize("width", [1280, 390])
def test_a_city_operator_adds_a_local_holiday_and_sees_it_on_the_calendar(
        browser: Any, demo_city_site: tuple[str, Flask], width: int) -> None:
    site, app = demo_city_site
    year = timeutil.today_local().year + 1
    day = f"{year}-07-{27 if width == 1280 else 20}"  # one day per run (the database is shared)
    page = page_at(browser, site, width, OPERATOR, demo.DEMO_PASSWORD)
    menu_click(page, "nav-local-days")
    page.wait_for_selector("[data-test=local-days]")
    _fits(page, width)
    # bad: an impossible date, no source
    page.fill("textarea[name=days]", f"{year}-02-30")
    page.fill("input[name=name]", "火把节")
    page.click("form.card button.primary")
    page.wait_for_selector(".field.has-error")
    assert "不存在的日期" in page.inner_text(".field.has-error")
    assert page.input_value("textarea[name=days]") == f"{year}-02-30"
    assert page.input_value("input[name=name]") == "火把节"
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"refused-{width}.png"), full_page=True)
    # good
    page.fill("textarea[name=days]", day)
    page.fill("input[name=source]", "《云南省楚雄彝族自治州自治条例》")
    page.click("form.card button.primary")
    page.wait_for_selector(".flash")
    page.wait_for_selector("[data-test=local-day]")
    assert day in page.inner_text("[data-test=local-days]")
    with app.app_context():
        stored = db.session.scalars(sa.select(CalendarLocalDay).where(
            CalendarLocalDay.day == date.fromisoformat(day))).all()
        assert [(r.name, r.source, r.working) for r in stored] == [
            ("火把节", "《云南省楚雄彝族自治州自治条例》", False)]
    # the public calendar of the city shows it
    page.click("text=查看本地日历")
    page.wait_for_selector("[data-test=division-picker]")
    page.goto(page.url.split("?")[0] + f"?year={year}&division=539900")
    page.wait_for_selector("[data-test=local-list]")
    assert day in page.inner_text("[data-test=local-list]")
    assert page.locator(f"td[title^='{day}'][data-test=local-cell]").count() == 1
    _fits(page, width)
    page.screenshot(path=str(SHOTS / f"calendar-{width}.png"), full_page=True)
