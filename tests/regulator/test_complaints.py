"""Complaints: parties only, a deadline in working days, visible states, a public outcome,
and an upheld complaint counts in the agency's credit."""

from __future__ import annotations

import io

import sqlalchemy as sa

from market import timeutil
from market.credit import score as credit
from market.db import db
from market.regulator.models import Complaint
from tests.conftest import csrf_token
from tests.regulator.conftest import accepted_engagement, post
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up


def _file(city: City, who, kind: str, subject: str, text: str = "未按合同约定时间提交成果",
          files=None):
    c = city.client(who)
    data = {"subject_kind": kind, "subject_id": subject, "text": text,
            "csrf_token": csrf_token(c, "/my/complaints/new")}
    if files:
        data["files"] = files
    return c.post("/my/complaints/new", data=data, content_type="multipart/form-data")


def test_a_complaint_goes_through_to_a_public_outcome(city: City) -> None:
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START):
        r = _file(city, city.owner, "engagement", eng,
                  files=[(io.BytesIO(b"%PDF-1.4 evidence"), "evidence.pdf")])
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
        public_id = r.headers["Location"].rsplit("/", 1)[1]
    with city.app.app_context():
        row = db.session.scalar(sa.select(Complaint))
        assert row.state == "received" and len(row.attachments) == 1
        # 20 working days from Monday 2 March 2026 (no holidays in between)
        assert row.due_on.isoformat() == "2026-03-30"
        before = credit.score_for(city.agencies[0].org_id)
    anonymous = city.app.test_client()
    page = anonymous.get(f"/complaints/{public_id}").get_data(as_text=True)
    assert "已受理" in page and "未按合同约定时间提交成果" not in page  # text is not public
    path = f"/regulator/complaints/{public_id}"
    with timeutil.frozen(START):
        # deciding before review is refused
        r = post(city, city.regulator, path, {"action": "uphold", "outcome": "成立"})
        assert r.status_code == 400
        assert post(city, city.regulator, path, {"action": "review"}).status_code == 302
        r = post(city, city.regulator, path, {"action": "uphold", "outcome": ""})
        assert r.status_code == 400 and "请填写处理结果" in r.get_data(as_text=True)
        r = post(city, city.regulator, path,
                 {"action": "uphold", "outcome": "经查属实，责令整改并记入信用记录。"})
        assert r.status_code == 302
        # a decided complaint stays decided
        assert post(city, city.regulator, path, {"action": "reject", "outcome": "x"}
                    ).status_code == 400
    page = anonymous.get(f"/complaints/{public_id}").get_data(as_text=True)
    assert "投诉成立" in page and "经查属实" in page
    assert public_id in anonymous.get("/complaints").get_data(as_text=True)
    profile = anonymous.get(f"/agencies/{city.agency_id(city.agencies[0])}").get_data(as_text=True)
    assert public_id in profile
    with city.app.app_context():
        assert credit.score_for(city.agencies[0].org_id) == before - 10


def test_only_parties_may_complain_and_nothing_is_stored_otherwise(city: City) -> None:
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START):
        req = _publish(city)
        _sign_up(city, city.agencies[1], req.public_id)
        r = _file(city, city.agencies[2], "engagement", eng)
        assert r.status_code == 400 and "不是该事项的当事方" in r.get_data(as_text=True)
        r = _file(city, city.agencies[2], "request", req.public_id)
        assert r.status_code == 400
        r = _file(city, city.agencies[1], "request", req.public_id, text="")
        assert r.status_code == 400
        # an agency that signed up may complain about the selection
        assert _file(city, city.agencies[1], "request", req.public_id).status_code == 302
    with city.app.app_context():
        rows = db.session.scalars(sa.select(Complaint)).all()
        assert len(rows) == 1 and rows[0].against_org_id == city.owner.org_id


def test_an_overdue_complaint_is_marked(city: City) -> None:
    eng = accepted_engagement(city, 0)
    with timeutil.frozen(START):
        _file(city, city.agencies[0], "engagement", eng)
    from datetime import timedelta

    with timeutil.frozen(START + timedelta(days=40)):
        page = city.client(city.regulator).get("/regulator/complaints").get_data(as_text=True)
        assert "已超期" in page
        assert 'data-test="overdue-complaints"' in city.client(city.regulator).get(
            "/regulator").get_data(as_text=True)
