"""In a real browser at 1280 and 390 px: the regulator's sanction form states the classes of
失信信息 and their publication periods, the confirmation says the class, the earliest repair
and the end of publication, the list says until when it is published, and the agency's
public page shows the class and the last day published; every page fits the screen."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from market import timeutil
from tests.selection.conftest import START, City
from tests.support.live import open_page, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


@pytest.mark.parametrize("width", [1280, 390])
def test_the_sanction_form_and_the_public_page_say_the_publication_period(
        browser: Any, city: City, site: str, width: int) -> None:
    agency_id = city.agency_id(city.agencies[0])
    with timeutil.frozen(START):  # 2026-03-02
        page = open_page(browser, site, city.regulator.email)
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(f"{site}/regulator/sanctions/new?agency={agency_id}")
        page.wait_for_selector("[data-test=kind-classes]")
        assert "黑名单属严重失信信息" in page.inner_text("[data-test=kind-classes]")
        assert _fits(page)
        page.select_option("select[name=kind]", "blacklist")
        page.fill("textarea[name=reason]", "伪造执业人员签字")
        page.fill("input[name=legal_basis]", "《云川市中介服务管理办法》第二十条")
        page.fill("input[name=starts_on]", "2026-03-02")
        page.fill("input[name=ends_on]", "2030-12-31")
        page.click("[data-test=preview-sanction]")
        page.wait_for_selector("[data-test=effect-publication]")
        assert "严重失信" in page.inner_text("[data-test=effect-class]")
        assert "2029-03-01" in page.inner_text("[data-test=effect-publication]")
        assert "2027-03-02" in page.inner_text("[data-test=effect-repair]")
        assert _fits(page)
        page.screenshot(path=f"/tmp/publication-confirm-{width}.png", full_page=True)
        page.click("[data-test=issue-sanction]")
        page.wait_for_selector("text=处罚已发布")
        cell = page.inner_text("[data-test^=publication-]")
        assert "严重失信" in cell and "公示至 2029-03-01" in cell
        assert _fits(page)
        page.screenshot(path=f"/tmp/publication-list-{width}.png", full_page=True)

        public = open_page(browser, site, None)
        public.set_viewport_size({"width": width, "height": 900})
        public.goto(f"{site}/agencies/{agency_id}")
        public.wait_for_selector("[data-test=active-sanction]")
        assert "严重失信信息，公示至 2029-03-01" in public.inner_text(
            "[data-test=sanction-publication]")
        assert _fits(public)
        public.screenshot(path=f"/tmp/publication-profile-{width}.png", full_page=True)
        public.goto(f"{site}/credit/lists")
        public.wait_for_selector("[data-test=black-list-publication]")
        assert agency_id in public.content()
        assert _fits(public)
