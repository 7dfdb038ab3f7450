"""好差评 that leads somewhere: the owner rates on the five-level government scale; a poor
rating (差评) opens a correction (整改) the agency answers once in writing, the operator records
the follow-up (回访); a correction left unanswered past its deadline climbs the supervision
ladder."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.calendar.service import current_calendar
from market.db import db
from market.evaluation.models import Correction, Rating
from market.notify.models import Notification
from market.supervision.models import EscalationStep
from market.supervision.operations import escalate
from tests.conftest import csrf_token
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City

SCORES = {"quality": "2", "timeliness": "1", "attitude": "3", "fees": "3", "integrity": "3"}


def _rate(city: City, eng: str, **data: str):  # type: ignore[no-untyped-def]
    c = city.client(city.owner)
    path = f"/owner/engagements/{eng}/rating"
    return c.post(path, data={"csrf_token": csrf_token(c, path), **SCORES, **data})


def test_a_poor_rating_opens_a_correction_answered_and_followed_up(city: City) -> None:
    app = city.app
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START + timedelta(days=1)):
        missing = _rate(city, eng, comment="成果多次返工。")
        assert missing.status_code == 400
        assert "请选择满意程度。" in missing.get_data(as_text=True)
        assert "成果多次返工。" in missing.get_data(as_text=True)  # what was typed stays
        bad = _rate(city, eng, level="terrible", comment="成果多次返工。")
        assert bad.status_code == 400
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 0
        r = _rate(city, eng, level="dissatisfied", comment="成果多次返工，沟通不及时。")
        assert r.status_code == 302
    with app.app_context():
        rating = db.session.scalars(sa.select(Rating)).one()
        assert rating.level == "dissatisfied" and rating.poor
        correction = db.session.scalars(sa.select(Correction)).one()
        opened = START + timedelta(days=1)
        assert correction.due_on == current_calendar().add_working_days(
            opened.astimezone(timeutil.SHANGHAI).date(), 15)
        cid = correction.public_id
        notice = db.session.scalars(sa.select(Notification).where(
            Notification.key == f"correction:{cid}:open")).one()
        assert notice.organisation_id == city.agencies[0].org_id

    agency, other = city.client(city.agencies[0]), city.client(city.agencies[1])
    path = f"/agency/corrections/{cid}"
    with timeutil.frozen(START + timedelta(days=2)):
        assert cid in agency.get("/agency/corrections").get_data(as_text=True)
        assert agency.get("/agency/ratings").status_code == 200
        # another agency: not found, nothing stored
        assert other.get(path).status_code == 404
        assert other.post(path, data={"csrf_token": csrf_token(other, "/agency/corrections"),
                                      "answer": "我们已经全部整改完毕。"}).status_code == 404
        short = agency.post(path, data={"csrf_token": csrf_token(agency, path), "answer": "已改"})
        assert short.status_code == 400 and "至少 10 个字" in short.get_data(as_text=True)
        text = "已重新核算工程量并修改报告第三章，指定专人对接业主，每周通报进度。"
        ok = agency.post(path, data={"csrf_token": csrf_token(agency, path), "answer": text})
        assert ok.status_code == 302
        again = agency.post(path, data={"csrf_token": csrf_token(agency, path),
                                        "answer": text + "补充"})
        assert again.status_code == 400

    operator = city.client(city.operator)
    follow = f"/operator/corrections/{cid}"
    with timeutil.frozen(START + timedelta(days=3)):
        assert cid in operator.get("/operator/corrections").get_data(as_text=True)
        no_result = operator.post(follow, data={"csrf_token": csrf_token(operator, follow),
                                                "note": "电话回访业主。"})
        assert no_result.status_code == 400 and "请选择回访结果。" in no_result.get_data(True)
        done = operator.post(follow, data={"csrf_token": csrf_token(operator, follow),
                                           "result": "satisfied",
                                           "note": "电话回访业主，业主确认问题已解决。"})
        assert done.status_code == 302
        twice = operator.post(follow, data={"csrf_token": csrf_token(operator, follow),
                                            "result": "dissatisfied", "note": "再次回访。"})
        assert twice.status_code == 400
        # the parties do not record follow-ups
        assert agency.get(follow).status_code in (403, 404)
    with app.app_context():
        row = db.session.scalars(sa.select(Correction)).one()
        assert row.answer == text and row.follow_up_result == "satisfied"
        assert row.followed_up_by_id == city.operator.user_id


def test_an_unanswered_correction_escalates_and_follow_up_waits_for_the_answer(
        city: City) -> None:
    app = city.app
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START + timedelta(days=1)):
        assert _rate(city, eng, level="very_dissatisfied").status_code == 302
    with app.app_context():
        correction = db.session.scalars(sa.select(Correction)).one()
        cid, due = correction.public_id, correction.due_on
    operator = city.client(city.operator)
    follow = f"/operator/corrections/{cid}"
    with timeutil.frozen(START + timedelta(days=2)):
        early = operator.post(follow, data={"csrf_token": csrf_token(operator, follow),
                                            "result": "satisfied", "note": "回访。"})
        assert early.status_code == 400
        assert "机构提交整改情况后才能回访。" in early.get_data(as_text=True)
        with app.app_context():
            assert escalate() == 0  # not due yet
    # three working days past the deadline: a warning and a yellow card to the agency's record
    with app.app_context():
        late = current_calendar().add_working_days(due, 3)
    at = START.replace(year=late.year, month=late.month, day=late.day)
    with timeutil.frozen(at), app.app_context():
        assert escalate() == 2
        rows = db.session.scalars(sa.select(EscalationStep).order_by(EscalationStep.id)).all()
        assert [(r.subject_kind, r.subject_id, r.step) for r in rows] == [
            ("correction", cid, "warning"), ("correction", cid, "yellow")]
        assert rows[0].party_org_id == city.agencies[0].org_id


def test_a_good_rating_opens_no_correction(city: City) -> None:
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START + timedelta(days=1)):
        assert _rate(city, eng, level="basically_satisfied").status_code == 302
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Correction.id))) == 0

