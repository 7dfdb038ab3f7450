"""In a real browser: a confirmed award → contract → materials pause → deliverable → return →
revision → acceptance, while the approval case the report is an acceptance condition of waits
in preparation (申报准备; nothing suspends it); then the owner pays offline and the agency
confirms receipt (the offline payment, end to end)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from market import timeutil
from tests.engagements.conftest import PDF, engagement_id_of, make_award, make_matter
from tests.selection.conftest import START, City
from tests.support.live import open_page

pytestmark = pytest.mark.browser
DAY = timedelta(days=1)


_page = open_page


def _state(page: Any, selector: str) -> str:
    return str(page.get_attribute(selector, "data-state"))


def test_engagement_end_to_end_in_the_browser(browser: Any, city: City, site: str,
                                              tmp_path: Path) -> None:
    app = city.app
    matter_id = make_matter(app)
    award_id = make_award(app, city, service_days=10)
    v1, v2 = tmp_path / "报告v1.pdf", tmp_path / "报告v2.pdf"
    v1.write_bytes(PDF + b"v1")
    v2.write_bytes(PDF + b"v2")
    contract = tmp_path / "合同.pdf"
    contract.write_bytes(PDF + b"contract")
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        owner = _page(browser, site, city.owner.email)
        agency = _page(browser, site, city.agencies[0].email)
        # the owner prepares the application: the report is an acceptance condition
        owner.click("[data-test=nav-approvals]")
        owner.click("[data-test=new-case]")
        owner.select_option("select[name=matter_id]", str(matter_id))
        owner.click("[data-test=create-case]")
        owner.wait_for_selector("text=已开始申报准备")
        assert owner.query_selector("[data-test=staff-actions]") is None
        case_url = owner.url
        # contract: the agency uploads, the owner confirms
        agency.click("[data-test=nav-engagements]")
        agency.click(f"[data-test=engagement-{eid}]")
        agency.set_input_files("form >> input[name=file]", str(contract))
        agency.click("[data-test=upload-contract]")
        agency.wait_for_selector("text=等待对方确认")
        owner.goto(f"{site}/engagements/{eid}")
        owner.click("[data-test=confirm-contract]")
        owner.wait_for_selector("text=服务时限开始计算")
        owner.goto(case_url)
        assert _state(owner, "[data-test=case-state]") == "preparing"  # not suspended
    with timeutil.frozen(START + 2 * DAY):
        agency.goto(f"{site}/engagements/{eid}")
        agency.fill("textarea[name=what]", "规划条件和地形图")
        agency.click("[data-test=ask-materials]")
        agency.wait_for_selector("text=服务时限暂停计算")
        assert _state(agency, "[data-test=clock-service] [data-test=clock-state]") == "paused"
    with timeutil.frozen(START + 4 * DAY):
        owner.goto(f"{site}/engagements/{eid}")
        owner.fill("textarea[name=answer]", "已通过邮件提供")
        owner.click("[data-test=answer-materials]")
        owner.wait_for_selector("text=服务时限恢复计算")
    with timeutil.frozen(START + 8 * DAY):
        agency.goto(f"{site}/engagements/{eid}")
        agency.set_input_files("form >> input[name=file]", str(v1))
        agency.click("[data-test=submit-deliverable]")
        agency.wait_for_selector("[data-test=deliverable-v1]")
    with timeutil.frozen(START + 9 * DAY):
        owner.goto(f"{site}/engagements/{eid}")
        owner.fill("textarea[name=reason]", "缺少噪声预测章节")
        owner.click("[data-test=return]")
        owner.wait_for_selector("text=服务成果已退回修改")
    with timeutil.frozen(START + 11 * DAY):
        agency.goto(f"{site}/engagements/{eid}")
        agency.set_input_files("form >> input[name=file]", str(v2))
        agency.click("[data-test=submit-deliverable]")
        agency.wait_for_selector("[data-test=deliverable-v2]")
    with timeutil.frozen(START + 14 * DAY):
        owner.goto(f"{site}/engagements/{eid}")
        owner.click("[data-test=accept]")
        owner.wait_for_selector("text=服务成果已验收")
        assert _state(owner, "[data-test=engagement-state]") == "accepted"
        owner.goto(case_url)
        assert _state(owner, "[data-test=case-state]") == "preparing"
        assert owner.query_selector("[data-test=missing]") is None  # the condition is met
        # money, offline: the owner records the transfer, releases, the agency confirms
        owner.goto(f"{site}/engagements/{eid}")
        owner.click("[data-test=billing-link]")
        owner.fill("input[name=reference]", "GK2026031600123")
        owner.fill("input[name=paid_on]", "2026-03-16")
        owner.fill("input[name=amount]", "30000")
        owner.click("[data-test=offline-payment] >> button[type=submit]")
        owner.wait_for_selector("text=付款已登记")
        owner.goto(f"{site}/engagements/{eid}")
        owner.click("[data-test=release]")
        owner.wait_for_selector("text=费用已结算给中介机构")
        agency.goto(f"{site}/engagements/{eid}")
        agency.click("[data-test=billing-link]")
        agency.click("[data-test=confirm-payout]")
        agency.wait_for_selector("text=已确认收款")
        assert agency.inner_text("[data-test=status]") == "已结清"
        # the dashboards show the clocks; the timeline draws them
        owner.goto(f"{site}/dashboard")
        owner.wait_for_selector("[data-test=clock-board]")
        owner.goto(case_url)
        owner.click("[data-test=timeline-link]")
        owner.wait_for_selector("[data-test=timeline-svg]")
        # (how the timeline splits time before 受理 is the timeline's own tests')
