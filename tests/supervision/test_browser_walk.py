"""Supervision walked as its users would, in a real browser at 1280 and 390 px:

* a visitor, logged out: the home page's latest contract notices lead to the notice and to the
  whole list, its statistics link to the public statistics, and the published ladder;
* the regulator: the console's ladder per responsible party, the oldest first, a second page,
  one party's whole list, and an unknown party refused (404);
* the department's staff: the warning of a case past its limit among its reminders, and the
  case it leads to;
* the operator: a follow-up (回访) without a result refused next to its field, what was typed
  kept, then recorded;
* agencies: one subscribes at once, one to the daily digest (each after a refused try); a
  notice published reaches the first by e-mail and the second in the next morning's digest,
  both through a real SMTP server on loopback.
"""

from __future__ import annotations

import email
import email.policy
from datetime import timedelta
from typing import Any

import pytest

from market import timeutil
from market.db import db
from market.notify.reminders import tick
from market.supervision import views
from market.supervision.models import EscalationStep
from market.supervision.operations import escalate
from tests.conftest import create_person, csrf_token, login
from tests.engagements.conftest import engagement_id_of, make_award, post
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City
from tests.support.approvals_flow import _project_of, make_staffed_matter
from tests.support.live import no_sideways_scroll, open_page
from tests.support.mail import Inbox
from tests.support.selection_flow import publish
from tests.support.supervision_flow import RED_AT, _late_service

pytestmark = pytest.mark.browser
WIDTHS = [1280, 390]


def _page(browser: Any, site: str, who: str | None, width: int) -> Any:
    return open_page(browser, site, who, viewport={"width": width, "height": 900})


@pytest.mark.parametrize("width", WIDTHS)
def test_the_front_window_and_the_console(browser: Any, city: City, site: str,
                                          width: int) -> None:
    eid = _late_service(city.app, city)  # its contract confirmed: a contract notice
    with timeutil.frozen(RED_AT):
        with city.app.app_context():
            assert escalate() == 3
            # more departments than a console page holds, each warned after the agency; the
            # console shows only matters in the regulator's scope, so each is about the late
            # engagement (another due date each)
            db.session.add_all(EscalationStep(
                subject_kind="service", subject_id=eid, subject_link="/approvals",
                subject_title="", due_date=RED_AT.date() - timedelta(days=n + 1),
                step="warning",
                party_kind="department", party_org_id=None, party_name=f"第{n:02d}审批局",
                late_days=1, raised_at=RED_AT + timedelta(minutes=n), told=[])
                for n in range(views.PARTIES_PER_PAGE))
            db.session.commit()

        anyone = _page(browser, site, None, width)
        anyone.goto(site + "/")
        contracts = anyone.locator("[data-test=home-contracts]")
        assert eid not in contracts.inner_text()  # the notice shows the project and service
        contracts.locator("li a").first.click()
        anyone.wait_for_url(f"**/contracts/{eid}")
        no_sideways_scroll(anyone)
        anyone.go_back()
        anyone.locator("[data-test=home-contracts] p a").click()
        anyone.wait_for_selector("[data-test=contract-notices]")
        assert f"/contracts/{eid}" in anyone.content()
        no_sideways_scroll(anyone)
        anyone.go_back()
        anyone.click("[data-test=statistics-link]")
        anyone.wait_for_url("**/statistics")
        no_sideways_scroll(anyone)
        anyone.goto(site + "/supervision")
        no_sideways_scroll(anyone)
        anyone.screenshot(path=f"/tmp/hl-walk-rule-{width}.png", full_page=True)

        reg = _page(browser, site, city.regulator.email, width)
        reg.goto(site + "/regulator")
        reg.click("[data-test=console-supervision]")
        reg.wait_for_selector("[data-test=ladder-party]")  # count() does not wait for the page
        parties = reg.locator("[data-test=ladder-party]")
        assert parties.count() == views.PARTIES_PER_PAGE
        assert eid in parties.first.inner_text()  # the oldest: the late service's agency
        for step in ("warning", "yellow", "red"):
            assert parties.first.locator(f"[data-test=step-{step}]").count() == 1
        no_sideways_scroll(reg)
        reg.screenshot(path=f"/tmp/hl-walk-console-{width}.png", full_page=True)
        reg.click("[data-test=next-page]")
        reg.wait_for_selector("[data-test=pager-page] >> text=第 2 / 2 页")
        assert reg.locator("[data-test=ladder-party]").count() == 1
        assert "第09审批局" in reg.inner_text("[data-test=ladder-party]")  # the youngest
        no_sideways_scroll(reg)
        response = reg.goto(site + "/regulator/supervision?party=agency:AG-NONE")
        assert response is not None and response.status == 404


