"""The monthly report and the public statistics in a real browser, at 1280 and 390 px: the
regulator finds the written month from the console, reads the charts and the figures, downloads
the CSV and the PDF; anyone reaches the statistics from the home page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from market import timeutil
from tests.selection.conftest import City
from tests.support.layout import MEASURE
from tests.support.live import open_page, serve
from tests.support.report_month import APRIL_2, build_march

pytestmark = pytest.mark.browser

WIDE, PHONE = {"width": 1280, "height": 900}, {"width": 390, "height": 844}


@pytest.fixture
def site(city: City, pdf_library: None) -> Iterator[str]:
    build_march(city)
    with timeutil.frozen(APRIL_2):
        result = city.app.test_cli_runner().invoke(
            args=["reports", "monthly", "--month", "2026-03"])
        assert result.exit_code == 0, result.output
    with serve(city.app) as url:
        yield url


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280", "390"])
def test_the_regulator_reads_the_month(browser: Any, city: City, site: str,
                                       viewport: dict[str, int], tmp_path: Any) -> None:
    with timeutil.frozen(APRIL_2):
        page = open_page(browser, site, city.regulator.email)
        page.set_viewport_size(viewport)
        page.goto(site + "/regulator")
        if viewport is PHONE and not page.locator("[data-test=console-reports]").is_visible():
            page.goto(site + "/regulator/reports")
        else:
            page.click("[data-test=console-reports]")
        page.click("[data-test=month-2026-03]")
        page.wait_for_selector("[data-test=section-amounts]")
        assert page.inner_text("[data-figure='amounts.saving_rate'] td:last-child") == "25.00%"
        assert page.inner_text("[data-figure='escalations.raised'] td:last-child").startswith("0")
        assert page.locator("svg.report-chart").count() == 6
        assert page.evaluate(MEASURE) == []
        page.screenshot(path=str(tmp_path / f"month-{viewport['width']}.png"), full_page=True)
        with page.expect_download() as csv_download:
            page.click("[data-test=csv]")
        assert csv_download.value.suggested_filename == "monthly-report-2026-03.csv"
        with page.expect_download() as pdf_download:
            page.click("[data-test=pdf]")
        assert pdf_download.value.suggested_filename == "monthly-report-2026-03.pdf"


@pytest.mark.parametrize("viewport", [WIDE, PHONE], ids=["1280", "390"])
def test_anyone_reaches_the_statistics_from_the_home_page(browser: Any, site: str,
                                                          viewport: dict[str, int],
                                                          tmp_path: Any) -> None:
    with timeutil.frozen(APRIL_2):
        page = open_page(browser, site, None)
        page.set_viewport_size(viewport)
        page.goto(site + "/")
        page.click("[data-test=statistics-link]")
        page.wait_for_selector("[data-test=section-requests]")
        assert "2026-03" in page.inner_text("h1")
        assert page.locator("svg.report-chart").count() == 6
        assert page.evaluate(MEASURE) == []
        page.screenshot(path=str(tmp_path / f"statistics-{viewport['width']}.png"),
                        full_page=True)
