"""The monthly report (月度报告) over a month of data made through the operations and pages:
every figure checked against what was done, the CSV, the written files, the pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.models import Organisation, User
from market.approvals.models import ApprovalCase
from market.approvals.timeline import project_split
from market.catalogue.models import ApprovalMatter, Department
from market.db import db
from market.domain.reports import Month
from market.engagements.models import Engagement
from market.evaluation import operations as evaluation
from market.regulator import complaints, sanctions
from market.reports import archive
from market.reports.figures import by_section, csv_rows, monthly
from market.selection.models import Award, Project, SelectionRequest
from market.supervision.models import EscalationStep
from tests.conftest import create_person, csrf_token, login
from tests.engagements.conftest import PDF, engagement_id_of, make_matter, post
from tests.selection.conftest import START, City
from tests.selection.test_lottery_flow import _request_form

DAY = timedelta(days=1)
MARCH = Month(2026, 3)
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


def _publish(city: City, code: str, **overrides: str) -> SelectionRequest:
    """Register the owner's project ``code`` (once) and publish a request for it."""
    c = city.client(city.owner)
    full = f"2026-539901-47-01-{code}"
    with city.app.app_context():
        project_id = db.session.scalar(sa.select(Project.id).where(Project.code == full))
    if project_id is None:
        r = c.post("/owner/projects", data={
            "name": f"东城区第{code}号工程", "code": full, "fund_source": "fiscal",
            "investment": "8600", "location": "云川市东城区",
            "csrf_token": csrf_token(c, "/owner/projects")})
        assert r.status_code == 302, r.get_data(as_text=True)
        with city.app.app_context():
            project_id = db.session.scalar(sa.select(Project.id).where(Project.code == full))
    data = _request_form(city, project_id, **overrides)
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    public_id = r.headers["Location"].rsplit("/", 1)[1]
    r = c.post(f"/owner/requests/{public_id}/publish",
               data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
    assert r.status_code == 302
    with city.app.app_context():
        return db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))


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


def test_every_figure_of_a_month(city: City) -> None:
    app = city.app
    build_march(city)
    with timeutil.frozen(APRIL_2), app.test_request_context("/"):
        report = monthly(MARCH)
        # requests: the two of March, one by lot, one sealed bid, one service type
        assert report.requests_total == 2
        assert dict(report.by_method()) == {"lottery": 1, "sealed_bid": 1, "credit_merit": 0,
                                            "direct": 0}
        assert [n for _st, n in report.by_service()] == [2]
        # amounts: two engagements of 30 000 yuan; one under a cap of 40 000: saved 25 %
        assert (report.engagements, report.fee_total_fen) == (2, 60_000_00)
        assert (report.capped, report.cap_total_fen, report.capped_award_fen) == \
            (1, 40_000_00, 30_000_00)
        assert report.saving_bp == 2500
        # publication (Mon 2 Mar) → award offered (Wed 4 Mar): 2 working days, both
        assert (report.to_award.count, report.to_award.median, report.to_award.p90) == (2, 2, 2)
        # → acceptance: 13 Mar (9 working days) and 20 Mar (14): median 11.5, p90 14
        assert report.to_acceptance.count == 2
        assert report.to_acceptance.median == Fraction(23, 2) and report.to_acceptance.p90 == 14
        # engagements: the first on time, the second (2 days committed, 7 used) late
        assert (report.accepted, report.accepted_on_time, report.engagements_on_time_bp) == \
            (2, 1, 5000)
        # cases: 20 committed days kept, 2 committed days not
        assert (report.cases_decided, report.cases_on_time, report.cases_on_time_bp) == \
            (2, 1, 5000)
        # the intermediary share: as the project timeline splits the decided cases' projects
        cases = list(db.session.scalars(sa.select(ApprovalCase).order_by(ApprovalCase.id)))
        end = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 in Beijing
        splits = [project_split(p, end) for p in sorted({c.project_id for c in cases})]
        assert report.intermediary_days == sum(s.intermediary for s in splits) > 0
        assert report.case_days == sum(s.total for s in splits) > report.intermediary_days
        assert report.intermediary_share_bp == round(
            report.intermediary_days * 10_000 / report.case_days)
        # ratings: means of (5, 2), (4, 1), (5, 2), (3, 2), (5, 2)
        assert report.ratings == 2
        assert report.rating_mean("quality") == Fraction(7, 2)
        assert report.rating_mean("timeliness") == Fraction(5, 2)
        assert report.rating_overall == Fraction(31, 10)
        # complaints: two filed, one upheld in time, one open; one warning
        assert (report.complaints_filed, report.complaints_upheld, report.complaints_rejected,
                report.complaints_decided_late) == (2, 1, 0, 0)
        assert dict(report.sanctions) == {"warning": 1}
        # escalations: none were raised in March
        assert report.escalations == 0
        # other months see none of it
        feb = monthly(Month(2026, 2))
        assert feb.requests_total == 1 and feb.engagements == 0 and feb.ratings == 0
        # the CSV holds every figure once, as the report has it
        rows = {(r[1], r[2], r[4]): r[5] for r in csv_rows(report)}
        assert rows[("amounts", "saving_rate", "")] == 2500
        assert rows[("cycle", "publication_to_acceptance", "中位数")] == "11.5"
        assert rows[("escalations", "raised", "")] == 0
        assert rows[("ratings", "mean", "五项平均")] == "3.10"
        texts = {f.key: f.text for _k, _t, fs in by_section(report) for f in fs}
        assert texts["saving_rate"] == "25.00%" and texts["raised"].startswith("0")
        # an escalation step raised in March counts in March, by the day it was raised
        db.session.add(EscalationStep(
            subject_kind="service", subject_id="WT-000002", due_date=date(2026, 3, 12),
            step="warning", party_kind="agency", party_name="逾期中介", late_days=1,
            raised_at=at(16)))
        db.session.commit()
        assert monthly(Month(2026, 3)).escalations == 1
        assert monthly(Month(2026, 2)).escalations == 0