@pytest.mark.parametrize("width", WIDTHS)
def test_the_department_hears_of_its_late_case(browser: Any, city: City, site: str,
                                               width: int) -> None:
    app = city.app
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p, committed=2)
    staff = app.test_client()
    assert login(staff, staff_p.email).status_code == 302
    with timeutil.frozen(START):
        _project_id, code = _project_of(app, engagement_id_of(app, make_award(app, city)))
        r = post(staff, "/approvals/receive", {"project_code": code, "matter_id": matter_id,
                                               "case_no": "SP-LATE-W"})
        assert r.status_code == 302
        assert post(staff, r.headers["Location"] + "/events/accept",
                    {"accept-mode": "pledge_acceptance"}).status_code == 302
    with timeutil.frozen(START + timedelta(days=4)):
        with app.app_context():
            assert tick().escalated >= 1
        page = _page(browser, site, staff_p.email, width)
        if width < 900:
            page.click("[data-test=menu-toggle]")
        page.click("header >> text=提醒")
        warning = page.locator("[data-test=notification]").first
        text = warning.inner_text()
        assert "【预警提醒】" in text and "已超过期限 2026-03-04 2 个工作日" in text
        no_sideways_scroll(page)
        warning.locator("h2 a").click()
        page.wait_for_selector("text=SP-LATE-W")
        no_sideways_scroll(page)
        page.screenshot(path=f"/tmp/hl-walk-department-{width}.png", full_page=True)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_operator_follow_up_refused_then_recorded(browser: Any, city: City, site: str,
                                                      width: int) -> None:
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START + timedelta(days=1)):
        owner = city.client(city.owner)
        form = f"/owner/engagements/{eng}/rating"
        r = owner.post(form, data={"quality": 2, "timeliness": 1, "attitude": 3, "fees": 3,
                                   "integrity": 3, "level": "very_dissatisfied",
                                   "comment": "报告两次返工。",
                                   "csrf_token": csrf_token(owner, form)})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
        agency = _page(browser, site, city.agencies[0].email, width)
        agency.goto(site + "/agency/corrections")
        agency.locator("[data-test=corrections] a").first.click()
        agency.fill("textarea[name=answer]", "已重新核算工程量并修改报告第三章，专人对接。")
        agency.click("[data-test=correction-submit]")
        agency.wait_for_selector("[data-test=correction-answer]")
        operator = _page(browser, site, city.operator.email, width)
        operator.goto(site + "/operator/corrections")
        operator.locator("[data-test=corrections] a").first.click()
        note = "电话回访业主，业主确认问题已解决。"
        operator.fill("textarea[name=note]", note)
        operator.click("[data-test=follow-up-submit]")  # no result chosen: refused
        operator.wait_for_selector(".field.has-error .error")
        assert operator.input_value("textarea[name=note]") == note
        no_sideways_scroll(operator)
        operator.check("input[name=result][value=satisfied]")
        operator.click("[data-test=follow-up-submit]")
        operator.wait_for_selector("[data-test=follow-up]")
        no_sideways_scroll(operator)


def _mails(inbox: Inbox) -> list[tuple[str, str, list[str]]]:
    out = []
    for envelope in inbox.messages:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(("plain",))
        out.append((str(message["Subject"]), body.get_content() if body else "",
                    list(envelope.rcpt_tos)))
    return out


def test_subscribers_hear_by_email_at_once_and_in_the_digest(
        browser: Any, city: City, site: str, smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    city.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    with timeutil.frozen(START - timedelta(hours=1)):
        for who, width, daily in ((city.agencies[0], 1280, False), (city.agencies[1], 390, True)):
            page = _page(browser, site, who.email, width)
            page.goto(site + "/agency/subscriptions")
            if daily:
                page.check("input[name=frequency][value=daily]")
            page.click("[data-test=subscription-save]")  # no service chosen: refused
            page.wait_for_selector(".field.has-error .error")
            assert "请至少选择一个中介服务事项。" in page.inner_text(".field.has-error")
            assert page.is_checked("input[name=frequency][value=daily]") == daily
            no_sideways_scroll(page)
            page.check("input[name=service_codes][value=EIA]")
            page.click("[data-test=subscription-save]")
            page.wait_for_selector("[data-test=subscription-state]")
            no_sideways_scroll(page)
    with timeutil.frozen(START):
        req = publish(city)
    with timeutil.frozen(START + timedelta(minutes=5)), city.app.app_context():
        tick()
    now = [m for m in _mails(inbox) if city.agencies[0].email in m[2]]
    assert [m[0] for m in now] == [f"【新公告】{req.title}"]
    assert f"/notices/{req.public_id}" in now[0][1]
    assert not [m for m in _mails(inbox) if city.agencies[1].email in m[2]]
    with timeutil.frozen(START + timedelta(hours=23, minutes=5)), city.app.app_context():
        tick()  # Tuesday 08:05 in Beijing: the digest
        tick()
    digest = [m for m in _mails(inbox) if city.agencies[1].email in m[2]]
    assert [m[0] for m in digest] == ["【每日汇总】2026-03-03 新公告 1 条"]
    assert req.title in digest[0][1] and req.public_id in digest[0][1]
