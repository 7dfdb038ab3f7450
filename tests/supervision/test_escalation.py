"""Electronic supervision (电子监察) through ``flask clocks tick``: a late service climbs the
ladder (warning to the agency, yellow card with a 督办 to the regulator, red card to the managing
department), each step once, told in the app and by e-mail through a real SMTP server on
loopback; the regulator answers the 督办 on a form; two runs at once on PostgreSQL raise each
step exactly once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation
from market.calendar.service import current_calendar
from market.db import db
from market.notify.models import Notification
from market.notify.reminders import tick
from market.regulator.models import Complaint
from market.supervision.models import EscalationStep, SupervisionOrder
from market.supervision.operations import escalate, managing_department
from market.supervision.sources import late_matters
from tests.conftest import create_person, csrf_token, login
from tests.engagements.conftest import engagement_id_of, make_award, post
from tests.selection.conftest import START, City, build_city
from tests.support.approvals_flow import _project_of, make_staffed_matter
from tests.support.mail import Inbox
from tests.support.supervision_flow import RED_AT, WARNING_AT, YELLOW_AT, _late_service

# service_days=3 from Monday 2 March 2026: due Thursday 5 March; Friday 6 is 1 working day
# late, Tuesday 10 is 3, Thursday 19 is 10.


def _steps(app: Flask) -> list[tuple[str, str, str]]:
    with app.app_context():
        return [(s.subject_kind, s.subject_id, s.step) for s in db.session.scalars(
            sa.select(EscalationStep).order_by(EscalationStep.id))]


def test_a_late_service_climbs_the_ladder_once(city: City,
                                               smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    app = city.app
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    eid = _late_service(app, city)
    with timeutil.frozen(START + timedelta(days=3)), app.app_context():  # due today: on time
        assert tick().escalated == 0
    with timeutil.frozen(WARNING_AT), app.app_context():
        assert tick().escalated == 1
        assert tick().escalated == 0
        step = db.session.scalars(sa.select(EscalationStep)).one()
        assert (step.step, step.party_kind, step.party_org_id, step.late_days) == (
            "warning", "agency", city.agencies[0].org_id, 1)
        assert [t["role"] for t in step.told] == ["party"]
        assert step.told[0]["channels"] == ["notice", "email"]
        assert step.order is None
        told = db.session.scalars(sa.select(Notification).where(
            Notification.key.like(f"escalation:{step.id}:%"))).all()
        assert {n.organisation_id for n in told} == {city.agencies[0].org_id}
        assert all(n.emailed_at is not None for n in told)
    rcpts = {r for m in inbox.messages for r in m.rcpt_tos}
    assert city.agencies[0].email in rcpts and city.regulator.email not in rcpts
    with timeutil.frozen(YELLOW_AT), app.app_context():
        assert tick().escalated == 1
        yellow = db.session.scalar(sa.select(EscalationStep).where(EscalationStep.step == "yellow"))
        assert yellow is not None and yellow.order is not None
        assert {t["role"] for t in yellow.told} == {"party", "regulator"}
        order_id = yellow.order.public_id
        assert db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.tag == "supervision:yellow", AuditEvent.target == eid)) is not None
    rcpts = {r for m in inbox.messages for r in m.rcpt_tos}
    assert city.regulator.email in rcpts  # the regulator is e-mailed its yellow card
    with timeutil.frozen(RED_AT), app.app_context():
        assert tick().escalated == 1
        assert tick().escalated == 0
    assert _steps(app) == [("service", eid, "warning"), ("service", eid, "yellow"),
                           ("service", eid, "red")]
    sent = len(inbox.messages)
    with timeutil.frozen(RED_AT + timedelta(days=1)), app.app_context():
        assert tick().escalated == 0
    assert len(inbox.messages) == sent

    # the regulator's console: the agency's ladder, and the 督办 to answer
    regulator = city.client(city.regulator)
    with timeutil.frozen(RED_AT):
        page = regulator.get("/regulator/supervision").get_data(as_text=True)
        assert eid in page and order_id in page and 'data-test="step-red"' in page
        # bad data: too short, answered nothing; the error is next to the field, text kept
        bad = regulator.post(f"/regulator/supervision/orders/{order_id}", data={
            "csrf_token": csrf_token(regulator, "/regulator/supervision"), "answer": "已催"})
        assert bad.status_code == 400
        html = bad.get_data(as_text=True)
        assert "至少 10 个字" in html and "已催" in html
        no_csrf = regulator.post(f"/regulator/supervision/orders/{order_id}",
                                 data={"answer": "已电话督促机构，承诺三日内提交成果文件。"})
        assert no_csrf.status_code == 400
        text = "已电话督促机构，机构承诺三个工作日内提交成果文件，我处将跟踪办结。"
        good = regulator.post(f"/regulator/supervision/orders/{order_id}", data={
            "csrf_token": csrf_token(regulator, "/regulator/supervision"), "answer": text})
        assert good.status_code == 302
        again = regulator.post(f"/regulator/supervision/orders/{order_id}", data={
            "csrf_token": csrf_token(regulator, "/regulator/supervision"), "answer": text + "补充"})
        assert again.status_code == 400
        assert regulator.get("/regulator/supervision/orders/DB-999999").status_code == 404
    with app.app_context():
        order = db.session.scalar(sa.select(SupervisionOrder).where(
            SupervisionOrder.public_id == order_id))
        assert order is not None and order.answer == text
        assert order.answered_by_id == city.regulator.user_id
    # the agency sees its notices; it cannot open the console
    agency = city.client(city.agencies[0])
    assert "预警提醒" in agency.get("/notifications").get_data(as_text=True)
    assert agency.get("/regulator/supervision").status_code in (403, 404)
    # an existing 督办 is the regulators' alone: the parties get neither the page nor the form
    for who in (agency, city.client(city.owner)):
        page = who.get(f"/regulator/supervision/orders/{order_id}")
        assert page.status_code in (403, 404) and text not in page.get_data(as_text=True)
        r = who.post(f"/regulator/supervision/orders/{order_id}", data={
            "csrf_token": csrf_token(who, "/dashboard"), "answer": "由机构自行答复督办事项。"})
        assert r.status_code in (403, 404)
    with app.app_context():
        assert db.session.scalar(sa.select(SupervisionOrder.answer).where(
            SupervisionOrder.public_id == order_id)) == text
    # the rule is public, with the configured thresholds
    public = app.test_client().get("/supervision")
    assert public.status_code == 200 and "满 10 个工作日" in public.get_data(as_text=True)


def test_a_complaint_past_its_deadline_escalates_to_the_regulators(city: City) -> None:
    app = city.app
    app.config.update(ESCALATION_MANAGING_ORG="")
    eid = _late_service(app, city)
    owner = city.client(city.owner)
    with timeutil.frozen(START + timedelta(days=1)):
        r = owner.post("/my/complaints/new", data={
            "csrf_token": csrf_token(owner, "/my/complaints/new"), "subject_kind": "engagement",
            "subject_id": eid, "text": "机构迟迟不提交成果。"})
        assert r.status_code == 302, r.get_data(as_text=True)[:500]
    with app.app_context():
        complaint = db.session.scalars(sa.select(Complaint)).one()
        due, public_id = complaint.due_on, complaint.public_id
    # four weeks after the 20-working-day deadline: every step at once, in order
    with timeutil.frozen(START + timedelta(days=60)), app.app_context():
        escalate()
        rows = db.session.scalars(sa.select(EscalationStep).where(
            EscalationStep.subject_kind == "complaint").order_by(EscalationStep.id)).all()
        assert [r.step for r in rows] == ["warning", "yellow", "red"]
        assert all(r.due_date == due and r.subject_id == public_id for r in rows)
        assert rows[0].told and {t["role"] for t in rows[0].told} == {"regulator"}
        assert {t["role"] for t in rows[2].told} == {"managing"}


@pytest.mark.postgres
def test_two_runs_at_once_raise_each_step_exactly_once(pg_app: Flask) -> None:
    city = build_city(pg_app)
    eid = _late_service(pg_app, city)
    barrier = threading.Barrier(4)
    counts: list[int] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with pg_app.app_context():
                barrier.wait()
                counts.append(escalate())
        except BaseException as error:  # noqa: BLE001  # reported below
            errors.append(error)

    with timeutil.frozen(RED_AT):
        threads = [threading.Thread(target=run) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert sum(counts) == 3
    assert _steps(pg_app) == [("service", eid, "warning"), ("service", eid, "yellow"),
                              ("service", eid, "red")]
    with pg_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SupervisionOrder.id))) == 1
        keys = db.session.scalars(sa.select(Notification.key).where(
            Notification.key.like("escalation:%"))).all()
        assert len(keys) == len(set(keys)) > 0


def test_a_case_past_its_limit_warns_its_department(city: City) -> None:
    """An approval case past its committed limit: the warning goes to the department that
    decides it (its staff, in the app), not to the applicant; the regulators hear of it at the
    yellow card."""
    app = city.app
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p, committed=2)
    staff = app.test_client()
    assert login(staff, staff_p.email).status_code == 302
    with timeutil.frozen(START):  # Monday 2 March: received and accepted on the pledge
        _project_id, code = _project_of(app, engagement_id_of(app, make_award(app, city)))
        r = post(staff, "/approvals/receive", {"project_code": code, "matter_id": matter_id,
                                               "case_no": "SP-LATE-1"})
        assert r.status_code == 302, r.get_data(as_text=True)
        page = r.headers["Location"]
        assert post(staff, page + "/events/accept",
                    {"accept-mode": "pledge_acceptance"}).status_code == 302
    with timeutil.frozen(START + timedelta(days=4)), app.app_context():  # due Wed, now Fri
        assert tick().escalated >= 1
        step = db.session.scalar(sa.select(EscalationStep).where(
            EscalationStep.subject_kind == "case"))
        assert step is not None and step.step == "warning"
        assert step.party_kind == "department" and step.party_org_id == staff_p.org_id
        assert [t["role"] for t in step.told] == ["party"]
        told = db.session.scalars(sa.select(Notification.user_id).where(
            Notification.key.like(f"escalation:{step.id}:%")))
        assert staff_p.user_id in set(told)


def _regulator(app: Flask, name: str, tenant: int, kind: str) -> tuple[int, str]:
    from market.accounts import operations as ops
    from market.accounts.models import OrgKind, RegulatorKind

    org = ops.create_organisation(OrgKind.REGULATOR, name, tenant_id=tenant,
                                  regulator_kind=RegulatorKind(kind))
    db.session.flush()
    return org.id, org.public_id


def test_the_cards_go_to_the_regulators_whose_scope_covers_the_matter(city: City) -> None:
    """A yellow card tells the late matter's tenant's supervisor and the industry regulator of
    its service type, not another tenant's, another industry's or the province's; a red card
    the managing department of its tenant among those configured."""
    from market.accounts import tenants
    from market.catalogue.models import ServiceType

    app = city.app
    with app.app_context():
        home = tenants.home_tenant().id
        root = tenants.province()
        assert root is not None
        other = tenants.add("539700", "云峰市", tenant=True).id
        industry, _ = _regulator(app, "本市生态环境局", home, "industry")
        other_industry, _ = _regulator(app, "本市住建局", home, "industry")
        elsewhere, elsewhere_pid = _regulator(app, "云峰市服务中心", other, "centre")
        province, _ = _regulator(app, "省监管", root.id, "province")
        managing, managing_pid = _regulator(app, "本市政务服务管理局", home, "centre")
        for st in db.session.scalars(sa.select(ServiceType)):
            st.regulator_id = industry
        db.session.commit()
    app.config.update(ESCALATION_MANAGING_ORG=f"{elsewhere_pid}, {managing_pid}")
    eid = _late_service(app, city)
    with timeutil.frozen(RED_AT), app.app_context():
        escalate()
        told = {s.step: {t["org"]: t["role"] for t in s.told}
                for s in db.session.scalars(sa.select(EscalationStep))}
        ids = {o.public_id: o.id for o in db.session.scalars(sa.select(Organisation))}
    by_id = {step: {ids[p]: role for p, role in t.items()} for step, t in told.items()}
    regulators = {o for o, role in by_id["yellow"].items() if role == "regulator"}
    assert regulators == {city.regulator.org_id, industry, managing}
    assert not regulators & {other_industry, elsewhere, province}
    managing_told = {o for o, role in by_id["red"].items() if role == "managing"}
    assert managing_told == {managing}, eid
    # unset: the red card goes to the regulators covering the matter, still none elsewhere
    app.config.update(ESCALATION_MANAGING_ORG="")
    with timeutil.frozen(RED_AT), app.app_context():
        late = [m for m in late_matters(timeutil.now(), current_calendar)
                if m.subject_id == eid]
        assert [m.tenant_id for m in late] == [home]
        assert {o.id for o in managing_department(late[0])} == {
            city.regulator.org_id, industry, managing}
