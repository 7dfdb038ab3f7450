"""In a real browser, at desk (1280 px) and phone (390 px) width: a department's staff member
takes a case through 收件 → 补正 → 受理 (refused without the acceptance condition's report,
then accepted with it) → a special procedure linked to an engagement → resumed by itself at
the deliverable's acceptance → an Art. 42 extension → the decision; the owner follows it,
read-only."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from market import timeutil
from tests.conftest import create_person
from tests.engagements.conftest import engagement_id_of, make_award
from tests.selection.conftest import START, City
from tests.support.approvals_flow import (
    _deliver_and_accept,
    _project_of,
    _sign,
    make_staffed_matter,
)
from tests.support.live import PHONE, no_sideways_scroll, open_page

pytestmark = pytest.mark.browser
DAY = timedelta(days=1)
WIDTHS = {"desk": {"width": 1280, "height": 800}, "phone": PHONE}


def _state(page: Any) -> str:
    return str(page.get_attribute("[data-test=case-state]", "data-state"))


@pytest.mark.parametrize("width", list(WIDTHS))
def test_staff_take_a_case_through_the_laws_order(browser: Any, city: City, site: str,
                                                  width: str) -> None:
    app, viewport = city.app, WIDTHS[width]
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p)
    with timeutil.frozen(START):
        eia = engagement_id_of(app, make_award(app, city, service_days=5))
        project_id, code = _project_of(app, eia)
        test = engagement_id_of(app, make_award(app, city, service_days=4, code="TEST",
                                                project_id=project_id))
        staff = open_page(browser, site, staff_p.email, viewport=viewport)
        owner = open_page(browser, site, city.owner.email, viewport=viewport)
        staff.goto(site + "/approvals/")  # the menu folds on a phone; the page is the same
        staff.click("[data-test=receive-application]")
        staff.fill("input[name=project_code]", code)
        staff.select_option("select[name=matter_id]", str(matter_id))
        staff.click("[data-test=receive]")
        staff.wait_for_selector("text=已登记收件")
        assert "五个工作日" in staff.inner_text("[data-test=correction-window]")
        no_sideways_scroll(staff)
        case_url = staff.url
        staff.click("[data-test=return]")
        staff.wait_for_selector("text=一次告知需补正的全部内容")
    with timeutil.frozen(START + 2 * DAY):
        staff.goto(case_url)
        staff.click("[data-test=resubmit]")
        staff.wait_for_selector("text=已登记补正材料")
        # 受理 without the acceptance condition's report: refused next to the field
        staff.select_option("select[name=accept-mode]", "accepted")
        staff.click("[data-test=accept]")
        error = staff.inner_text("#accept-mode-msg")
        assert "环境影响评价" in error and "受理条件" in error
        assert "EIA" not in error and "tolerated_acceptance" not in error
        assert _state(staff) == "preparing"
        no_sideways_scroll(staff)
        _sign(city, eia)
        _sign(city, test)
    _deliver_and_accept(city, eia, START + 3 * DAY)
    with timeutil.frozen(START + 4 * DAY):
        staff.goto(case_url)
        staff.select_option("select[name=accept-mode]", "accepted")
        staff.click("[data-test=accept]")
        staff.wait_for_selector("text=已受理，审批时限开始计算")
        assert _state(staff) == "accepted"
        # the special procedure performed by the testing engagement
        staff.select_option("select[name=special-reason]", "testing")
        staff.select_option("select[name=special-engagement_id]", test)
        staff.click("[data-test=special]")
        staff.wait_for_selector("text=已生成书面告知")
        assert _state(staff) == "suspended"
        owner.goto(case_url)
        assert _state(owner) == "suspended"
        assert owner.query_selector("[data-test=staff-actions]") is None
        assert owner.query_selector("form[action*='/events/']") is None
        owner.click("text=书面告知")
        notice = owner.inner_text("[data-test=notice]")
        assert "检测" in notice and "4 个工作日" in notice and "第四十五条" in notice
        no_sideways_scroll(owner)
    _deliver_and_accept(city, test, START + 7 * DAY)
    with timeutil.frozen(START + 8 * DAY):
        staff.goto(case_url)
        assert _state(staff) == "running"  # resumed by itself at the acceptance
        assert "已于" in staff.inner_text("[data-test=suspension-1]")
        staff.fill("input[name=extend-days]", "12")
        staff.fill("input[name=extend-approved_by]", "张局长")
        staff.fill("input[name=extend-extension_reason]", "需现场核查")
        staff.click("[data-test=extend]")
        assert "10" in staff.inner_text("#extend-days-msg")
        assert staff.input_value("input[name=extend-extension_reason]") == "需现场核查"
        staff.fill("input[name=extend-days]", "10")
        staff.click("[data-test=extend]")
        staff.wait_for_selector("text=已延长审批时限")
        staff.select_option("select[name=outcome-outcome]", "approved")
        staff.click("[data-test=decide]")
        staff.wait_for_selector("text=已办结")
        assert _state(staff) == "decided"
        no_sideways_scroll(staff)
        owner.goto(case_url)
        assert _state(owner) == "decided"
        history = owner.inner_text("[data-test=case-events]")
        assert "张局长" in history and "需现场核查" in history and "受理" in history
        assert owner.query_selector("[data-test=staff-actions]") is None
        no_sideways_scroll(owner)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_staff_receive_a_joint_case_with_its_45_days(browser: Any, city: City, site: str,
                                                     width: str) -> None:
    """行政许可法 Art. 42 ¶2 on the staff's pages: 收件 as a joint case (统一办理、联合办理、集中办理)
    gives 45 working days over the matter's 60; 受理; a 16-day extension is refused at its
    field, 15 days approved by the head of the people's government are taken."""
    app, viewport = city.app, WIDTHS[width]
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p, committed=50)
    with timeutil.frozen(START):
        eia = engagement_id_of(app, make_award(app, city, service_days=5))
        _project_id, code = _project_of(app, eia)
        staff = open_page(browser, site, staff_p.email, viewport=viewport)
        staff.goto(site + "/approvals/receive")
        staff.fill("input[name=project_code]", code)
        staff.select_option("select[name=matter_id]", str(matter_id))
        staff.check("input[name=joint]")
        no_sideways_scroll(staff)
        staff.click("[data-test=receive]")
        staff.wait_for_selector("text=已登记收件")
        assert staff.get_attribute("[data-test=handling]", "data-joint") == "yes"
        assert "四十五个工作日" in staff.inner_text("[data-test=handling]")
        assert "45 / 45" in staff.inner_text("dl.facts")
        staff.select_option("select[name=accept-mode]", "pledge_acceptance")
        staff.click("[data-test=accept]")
        staff.wait_for_selector("text=审批时限开始计算")
        assert "本级人民政府负责人" in staff.inner_text("[data-test=extend-rule]")
        staff.fill("input[name=extend-days]", "16")
        staff.fill("input[name=extend-approved_by]", "李副市长")
        staff.fill("input[name=extend-extension_reason]", "多部门联合踏勘")
        staff.click("[data-test=extend]")
        assert "15" in staff.inner_text("#extend-days-msg")
        assert staff.input_value("input[name=extend-extension_reason]") == "多部门联合踏勘"
        staff.fill("input[name=extend-days]", "15")
        staff.click("[data-test=extend]")
        staff.wait_for_selector("text=已延长审批时限")
        assert "60" in staff.inner_text("[data-test=case-clock]")
        no_sideways_scroll(staff)
