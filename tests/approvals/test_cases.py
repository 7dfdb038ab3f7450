"""Approval cases recorded by the department's staff (部门工作人员) in the law's order, through
the case-event API's rules: 收件, 补正, 受理 refused without the acceptance condition's report
and accepted with it, a special procedure linked to an engagement that ends at the
deliverable's acceptance, an Art. 42 extension, the decision.  Owners read, never write;
another department's staff get 404 and change nothing; unsafe archives are refused."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.audit import AuditEvent
from market.approvals.models import ApprovalCase, CaseEvent, Suspension
from market.catalogue import operations as catalogue_ops
from market.catalogue.models import (
    Department,
)
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.db import db
from tests.conftest import create_person, login
from tests.engagements.conftest import engagement_id_of, make_award, post
from tests.selection.conftest import START, City
from tests.support.approvals_flow import (
    _deliver_and_accept,
    _project_of,
    _sign,
    make_staffed_matter,
)

DAY = timedelta(days=1)












def _case(app: Flask) -> ApprovalCase:
    return db.session.scalar(sa.select(ApprovalCase))


def _changes(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count(CaseEvent.id))),
                db.session.scalar(sa.select(sa.func.count(AuditEvent.id))),
                db.session.scalar(sa.select(sa.func.count(Suspension.id))))


def test_staff_take_a_case_through_the_laws_order(city: City) -> None:
    app = city.app
    staff_p = create_person(app, "department_staff")
    other_p = create_person(app, "department_staff")  # another department
    matter_id = make_staffed_matter(app, staff_p)
    staff, other = app.test_client(), app.test_client()
    assert login(staff, staff_p.email).status_code == 302
    assert login(other, other_p.email).status_code == 302
    owner = city.client(city.owner)
    with timeutil.frozen(START):
        eia = engagement_id_of(app, make_award(app, city, service_days=5))
        project_id, code = _project_of(app, eia)
        test = engagement_id_of(app, make_award(app, city, service_days=4, code="TEST",
                                                project_id=project_id))
        # The department receives the application; a wrong project code is refused at its field.
        r = post(staff, "/approvals/receive", {"project_code": "2026-000000-00-00-000000",
                                               "matter_id": matter_id})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and "project_code" in html
        assert 'value="2026-000000-00-00-000000"' in html
        r = post(staff, "/approvals/receive", {"project_code": code, "matter_id": matter_id,
                                               "case_no": "SP-T-0001"})
        assert r.status_code == 302, r.get_data(as_text=True)
        page = r.headers["Location"]
        action = page + "/events/"
        # Owners read the case and record nothing; another department sees nothing.
        html = owner.get(page).get_data(as_text=True)
        assert "SP-T-0001" in html and "/events/" not in html and 'data-test="read-only"' in html
        assert post(owner, action + "accept", {"accept-mode": "pledge_acceptance"}
                    ).status_code == 403
        before = _changes(app)
        assert other.get(page).status_code == 404
        assert post(other, action + "accept", {"accept-mode": "pledge_acceptance"}
                    ).status_code == 404
        assert post(other, action + "withdraw").status_code == 404
        assert _changes(app) == before
        assert "SP-T-0001" not in other.get("/approvals/").get_data(as_text=True)
        # 补正: owner time before 受理.
        assert post(staff, action + "return").status_code == 302
        r = post(staff, action + "accept", {"accept-mode": "accepted"})
        assert r.status_code == 400 and "补正中" in r.get_data(as_text=True)
    with timeutil.frozen(START + 2 * DAY):
        assert post(staff, action + "resubmit").status_code == 302
        # 受理 without the acceptance condition's report: refused next to the field.
        before = _changes(app)
        r = post(staff, action + "accept", {"accept-mode": "accepted"})
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and "accept-mode-msg" in html
        # the staff's words: the service by its name and the form's choices, not the API's codes
        error = html.split('id="accept-mode-msg">', 1)[1].split("</p>", 1)[0]
        assert error.startswith("以下受理条件还没有通过验收的中介服务成果：环境影响评价")
        assert "EIA" not in error and "tolerated_acceptance" not in error
        r = post(staff, action + "accept", {"accept-mode": "tolerated_acceptance"})
        # in the form's words, not the API's field names
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and "请填写预计需要的工作日数" in html
        assert "须给出 expected_days" not in html
        r = post(staff, action + "accept", {"accept-mode": "nonsense"})
        assert r.status_code == 400
        assert _changes(app) == before
        with app.app_context():
            assert _case(app).state == "preparing"
        _sign(city, eia)
        _sign(city, test)  # an in-process service starting suspends nothing
        with app.app_context():
            assert _case(app).state == "preparing"
            assert db.session.scalar(sa.select(sa.func.count(Suspension.id))) == 0
    _deliver_and_accept(city, eia, START + 3 * DAY)
    with timeutil.frozen(START + 4 * DAY):  # Fri 03-06
        assert post(staff, action + "accept", {"accept-mode": "accepted"}).status_code == 302
        with app.app_context():
            case = _case(app)
            assert (case.state, case.acceptance) == ("accepted", "complete")
        # A special procedure linked to the testing engagement: its committed days.
        r = post(staff, action + "special", {"special-reason": "nonsense",
                                             "special-engagement_id": test})
        assert r.status_code == 400
        r = post(staff, action + "special", {"special-reason": "testing",
                                             "special-engagement_id": "EG-999999"})
        assert r.status_code == 400 and "special-engagement_id-msg" in r.get_data(as_text=True)
        r = post(staff, action + "special", {"special-reason": "testing",
                                             "special-engagement_id": test})
        assert r.status_code == 302, r.get_data(as_text=True)
        with app.app_context():
            case = _case(app)
            s = db.session.scalar(sa.select(Suspension))
            assert case.state == "suspended" and s.expected_days == 4
            assert "检测" in s.notice and "第四十五条" in s.notice
            # says when the clock stops and what restarts it, in one sentence that reads
            assert re.search(r"本办件自 \d{4}-\d\d-\d\d 起暂停计时，成果验收后恢复计时。", s.notice)
            department = db.session.get(Department, case.matter.department_id)
            assert department.name in s.notice
            s_id = s.id
        assert "第四十五条" in owner.get(f"/approvals/suspensions/{s_id}/notice").get_data(
            as_text=True)
        assert other.get(f"/approvals/suspensions/{s_id}/notice").status_code == 404
    # The deliverable accepted: the special procedure ends by itself.
    _deliver_and_accept(city, test, START + 7 * DAY)
    with timeutil.frozen(START + 8 * DAY):
        with app.app_context():
            case = _case(app)
            s = db.session.scalar(sa.select(Suspension))
            assert case.state == "running" and s.ended_by == "acceptance"
        # Art. 42: 10 days for a case of one department; the official and the reason.
        ext = {"extend-days": "11", "extend-approved_by": "张局长",
               "extend-extension_reason": "需现场核查"}
        r = post(staff, action + "extend", ext)
        assert r.status_code == 400 and "extend-days-msg" in r.get_data(as_text=True)
        assert 'value="需现场核查"' in r.get_data(as_text=True)
        r = post(staff, action + "extend", {**ext, "extend-days": "10",
                                            "extend-extension_reason": ""})
        assert r.status_code == 400 and "extend-extension_reason-msg" in r.get_data(as_text=True)
        assert post(staff, action + "extend", {**ext, "extend-days": "10",
                                               "extend-approved_by": "李副市长"}
                    ).status_code == 302
        r = post(staff, action + "extend", {**ext, "extend-days": "1"})
        assert r.status_code == 400  # one extension per case
        html = owner.get(page).get_data(as_text=True)
        assert "李副市长" in html and "需现场核查" in html
        r = post(staff, action + "decide", {"outcome-outcome": "maybe"})
        assert r.status_code == 400
        assert post(staff, action + "decide", {"outcome-outcome": "approved"}).status_code == 302
        assert post(staff, action + "nonsense").status_code == 404
    with app.app_context():
        case = _case(app)
        assert (case.state, case.decision) == ("decided", "approved")
        tags = [t for t in db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.tag.like("staff:case:%")).order_by(AuditEvent.id))]
        assert tags == [f"staff:case:{t}" for t in (
            "applied", "returned_for_correction", "resubmitted", "accepted",
            "special_procedure_started", "extended", "decided")]
        users = set(db.session.scalars(sa.select(CaseEvent.user_id)))
        assert users == {staff_p.user_id}


def test_operator_invites_department_staff(city: City) -> None:
    app = city.app
    with app.app_context():
        dept = catalogue_ops.department_named("云川市自然资源和规划局", "YC-ZRZYJ")
        db.session.commit()
        dept_id = dept.id
    operator = city.client(city.operator)
    assert operator.get("/operator/department-staff").status_code == 200
    r = post(operator, "/operator/department-staff", {"department_id": dept_id,
                                                 "email": "not-an-email"})
    assert r.status_code == 400 and 'value="not-an-email"' in r.get_data(as_text=True)
    r = post(operator, "/operator/department-staff", {"department_id": dept_id,
                                                 "email": "window1@test.example.cn"})
    assert r.status_code == 302
    html = operator.get("/operator/department-staff").get_data(as_text=True)
    assert "window1@test.example.cn" in html
    with app.app_context():
        from market.accounts.models import Invitation, Organisation

        inv = db.session.scalar(sa.select(Invitation))
        org = db.session.get(Organisation, inv.organisation_id)
        assert (inv.role, org.kind) == ("department_staff", "department")
        assert db.session.get(Department, dept_id).organisation_id == org.id
        # An owner cannot also be a department's staff member.
        from market.accounts import invitations
        from market.accounts.models import User

        owner_user = db.session.get(User, city.owner.user_id)
        inv.email = owner_user.email
        try:
            invitations.accept(inv, owner_user)
        except invitations.AccountError as error:
            assert "审批部门" in error.message
        else:  # pragma: no cover
            raise AssertionError("an owner took a department's role")
        db.session.rollback()


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


def test_staff_receive_a_joint_case_and_its_45_days_show(city: City) -> None:
    """行政许可法 Art. 42 ¶2 through the staff's pages: a case received as handled jointly
    (统一办理、联合办理、集中办理) has 45 working days whatever its matter's statutory 60, shows
    it on the case page to staff and owner, and takes one extension of at most 15 days."""
    app = city.app
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p, committed=50)
    staff = app.test_client()
    assert login(staff, staff_p.email).status_code == 302
    owner = city.client(city.owner)
    with timeutil.frozen(START):
        eia = engagement_id_of(app, make_award(app, city, service_days=5))
        _project_id, code = _project_of(app, eia)
        assert 'name="joint"' in staff.get("/approvals/receive").get_data(as_text=True)
        r = post(staff, "/approvals/receive", {"project_code": code, "matter_id": matter_id,
                                               "case_no": "LH-0001", "joint": "y"})
        assert r.status_code == 302, r.get_data(as_text=True)
        page = r.headers["Location"]
        with app.app_context():
            case = _case(app)
            assert (case.joint, case.statutory_days, case.limit_days) == (True, 45, 45)
        for client in (staff, owner):
            html = client.get(page).get_data(as_text=True)
            assert 'data-joint="yes"' in html and "45 / 45 个工作日" in html
            assert "第四十二条第二款" in html
        assert post(staff, page + "/events/accept",
                    {"accept-mode": "pledge_acceptance"}).status_code == 302
        html = staff.get(page).get_data(as_text=True)
        assert 'data-test="extend-rule"' in html and "本级人民政府负责人" in html
        assert 'name="extend-joint"' not in html  # the case's handling decides
        ext = {"extend-days": "16", "extend-approved_by": "李副市长",
               "extend-extension_reason": "多部门联合踏勘"}
        before = _changes(app)
        r = post(staff, page + "/events/extend", ext)
        assert r.status_code == 400 and "extend-days-msg" in r.get_data(as_text=True)
        assert 'value="多部门联合踏勘"' in r.get_data(as_text=True)
        assert _changes(app) == before
        assert post(staff, page + "/events/extend", {**ext, "extend-days": "15"}
                    ).status_code == 302
        html = owner.get(page).get_data(as_text=True)
        assert "李副市长" in html and "多部门联合踏勘" in html
    with app.app_context(), timeutil.frozen(START + DAY):
        case = _case(app)
        view = clocks.view(db.session.get(Clock, case.clock_id))
        assert (view.limit, view.extensions) == (45, 15)


def test_a_case_received_alone_shows_the_ten_day_extension(city: City) -> None:
    app = city.app
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p)
    staff = app.test_client()
    assert login(staff, staff_p.email).status_code == 302
    with timeutil.frozen(START):
        eia = engagement_id_of(app, make_award(app, city, service_days=5))
        _project_id, code = _project_of(app, eia)
        r = post(staff, "/approvals/receive", {"project_code": code, "matter_id": matter_id})
        assert r.status_code == 302
        html = staff.get(r.headers["Location"]).get_data(as_text=True)
        assert 'data-joint="no"' in html and "60 / 20 个工作日" in html
        assert "第四十二条第一款" in html


def test_a_code_field_refused_says_one_thing(city: City) -> None:
    """A project code in Chinese, too long as well, gets the one message that helps (letters
    and digits only), not that one and the length's; a code only too long gets the length's.
    Each under its field, what was typed kept, nothing recorded."""
    app = city.app
    staff_p = create_person(app, "department_staff")
    matter_id = make_staffed_matter(app, staff_p)
    staff = app.test_client()
    assert login(staff, staff_p.email).status_code == 302
    before = _changes(app)
    chinese = "投资项目代码" * 6  # 36 characters
    for sent, field, message in (
            ({"project_code": chinese}, "project_code", "只能使用字母、数字"),
            ({"project_code": "A" * 33}, "project_code", "32"),
            ({"project_code": "2026-000000-00-00-000000", "case_no": "办件" * 33}, "case_no",
             "只能使用字母、数字")):
        r = post(staff, "/approvals/receive", {"matter_id": matter_id, **sent})
        html = r.get_data(as_text=True)
        assert r.status_code == 400
        messages = re.findall(rf'<p class="error" id="{field}-msg">([^<]*)</p>', html)
        assert len(messages) == 1 and message in messages[0], messages
        assert f'id="{field}"' in html.split(f'id="{field}-msg"')[0].rsplit("<div", 1)[1]
        assert re.search(rf'aria-invalid="true"[^>]*id="{field}"|id="{field}"[^>]*aria-invalid='
                         '"true"', html)
        assert f'value="{sent[field]}"' in html
    assert _changes(app) == before
