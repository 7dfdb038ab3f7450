"""The engagement story through the pages: contract, materials pause, deliverable, return,
revision, acceptance; the linked approval case suspends and resumes by itself."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.approvals.ingest import missing_preconditions
from market.approvals.models import ApprovalCase, Suspension
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.db import db
from market.engagements.models import Deliverable, Engagement
from market.storage import path_for
from tests.engagements.conftest import PDF, engagement_id_of, make_award, make_matter, post
from tests.selection.conftest import START, City
from tests.support.selection_flow import field_errors

DAY = timedelta(days=1)


def _eng(app, public_id: str) -> Engagement:
    return db.session.scalar(sa.select(Engagement).where(Engagement.public_id == public_id))


def _clock(app, public_id: str, kind: str) -> Clock:
    eng = _eng(app, public_id)
    return db.session.scalar(sa.select(Clock).where(Clock.engagement_id == eng.id,
                                                    Clock.kind == kind).order_by(Clock.id.desc()))


def test_award_to_acceptance_with_linked_case(city: City) -> None:
    app = city.app
    matter_id = make_matter(app)
    award_id = make_award(app, city, service_days=10)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    other_agency = city.client(city.agencies[1])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        page = f"/engagements/{eid}"
        assert owner.get(page).status_code == 200
        assert other_agency.get(page).status_code == 404  # another organisation's engagement
        with app.app_context():
            project = _eng(app, eid).project.public_id
            project_id = _eng(app, eid).project_id
        # the owner prepares the application (申报准备); the department has not received it
        r = post(owner, "/approvals/new", {"project_id": project_id, "matter_id": matter_id})
        assert r.status_code == 302, r.get_data(as_text=True)
        # contract: the owner uploads, the owner cannot confirm its own, the agency confirms
        assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
        r = post(owner, page + "/contract/confirm")
        assert r.status_code == 400 and "须由对方确认" in r.get_data(as_text=True)
        assert post(agency, page + "/contract/confirm").status_code == 302
    with app.app_context():
        eng = _eng(app, eid)
        assert eng.state == "in_service"
        # The report is an acceptance condition: it is made while the case is prepared; the
        # engagement starting suspends nothing (the old order accepted, then suspended).
        case = db.session.scalar(sa.select(ApprovalCase))
        assert case.state == "preparing" and case.clock_id is None
        assert db.session.scalar(sa.select(sa.func.count(Suspension.id))) == 0

    with timeutil.frozen(START + 2 * DAY):  # Wed: the agency asks for materials
        r = post(agency, page + "/materials", {"what": ""})
        assert r.status_code == 400 and "请填写此项" in r.get_data(as_text=True)
        assert post(agency, page + "/materials", {"what": "地形图和规划条件"}).status_code == 302
        assert post(owner, page + "/materials", {"what": "x"}).status_code == 403
        r = post(agency, page + "/deliverables", file=(PDF, "报告.pdf"))
        assert r.status_code == 400 and "尚未答复" in r.get_data(as_text=True)
        with app.app_context():
            v = clocks.view(_clock(app, eid, "service"))
            assert v.state == "paused" and v.used == 2
    with timeutil.frozen(START + 4 * DAY):  # Fri: the owner answers
        assert post(owner, page + "/materials/answer", {"answer": "已提供"}).status_code == 302
        with app.app_context():
            v = clocks.view(_clock(app, eid, "service"))
            assert v.state == "normal" and v.due_date == date(2026, 3, 18)
    with timeutil.frozen(START + 8 * DAY):  # Tue: version 1
        r = post(agency, page + "/deliverables", file=(b"MZ\x90\x00not allowed", "报告.exe"))
        assert r.status_code == 400 and "按文件内容判断" in r.get_data(as_text=True)
        assert post(agency, page + "/deliverables", {"note": "初稿"},
                    file=(PDF, "报告v1.pdf")).status_code == 302
    with timeutil.frozen(START + 9 * DAY):  # Wed: returned
        r = post(owner, page + "/return", {"reason": ""})
        assert r.status_code == 400
        assert post(owner, page + "/return", {"reason": "缺少噪声预测"}).status_code == 302
    with timeutil.frozen(START + 11 * DAY):  # Fri: version 2
        assert post(agency, page + "/deliverables",
                    file=(PDF + b"v2", "报告v2.pdf")).status_code == 302
    with timeutil.frozen(START + 14 * DAY):  # Mon: accepted
        assert post(agency, page + "/accept").status_code == 403
        assert post(owner, page + "/accept").status_code == 302
        html = owner.get(page).get_data(as_text=True)
        assert "已验收" in html and "/billing/engagements/" in html
    with app.app_context():
        eng = _eng(app, eid)
        assert eng.state == "accepted" and eng.days_used == 6 and eng.on_time is True
        service = _clock(app, eid, "service")
        assert clocks.view(service) == clocks.replay(service)
        v = clocks.view(service)
        assert v.state == "stopped" and v.paused_days == 4 and v.due_date == date(2026, 3, 20)
        versions = db.session.scalars(sa.select(Deliverable).order_by(Deliverable.version)).all()
        assert [d.decision for d in versions] == ["returned", "accepted"]
        assert all(path_for(d.sha256).exists() for d in versions)
        # the acceptance condition is met: the department may now accept the case
        case = db.session.scalar(sa.select(ApprovalCase))
        assert case.state == "preparing" and missing_preconditions(case) == []
        tags = set(db.session.scalars(sa.select(AuditEvent.tag)))
        assert {"owner:contract:upload", "agency:contract:confirm", "agency:materials:ask",
                "owner:materials:answer", "agency:deliverable:submit", "owner:deliverable:return",
                "owner:deliverable:accept", "billing:engagement:accepted"} <= tags
        assert not {"system:case:suspend", "system:case:resume"} & tags
        from market.agencies.models import AgencyProfile

        profile = db.session.get(AgencyProfile, city.agencies[0].org_id)
        if profile is not None:
            assert profile.orders == 1 and profile.on_time_rate_bp == 10_000
    # the project's timeline page (its split of pre-acceptance time is the timeline's tests')
    with timeutil.frozen(START + 14 * DAY):
        html = owner.get(f"/projects/{project}/timeline").get_data(as_text=True)
        assert "<svg" in html
        assert other_agency.get(f"/projects/{project}/timeline").status_code == 403
        regulator = city.client(city.regulator)
        assert regulator.get(f"/projects/{project}/timeline").status_code == 200
        assert regulator.get(page).status_code == 200


def test_extension_and_cancel(city: City) -> None:
    app = city.app
    award_id = make_award(app, city, service_days=3)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        page = f"/engagements/{eid}"
        assert post(agency, page + "/contract", file=(PDF, "c.pdf")).status_code == 302
        assert post(owner, page + "/contract/confirm").status_code == 302
    with timeutil.frozen(START + 2 * DAY):
        with app.app_context():
            assert clocks.view(_clock(app, eid, "service")).state == "warning"
        r = post(owner, page + "/extension", {"days": "0", "reason": "x"})
        assert r.status_code == 400
        # empty, zero or not a number: the same words on the limit, once, next to the field
        for days in ("", "0", "五天"):
            r = post(owner, page + "/extension", {"days": days, "reason": "补充勘察"})
            assert r.status_code == 400
            assert field_errors(r.get_data(as_text=True)) == {
                "days": ["延期天数须在 1 到 120 个工作日之间。"]}, days
        assert post(owner, page + "/extension", {"days": "5", "reason": "补充勘察"}).status_code == 302
        with app.app_context():
            v = clocks.view(_clock(app, eid, "service"))
            assert v.extensions == 5 and v.state == "normal"
        assert post(owner, page + "/cancel", {"reason": "项目调整"}).status_code == 302
    with app.app_context():
        eng = _eng(app, eid)
        assert eng.state == "cancelled"
        from billing.integration import backend

        assert backend().summary(eng.id).status == "cancelled"


def test_signing_limit_is_enforced(city: City) -> None:
    app = city.app
    award_id = make_award(app, city, signing_days=2)
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        assert post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code == 302
    with timeutil.frozen(START + 3 * DAY):  # Thursday: two working days after Monday have passed
        r = post(owner, f"/engagements/{eid}/contract/confirm")
        assert r.status_code == 400 and "签约期限" in r.get_data(as_text=True)