def test_pages_csv_and_public_statistics(city: City) -> None:
    app = city.app
    build_march(city)
    regulator = city.client(city.regulator)
    with timeutil.frozen(APRIL_2):
        html = regulator.get("/regulator/reports/2026-03").get_data(as_text=True)
        assert "25.00%" in html and "<svg" in html and "尚未记录" in html
        assert 'data-figure="amounts.saving_rate"' in html
        r = regulator.get("/regulator/reports/2026-03/figures.csv")
        assert r.status_code == 200 and r.mimetype == "text/csv"
        table = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
        assert table[0] == ["month", "section", "figure", "label", "breakdown", "value", "unit"]
        assert table[[row[2] for row in table]
                                                             .index("saving_rate")][:3] == ["2026-03", "amounts", "saving_rate"]
        # not ended, malformed: nothing to show
        for month in ("2026-04", "2026-13", "x", "2026-3"):
            assert regulator.get(f"/regulator/reports/{month}").status_code == 404
            assert regulator.get(f"/regulator/reports/{month}/figures.csv").status_code == 404
        # the PDF exists only once written
        assert regulator.get("/regulator/reports/2026-03/report.pdf").status_code == 404
        # the public page: the same figures, no names of people or organisations
        public = app.test_client()
        page = public.get("/statistics?month=2026-03").get_data(as_text=True)
        assert "25.00%" in page and "<svg" in page
        with app.app_context():
            names = [o.name for o in db.session.scalars(sa.select(Organisation))]
            names += [u.name for u in db.session.scalars(sa.select(User)) if u.name]
            emails = [u.email for u in db.session.scalars(sa.select(User))]
        assert not [n for n in names + emails if n and n in page]
        assert public.get("/statistics?month=2026-04").status_code == 404
        assert public.get("/statistics?month=bad").status_code == 404
        assert public.get("/statistics").status_code == 200  # the last ended month
        assert 'href="/statistics"' in public.get("/").get_data(as_text=True)


@pytest.mark.usefixtures("pdf_library")
def test_command_writes_the_month_once_ended(city: City) -> None:
    app = city.app
    build_march(city)
    runner = app.test_cli_runner()
    with timeutil.frozen(at(31)):  # the last day of March: not ended
        result = runner.invoke(args=["reports", "monthly", "--month", "2026-03"])
        assert result.exit_code != 0 and "还没有结束" in result.output
        assert runner.invoke(args=["reports", "monthly", "--month", "2026/03"]).exit_code != 0
    with app.app_context():
        assert archive.written() == []
    with timeutil.frozen(APRIL_2):
        result = runner.invoke(args=["reports", "monthly", "--month", "2026-03"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            [done] = archive.written()
            first = {k: p.read_bytes() for k, p in done.files.items()}
        assert first["pdf"].startswith(b"%PDF") and len(first["pdf"]) > 5_000
        assert "25.00%" in first["html"].decode() and "<script" not in first["html"].decode()
        table = list(csv.reader(io.StringIO(first["csv"].decode("utf-8").lstrip("\ufeff"))))
        assert ["2026-03", "amounts", "saving_rate", "节约率", "", "2500", "基点"] in table
        # again: the same three files, byte for byte (the PDF carries no creation time), and
        # nothing beside them
        assert runner.invoke(args=["reports", "monthly", "--month", "2026-03"]).exit_code == 0
        with app.app_context():
            [again] = archive.written()
            assert {k: p.read_bytes() for k, p in again.files.items()} == first
            assert sorted(p.name for p in archive.folder(MARCH).iterdir()) == \
                ["figures.csv", "report.html", "report.pdf"]
        regulator = city.client(city.regulator)
        listing = regulator.get("/regulator/reports").get_data(as_text=True)
        assert "/regulator/reports/2026-03/report.pdf" in listing
        r = regulator.get("/regulator/reports/2026-03/report.pdf")
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
        r.close()
