"""The award in its legal order: a contract not signed by its limit counts as a decline and the
award passes down the published ranking (once, however many periodic runs race); an upheld
objection does what the notice said — the next alternate, or a new draw — and cancels any
engagement the voided award started; the regulators' deadline to decide an objection is one
number, shown, reminded once, and escalated after."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import User
from market.calendar.service import current_calendar
from market.clocks.models import Clock
from market.db import db
from market.domain.calendar import local_date, local_day_start
from market.engagements import operations as eng_ops
from market.engagements.models import Engagement
from market.notify.models import Notification
from market.notify.reminders import tick
from market.selection import award as award_ops
from market.selection import procedures
from market.selection.models import Award, Lottery, Objection, SelectionRequest
from market.supervision.operations import escalate
from market.supervision.sources import late_matters
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.engagements.conftest import make_award
from tests.selection.conftest import START, City
from tests.support.selection_flow import lottery_to_draw, object_to, pending_objection, person


def _ranking(city: City) -> tuple[list[str], datetime]:
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        return list(lot.record["ranking"]), lot.drawn_at


def _confirm(city: City, award_id: int, agency_id: str) -> None:
    c = city.client(person(city, agency_id))
    r = c.post(f"/agency/awards/{award_id}/confirm",
               data={"csrf_token": csrf_token(c, "/agency/awards")})
    assert r.status_code == 302, r.get_data(as_text=True)


def _notified(city: City, award_id: int) -> set[int]:
    with city.app.app_context():
        return set(db.session.scalars(sa.select(Notification.organisation_id).where(
            Notification.key.like(f"award:{award_id}:%"))))


def test_a_contract_not_signed_by_its_limit_passes_the_award_down_the_ranking(
        city: City, tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = lottery_to_draw(city, tmp_path)
    ranking, drawn_at = _ranking(city)
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        _confirm(city, 1, ranking[0])
    with app.app_context():
        start = award_ops.contract_from(db.session.get(Award, 1))
    with timeutil.frozen(start + timedelta(minutes=1)), app.app_context():
        assert tick().engagements_created == 1
        eng = db.session.scalar(sa.select(Engagement))
        eid, due = eng.public_id, eng.signing_due
    # On the last day of the limit nothing happens yet.
    with timeutil.frozen(local_day_start(due) + timedelta(hours=23)), app.app_context():
        assert tick().unsigned == 0
        assert db.session.scalar(sa.select(Engagement)).state == "signing"
    after = local_day_start(due + timedelta(days=1)) + timedelta(hours=9)
    with timeutil.frozen(after):
        results = []

        def run() -> None:
            with app.app_context():
                results.append(tick().unsigned)

        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(results) == [0, 1]  # two runs at once: it lapses once
        with app.app_context():
            assert tick().unsigned == 0
            eng = db.session.scalar(sa.select(Engagement))
            assert eng.state == "cancelled" and due.isoformat() in eng.cancel_reason
            clock = db.session.scalar(sa.select(Clock).where(Clock.engagement_id == eng.id))
            assert clock.phase == "stopped"
            awards = db.session.scalars(sa.select(Award).order_by(Award.id)).all()
            assert [(a.state, a.agency.public_id) for a in awards] == [
                ("declined", ranking[0]), ("offered", ranking[1])]
            assert awards[0].decided_by == "system" and awards[0].replaced_by_id == awards[1].id
            assert award_ops.declines(awards[0].agency_org_id) == 1  # counts as a decline
            tags = set(db.session.scalars(sa.select(AuditEvent.tag)))
            assert {"system:engagement:unsigned", "system:award:unsigned"} <= tags
            decline = log.events_of(lottery_id)[-1]
            assert decline["type"] == "decline" and decline["data"]["by"] == "system"
            assert decline["data"]["replacement"] == ranking[1]
            assert run_audit().ok
            owner = city.owner.org_id
            first, second = (awards[0].agency_org_id, awards[1].agency_org_id)
        assert _notified(city, 1) == {owner, first, second}
        page = city.client(city.owner).get(f"/engagements/{eid}").get_data(as_text=True)
        assert 'data-test="cancel-reason"' in page and "视为放弃中选" in page
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "中选资格递补给" in notice and "签约期限" in notice


def test_a_missed_limit_with_no_alternate_fails_the_request(city: City) -> None:
    award_id = make_award(city.app, city, signing_days=2)
    with city.app.app_context():
        eng_ops.sync_from_awards()
        db.session.commit()
        eng = db.session.scalar(sa.select(Engagement))
        due = eng.signing_due
    after = local_day_start(due + timedelta(days=1)) + timedelta(hours=1)
    with timeutil.frozen(after), city.app.app_context():
        assert eng_ops.lapse_unsigned() == 1
        award = db.session.get(Award, award_id)
        assert award.state == "declined" and award.replaced_by_id is None
        assert award.request.state == "failed"
        assert db.session.scalar(sa.select(Engagement)).state == "cancelled"


def test_the_notice_says_what_an_upheld_objection_leads_to(city: City, tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = lottery_to_draw(city, tmp_path, on_upheld="next")
    ranking, drawn_at = _ranking(city)
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "由公示排名的下一名候补递补" in notice
        assert object_to(city, person(city, ranking[2]), rid) == 302
        reg = city.client(city.regulator)
        page = reg.get("/regulator/objections").get_data(as_text=True)
        assert "按公告由下一名候补递补" in page
        r = reg.post("/regulator/objections/1", data={
            "decision": "uphold", "reason": "中选机构资质确已过期",
            "csrf_token": csrf_token(reg, "/regulator/objections")})
        assert r.status_code == 302
    with app.app_context():
        awards = db.session.scalars(sa.select(Award).order_by(Award.id)).all()
        assert [(a.state, a.agency.public_id) for a in awards] == [
            ("voided", ranking[0]), ("offered", ranking[1])]
        assert db.session.scalar(sa.select(Lottery)).state == "drawn"  # the ranking stands
        assert db.session.scalar(sa.select(sa.func.count(Lottery.id))) == 1
        assert db.session.get(SelectionRequest, 1).state == "selected"
        assert award_ops.declines(awards[0].agency_org_id) == 0  # not the agency's decline
        last = log.events_of(lottery_id)[-1]
        assert last["type"] == "decline" and last["data"]["replacement"] == ranking[1]
        assert last["data"]["by"] != "system"
        assert run_audit().ok
    assert _notified(city, 1) >= {city.owner.org_id}


def test_the_default_rule_is_a_new_draw(city: City, tmp_path: Path) -> None:
    rid, _lottery_id = lottery_to_draw(city, tmp_path)
    notice = city.app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
    assert "重新组织选取" in notice


def test_an_upheld_objection_cancels_the_engagement_its_award_started(city: City) -> None:
    """An engagement that an award started before the objection was decided (the order of
    earlier versions) is cancelled with the award, its clock closed, billing and approvals
    told through ``engagement.cancelled``."""
    award_id = make_award(city.app, city)
    with city.app.app_context():
        eng_ops.sync_from_awards()
        award = db.session.get(Award, award_id)
        objector = city.agencies[1]
        objection = Objection(request_id=award.request_id, award_id=award.id,
                              agency_org_id=objector.org_id, by_id=objector.user_id,
                              text="中选机构的执业人员不符合要求", filed_at=START,
                              state="pending")
        db.session.add(objection)
        db.session.commit()
        regulator = db.session.get(User, city.regulator.user_id)
        with timeutil.frozen(START + timedelta(hours=2)):
            procedures.decide_objection(objection, regulator, True, "执业人员确不符合要求")
            db.session.commit()
        eng = db.session.scalar(sa.select(Engagement))
        assert eng.state == "cancelled" and "执业人员确不符合要求" in eng.cancel_reason
        clock = db.session.scalar(sa.select(Clock).where(Clock.engagement_id == eng.id))
        assert clock.phase == "stopped"
        assert db.session.get(Award, award_id).state == "voided"
        assert db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.tag == "system:engagement:void", AuditEvent.target == eng.public_id))
        told = set(db.session.scalars(sa.select(Notification.organisation_id).where(
            Notification.key.like(f"award:{award_id}:voided:%"))))
        assert told == {city.owner.org_id, city.agencies[0].org_id}


def test_the_objection_deadline_is_one_number_shown_reminded_and_escalated(city: City) -> None:
    app = city.app
    oid = pending_objection(city, START, "评审有误")
    with app.app_context():
        cal = current_calendar()
        days = int(app.config["OBJECTION_WORKING_DAYS"])
        due = award_ops.objection_due(db.session.get(Objection, oid))
        assert due == cal.add_working_days(local_date(START), days)
        rid = db.session.get(Objection, oid).request.public_id
    page = city.client(city.regulator).get("/regulator/objections").get_data(as_text=True)
    assert f"处理期限 {due.isoformat()}" in page and f"{days} 个工作日内" in page
    assert f"处理期限 {due.isoformat()}" in app.test_client().get(
        f"/notices/{rid}").get_data(as_text=True)
    # No reminder while more than a working day is left; one (per regulator) on the day before.
    with app.app_context():
        assert award_ops.remind_objections(local_day_start(local_date(START)) +
                                           timedelta(hours=10)) == 0
        day_before = _working_day_before(cal, due)
        at = local_day_start(day_before) + timedelta(hours=9)
        assert award_ops.remind_objections(at) == 1
        assert award_ops.remind_objections(at + timedelta(hours=3)) == 0  # once
        db.session.commit()
        note = db.session.scalar(sa.select(Notification).where(
            Notification.key.like(f"objection:{oid}:due:%")))
        assert note.user_id == city.regulator.user_id and due.isoformat() in note.subject
        # Past it, electronic supervision escalates it, by the same date.
        later = local_day_start(cal.add_working_days(due, 1)) + timedelta(hours=9)
        late = [m for m in late_matters(later, current_calendar) if m.subject_kind == "objection"]
        assert [m.due_date for m in late] == [due]
        assert escalate(later) == 1
    # One number: a region that gives the regulators longer moves every place at once.
    app.config["OBJECTION_WORKING_DAYS"] = days + 3
    with app.app_context():
        longer = award_ops.objection_due(db.session.get(Objection, oid))
        assert longer == cal.add_working_days(local_date(START), days + 3)
        assert not [m for m in late_matters(later, current_calendar) if m.subject_kind == "objection"]
    assert f"处理期限 {longer.isoformat()}" in city.client(city.regulator).get(
        "/regulator/objections").get_data(as_text=True)


def _working_day_before(cal: object, due: date) -> date:
    d = due - timedelta(days=1)
    while not cal.is_working_day(d):  # type: ignore[attr-defined]
        d -= timedelta(days=1)
    return d
