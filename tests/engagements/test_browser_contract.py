"""In a real browser at phone width (390 px): both sides read the standard contract (合同范本)
filled from the notice before they confirm, then anyone reads the contract notice (合同公告)
from the list and from the selection notice — every page checked by axe-core, none wider than
the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from market import timeutil
from tests.engagements.conftest import PDF, engagement_id_of, make_award
from tests.selection.conftest import START, City
from tests.support.live import no_sideways_scroll, serve, sized_page

pytestmark = pytest.mark.browser


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


def test_contract_and_its_notice_on_a_phone(browser: Any, city: City, site: str,
                                            tmp_path: Path) -> None:
    app = city.app
    award_id = make_award(app, city, service_days=12)
    contract = tmp_path / "合同.pdf"
    contract.write_bytes(PDF + b"contract")
    shots = Path("/tmp")  # screenshots to look at after a run, as the other browser tests
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        agency = sized_page(browser, site, city.agencies[0].email, phone=True)
        owner = sized_page(browser, site, city.owner.email, phone=True)
        agency.goto(f"{site}/engagements/{eid}")
        text = agency.inner_text("[data-test=standard-contract] [data-test=contract-text]")
        assert "30,000.00" in text and "12 个工作日" in text and "编制环境影响报告表" in text
        no_sideways_scroll(agency)
        agency.screenshot(path=str(shots / "contract-phone-390.png"), full_page=True)
        agency.set_input_files("form >> input[name=file]", str(contract))
        agency.click("[data-test=upload-contract]")
        agency.wait_for_selector("text=等待对方确认")
        owner.goto(f"{site}/engagements/{eid}")
        assert owner.is_visible("[data-test=standard-contract] [data-test=contract-text]")
        no_sideways_scroll(owner)
        owner.click("[data-test=confirm-contract]")
        owner.wait_for_selector("text=服务时限开始计算")
        owner.click("[data-test=contract-notice-link]")
        owner.wait_for_selector("[data-test=contract-facts]")
        # anyone, from the list and from the selection notice
        public = sized_page(browser, site, None, phone=True)
        public.goto(f"{site}/notices")
        public.click("[data-test=contracts-link]")
        public.click(f"a[href='/contracts/{eid}']")
        assert "30,000.00" in public.inner_text("[data-test=contract-fee]")
        assert "第三条 服务费" in public.inner_text("[data-test=contract-text]")
        no_sideways_scroll(public)
        public.screenshot(path=str(shots / "contract-notice-phone-390.png"), full_page=True)
        public.click("[data-test=notice-link]")
        public.click("[data-test=contract-notices] a")
        public.wait_for_selector("[data-test=contract-text]")
        no_sideways_scroll(public)
