"""March 2026 built through the pages and operations, for the monthly report's tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.models import Organisation, User
from market.catalogue.models import ApprovalMatter, Department
from market.db import db
from market.engagements.models import Engagement
from market.evaluation import operations as evaluation
from market.regulator import complaints, sanctions
from market.selection.models import Award, Project, SelectionRequest
from tests.conftest import create_person, login
from tests.engagements.conftest import PDF, engagement_id_of, make_matter, post
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish

APRIL_2 = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)


def at(day: int, month: int = 3) -> datetime:
    """10:00 in Beijing on that day of 2026."""
    return datetime(2026, month, day, 2, 0, tzinfo=UTC)


def _user(email: str) -> User:
    return db.session.scalar(sa.select(User).where(User.email == email))


def _award(app: Flask, city: City, req: SelectionRequest, agency: int, fee_fen: int,
           days: int) -> int:
    """The confirmed award of a published request (the draw is not what these tests are
    about: tests/selection walks it); everything after it goes through the pages."""
    with app.app_context():
        r = db.session.get(SelectionRequest, req.id)
        r.state = "selected"
        award = Award(request_id=r.id, agency_org_id=city.agencies[agency].org_id, rank=0,
                      fee_fen=fee_fen, service_days=days, state="confirmed",
                      # offered (中选) on Wed 4 March: its result notice (公示, 3 working
                      # days) is over by the time the contract starts
                      offered_at=timeutil.now() - timedelta(days=6),
                      decided_at=timeutil.now())
        db.session.add(award)
        db.session.commit()
        return award.id


def _staff(city: City, *matter_ids: int) -> object:
    """A department's staff member (who records the cases' events), the matters made theirs."""
    person = create_person(city.app, "department_staff")
    with city.app.app_context():
        dept = db.session.scalar(sa.select(Department.id).where(
            Department.organisation_id == person.org_id))
        for matter_id in matter_ids:
            db.session.get(ApprovalMatter, matter_id).department_id = dept
        db.session.commit()
    client = city.app.test_client()
    assert login(client, person.email).status_code == 302
    return client


def _case(staff, project_id: int, matter_id: int) -> str:
    """The department receives the application and accepts it (受理)."""
    with staff.application.app_context():
        code = db.session.scalar(sa.select(Project.code).where(Project.id == project_id))
    r = post(staff, "/approvals/receive", {"project_code": code, "matter_id": matter_id})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = r.headers["Location"]
    # accepted on the applicant's pledge (告知承诺): its reports come later in this month
    r = post(staff, page + "/events/accept", {"accept-mode": "pledge_acceptance"})
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    return page


def build_march(city: City) -> dict[str, object]:
    """Two requests published in March (one drawn by lot at a fixed price, one sealed bid under
    a cap), one in February and one in April;
    two engagements (one on time, one late), two approval cases (one on time, one late),
    two ratings, two complaints (one upheld), one sanction, all in March 2026."""
    app = city.app
    owner, agencies = city.client(city.owner), [city.client(a) for a in city.agencies[:2]]
    with timeutil.frozen(at(27, 2)):
        _publish(city, "000100")  # February: not March's
    with timeutil.frozen(START):  # Mon 2 March
        fixed = _publish(city, "000101")
        capped = _publish(city, "000102", method="sealed_bid", price_kind="cap", price="",
                          cap="40000")
    matter_ok, matter_short = make_matter(app, committed=20), make_matter(app, committed=2)
    staff = _staff(city, matter_ok, matter_short)
    with timeutil.frozen(at(3)):  # Tue: cases received and accepted (受理) for both projects
        case_ok = _case(staff, fixed.project_id, matter_ok)
        case_late = _case(staff, capped.project_id, matter_short)
    with timeutil.frozen(at(10)):  # Tue 10 March: awards, engagements, contracts
        a1 = _award(app, city, fixed, 0, 30_000_00, 20)
        a2 = _award(app, city, capped, 1, 30_000_00, 2)
        e1, e2 = engagement_id_of(app, a1), engagement_id_of(app, a2)
        for eid, agency in ((e1, agencies[0]), (e2, agencies[1])):
            page = f"/engagements/{eid}"
            assert post(owner, page + "/contract", file=(PDF, "合同.pdf")).status_code == 302
            assert post(agency, page + "/contract/confirm").status_code == 302
    with timeutil.frozen(at(12)):
        assert post(agencies[0], f"/engagements/{e1}/deliverables",
                    file=(PDF, "报告.pdf")).status_code == 302
    with timeutil.frozen(at(13)):  # Fri: accepted on time
        assert post(owner, f"/engagements/{e1}/accept").status_code == 302
    with timeutil.frozen(at(16)):  # Mon: case 1 decided
        assert post(staff, case_ok + "/events/decide",
                    {"outcome-outcome": "approved"}).status_code == 302
    with timeutil.frozen(at(19)):  # Thu: the second engagement delivers late
        assert post(agencies[1], f"/engagements/{e2}/deliverables",
                    file=(PDF, "报告.pdf")).status_code == 302
    with timeutil.frozen(at(20)):
        assert post(owner, f"/engagements/{e2}/accept").status_code == 302
    with timeutil.frozen(at(23)):
        assert post(staff, case_late + "/events/decide",
                    {"outcome-outcome": "approved"}).status_code == 302
    with app.app_context():
        owner_org = db.session.get(Organisation, city.owner.org_id)
        owner_user = _user(city.owner.email)
        regulator = _user(city.regulator.email)
        engs = {e.public_id: e for e in db.session.scalars(sa.select(Engagement))}
        with timeutil.frozen(at(16)):
            evaluation.rate(engs[e1], owner_org, owner_user, {
                "quality": 5, "timeliness": 4, "attitude": 5, "fees": 3, "integrity": 5}, "好",
                level="very_satisfied")
        with timeutil.frozen(at(25)):
            evaluation.rate(engs[e2], owner_org, owner_user, {
                "quality": 2, "timeliness": 1, "attitude": 2, "fees": 2, "integrity": 2}, "慢",
                level="dissatisfied")
        with timeutil.frozen(at(17)):
            upheld = complaints.file(owner_org, owner_user, "engagement", e2, "逾期交付")
        with timeutil.frozen(at(18)):
            complaints.start_review(upheld, regulator)
            complaints.decide(upheld, regulator, True, "逾期属实")
        with timeutil.frozen(at(30)):
            complaints.file(owner_org, owner_user, "engagement", e1, "收费说明不清")
        with timeutil.frozen(at(19)):
            agency = db.session.get(Organisation, city.agencies[1].org_id)
            sanctions.issue(agency, "warning", "逾期交付成果", "《中介服务超市管理办法》第二十条",
                            date(2026, 3, 19), date(2026, 6, 19), regulator,
                            db.session.get(Organisation, city.regulator.org_id))
        db.session.commit()
    with timeutil.frozen(at(1, 4)):
        _publish(city, "000100", signup_closes_at="2026-04-10T10:00")  # April: not March's
    return {"e1": e1, "e2": e2}
