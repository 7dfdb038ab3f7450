"""Approval cases by hand: acceptance starts the clock, a correction suspension with its notice,
resume, decision; another owner sees nothing; unsafe archives are refused."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.approvals.models import ApprovalCase
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.db import db
from tests.conftest import create_person, login
from tests.engagements.conftest import engagement_id_of, make_award, make_matter, post
from tests.selection.conftest import START, City


def test_case_by_hand(city: City) -> None:
    app = city.app
    matter_id = make_matter(app, committed=5)
    award_id = make_award(app, city)
    owner = city.client(city.owner)
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        with app.app_context():
            from market.engagements.models import Engagement

            project_id = db.session.scalar(sa.select(Engagement.project_id).where(
                Engagement.public_id == eid))
        r = post(owner, "/approvals/new", {"project_id": project_id, "matter_id": matter_id})
        case_page = r.headers["Location"]
        r = post(owner, "/approvals/new", {"project_id": project_id, "matter_id": matter_id})
        assert r.status_code == 400 and "在办办件" in r.get_data(as_text=True)
        assert post(owner, case_page + "/accept").status_code == 302
        assert "尚未委托" not in owner.get(case_page).get_data(as_text=True)  # engaged, signing
        r = post(owner, case_page + "/suspend", {"reason": "correction", "expected_days": "0"})
        assert r.status_code == 400
    with timeutil.frozen(START + timedelta(days=1)):
        assert post(owner, case_page + "/suspend", {"reason": "correction",
                                                    "expected_days": "3"}).status_code == 302
        html = owner.get(case_page).get_data(as_text=True)
        assert "申请人补正" in html
    with timeutil.frozen(START + timedelta(days=3)):
        assert post(owner, case_page + "/resume").status_code == 302
    with timeutil.frozen(START + timedelta(days=7)):  # Monday: 5 committed days, 2 suspended
        with app.app_context():
            case = db.session.scalar(sa.select(ApprovalCase))
            v = clocks.view(db.session.get(Clock, case.clock_id))
            assert (v.used, v.paused_days, v.state) == (3, 2, "warning")
            s_id = case.suspensions[0].id
        notice = owner.get(f"/approvals/suspensions/{s_id}/notice").get_data(as_text=True)
        assert "申请人补正材料" in notice and "第四十五条" in notice
        assert post(owner, case_page + "/decide", {"decision": "approved"}).status_code == 302
    stranger = app.test_client()
    other = create_person(app, "owner_admin")
    assert login(stranger, other.email).status_code == 302
    assert stranger.get(case_page).status_code == 404
    assert stranger.get(f"/engagements/{eid}").status_code == 404


def _zip(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries.items():
            z.writestr(name, data)
    return buf.getvalue()


def test_unsafe_archives_are_refused(city: City) -> None:
    app = city.app
    award_id = make_award(app, city)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        page = f"/engagements/{eid}"
        r = post(agency, page + "/contract", file=(_zip({"../../etc/x": b"x"}), "c.zip"))
        assert r.status_code == 400 and "不安全的路径" in r.get_data(as_text=True)
        r = post(agency, page + "/contract", file=(_zip({"big.txt": b"0" * 5_000_000}), "c.zip"))
        assert r.status_code == 400 and "解压后过大" in r.get_data(as_text=True)
        assert post(agency, page + "/contract", file=(_zip({"a/b.txt": b"ok"}),
                                                      "c.zip")).status_code == 302
        assert owner.get(page).status_code == 200
