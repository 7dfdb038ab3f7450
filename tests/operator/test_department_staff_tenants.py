"""Departments' staff (部门工作人员) per tenant: an operator invites, lists and revokes the
staff of its own tenant's departments only, the provincial operator included (it keeps the
shared catalogue's rows, not a city's people); a department belongs to the tenant the
provincial operator gives it, staffed or not, and moves with its staff when given to
another."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts import operations as ops
from market.accounts import tenants
from market.accounts.audit import AuditEvent
from market.accounts.models import Invitation, Organisation, OrgKind, Role
from market.catalogue.models import Department
from market.db import db
from tests.conftest import PASSWORD, create_person, csrf_token, login

PAGE = "/operator/department-staff"


@dataclass
class Scene:
    app: Flask
    clients: dict[str, FlaskClient]  # home, second, province: each tenant's operator
    tenant: dict[str, int]
    staffed: int  # the home city's department, with a member and a pending invitation
    unstaffed: int  # the second city's department, nobody staffed yet
    provincial: int  # the province's department, nobody staffed yet
    home_invitation: int
    home_staff_user: int


def _client(app: Flask, email: str) -> FlaskClient:
    c = app.test_client()
    assert login(c, email).status_code == 302
    return c


@pytest.fixture
def scene(app: Flask) -> Scene:
    home_op = create_person(app, Role.OPERATOR)
    province_op = create_person(app, Role.OPERATOR, provincial=True)
    with app.app_context():
        home = tenants.home_tenant().id
        second = tenants.add("539800", "云岭市", tenant=True).id
        province = tenants.province().id  # type: ignore[union-attr]
        operator = ops.create_organisation(OrgKind.OPERATOR, "云岭市政务服务中心",
                                           tenant_id=second)
        ops.add_member(operator, name="云岭市运营", email="op2@staff.example.cn",
                       role=Role.OPERATOR, password=PASSWORD)
        db.session.commit()
    staff = create_person(app, Role.DEPARTMENT_STAFF)  # a home-tenant department with staff
    with app.app_context():
        staffed = db.session.scalar(sa.select(Department.id).where(
            Department.organisation_id == staff.org_id))
        unstaffed = Department(code="YL-NRB", name="云岭市自然资源和规划局", tenant_id=second)
        provincial = Department(code="YN-FGW", name="云南省发展和改革委员会", tenant_id=province)
        db.session.add_all([unstaffed, provincial])
        db.session.commit()
        unstaffed_id, provincial_id = unstaffed.id, provincial.id
    clients = {"home": _client(app, home_op.email), "second": _client(app, "op2@staff.example.cn"),
               "province": _client(app, province_op.email)}
    r = _invite(clients["home"], staffed, "new@home.example.cn")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation.id).where(
            Invitation.email == "new@home.example.cn"))
    return Scene(app, clients, {"home": home, "second": second, "province": province},
                 staffed, unstaffed_id, provincial_id, invitation, staff.user_id)


def _invite(c: FlaskClient, department: int, email: str):  # type: ignore[no-untyped-def]
    return c.post(PAGE, data={"department_id": str(department), "email": email,
                              "csrf_token": csrf_token(c, PAGE)})


def _offered(c: FlaskClient) -> set[int]:
    html = c.get(PAGE).get_data(as_text=True)
    if 'data-test="no-departments"' in html:
        return set()  # no form: the page says the province gives it departments
    select = html.split('name="department_id"')[1].split("</select>")[0]
    return {int(v) for v in re.findall(r'value="(\d+)"', select)}


def _state(app: Flask) -> tuple[object, ...]:
    with app.app_context():
        return (db.session.execute(sa.select(Invitation.id, Invitation.state)
                                   .order_by(Invitation.id)).all(),
                db.session.execute(sa.select(Department.id, Department.organisation_id,
                                             Department.tenant_id)
                                   .order_by(Department.id)).all(),
                db.session.execute(sa.select(Organisation.id, Organisation.tenant_id)
                                   .order_by(Organisation.id)).all(),
                db.session.scalar(sa.select(sa.func.count(AuditEvent.id))))


def test_each_operator_sees_its_own_tenants_departments_only(scene: Scene) -> None:
    home, second, province = (scene.clients[k] for k in ("home", "second", "province"))
    # a department nobody staffed is offered only where it belongs, not to every operator
    assert _offered(home) == {scene.staffed}
    assert _offered(second) == {scene.unstaffed}
    assert _offered(province) == {scene.provincial}
    mine = home.get(PAGE).get_data(as_text=True)
    assert "new@home.example.cn" in mine and "测试" in mine
    for other in (second, province):
        page = other.get(PAGE).get_data(as_text=True)
        assert "new@home.example.cn" not in page and "暂无部门工作人员" in page


@pytest.mark.parametrize("who", ["second", "province"])
def test_another_tenants_department_is_refused_and_nothing_changes(scene: Scene,
                                                                   who: str) -> None:
    c = scene.clients[who]
    before = _state(scene.app)
    r = _invite(c, scene.staffed, "intruder@staff.example.cn")
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    assert re.search(r'<p class="error" id="department_id-msg">', page)
    assert 'value="intruder@staff.example.cn"' in page  # what was typed is kept
    # the select shows its own first department, not the foreign one it never offered
    select = page.split('name="department_id"')[1].split("</select>")[0]
    own = scene.unstaffed if who == "second" else scene.provincial
    assert re.search(rf'<option selected value="{own}">', select), select
    # nor may it revoke the home city's invitation, or disable its staff member (404: not
    # its to know), nor reset their second factor
    token = csrf_token(c, PAGE)
    assert c.post(f"/operator/invitations/{scene.home_invitation}/revoke",
                  data={"csrf_token": token}).status_code == 404
    assert c.post(f"/operator/accounts/{scene.home_staff_user}/active",
                  data={"csrf_token": token, "active": "0"}).status_code == 404
    assert c.post(f"/operator/accounts/{scene.home_staff_user}/second-factor",
                  data={"csrf_token": token, "reason": "测试重置动态口令的理由"}
                  ).status_code == 404
    assert _state(scene.app) == before


def test_an_unstaffed_department_is_staffed_only_where_it_belongs(scene: Scene) -> None:
    """A department nobody staffed is no longer the first comer's: the home city and the
    province are refused the second city's, which its own operator staffs in its tenant."""
    home, second = scene.clients["home"], scene.clients["second"]
    before = _state(scene.app)
    for other in ("home", "province"):
        r = _invite(scene.clients[other], scene.unstaffed, "early@staff.example.cn")
        assert r.status_code == 400
        assert re.search(r'<p class="error" id="department_id-msg">[^<]*本地的审批部门',
                         r.get_data(as_text=True))
    assert _state(scene.app) == before
    r = _invite(second, scene.unstaffed, "staff@yunling.example.cn")
    assert r.status_code == 302, r.get_data(as_text=True)
    with scene.app.app_context():
        dept = db.session.get(Department, scene.unstaffed)
        org = db.session.get(Organisation, dept.organisation_id)  # type: ignore[union-attr]
        assert (org.kind, org.tenant_id) == (OrgKind.DEPARTMENT.value, scene.tenant["second"])
        invitation = db.session.scalar(sa.select(Invitation).where(
            Invitation.email == "staff@yunling.example.cn"))
        invitation_id = invitation.id
    # the inviting operator lists it and may revoke it; the home city does not see the
    # department or the invitation, and may not revoke it
    assert "staff@yunling.example.cn" in second.get(PAGE).get_data(as_text=True)
    assert "staff@yunling.example.cn" not in home.get(PAGE).get_data(as_text=True)
    assert _offered(home) == {scene.staffed} and _offered(second) == {scene.unstaffed}
    before = _state(scene.app)
    for other in ("home", "province"):
        c = scene.clients[other]
        assert c.post(f"/operator/invitations/{invitation_id}/revoke",
                      data={"csrf_token": csrf_token(c, PAGE)}).status_code == 404
        assert _invite(c, scene.unstaffed, "late@staff.example.cn").status_code == 400
    assert _state(scene.app) == before
    r = second.post(f"/operator/invitations/{invitation_id}/revoke",
                    data={"csrf_token": csrf_token(second, PAGE)})
    assert r.status_code == 302
    with scene.app.app_context():
        assert db.session.get(Invitation, invitation_id).state == "revoked"  # type: ignore[union-attr]


def test_the_provincial_operator_staffs_a_provincial_department(scene: Scene) -> None:
    province = scene.clients["province"]
    r = _invite(province, scene.provincial, "staff@province.example.cn")
    assert r.status_code == 302, r.get_data(as_text=True)
    with scene.app.app_context():
        dept = db.session.get(Department, scene.provincial)
        org = db.session.get(Organisation, dept.organisation_id)  # type: ignore[union-attr]
        assert org.tenant_id == scene.tenant["province"]
    assert "staff@province.example.cn" in province.get(PAGE).get_data(as_text=True)
    assert _offered(scene.clients["second"]) == {scene.unstaffed}


def _code(app: Flask, department: int) -> str:
    with app.app_context():
        return db.session.get(Department, department).code  # type: ignore[union-attr]


def test_the_provincial_operator_gives_a_department_to_a_tenant(scene: Scene) -> None:
    """The province's operator moves the home city's staffed department to the second city:
    one audit event, the staff organisation (its member, its pending invitation) moves with
    it; the home city no longer sees it, the second city manages it."""
    province, home, second = (scene.clients[k] for k in ("province", "home", "second"))
    code = _code(scene.app, scene.staffed)
    url = f"/operator/departments/{code}"
    page = province.get(url).get_data(as_text=True)
    select = page.split('name="tenant_id"')[1].split("</select>")[0]
    assert re.search(rf'<option selected value="{scene.tenant["home"]}">', select), select
    with scene.app.app_context():
        events = db.session.scalar(sa.select(sa.func.count(AuditEvent.id)))
        name = db.session.get(Department, scene.staffed).name  # type: ignore[union-attr]
    r = province.post(url, data={"code": code, "name": name,
                                 "tenant_id": str(scene.tenant["second"]),
                                 "csrf_token": csrf_token(province, url)})
    assert r.status_code == 302, r.get_data(as_text=True)
    with scene.app.app_context():
        dept = db.session.get(Department, scene.staffed)
        org = db.session.get(Organisation, dept.organisation_id)  # type: ignore[union-attr]
        assert (dept.tenant_id, org.tenant_id) == (scene.tenant["second"],) * 2  # type: ignore[union-attr]
        event = db.session.scalars(sa.select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == events + 1
        assert event.tag == "operator:department:update"  # type: ignore[union-attr]
        assert (event.details["before"]["tenant"], event.details["after"]["tenant"]) == (  # type: ignore[union-attr]
            "539900", "539800")
        assert event.details["after"]["organisation"] == org.public_id  # type: ignore[union-attr]
    assert _offered(home) == set() and _offered(second) == {scene.staffed, scene.unstaffed}
    assert "new@home.example.cn" in second.get(PAGE).get_data(as_text=True)
    assert "new@home.example.cn" not in home.get(PAGE).get_data(as_text=True)
    assert 'name="department_id"' not in home.get(PAGE).get_data(as_text=True)  # no empty select
    # the second city's operator now revokes the invitation; the home city may not
    token = csrf_token(home, "/operator/regulators")
    assert home.post(f"/operator/invitations/{scene.home_invitation}/revoke",
                     data={"csrf_token": token}).status_code == 404
    assert second.post(f"/operator/invitations/{scene.home_invitation}/revoke",
                       data={"csrf_token": csrf_token(second, PAGE)}).status_code == 302


@pytest.mark.parametrize("tenant", ["not-a-number", "999999", "county-not-served"])
def test_a_department_given_to_no_tenant_is_refused(scene: Scene, tenant: str) -> None:
    """A place that is no tenant (a division in the tree not served, an unknown id, junk) is
    refused next to the field with what was typed kept; the select shows the department's
    tenant, not the first option; nothing changes."""
    province = scene.clients["province"]
    if tenant == "county-not-served":
        with scene.app.app_context():
            tenant = str(tenants.add("539801", "云岭市某区", tenant=False).id)
            db.session.commit()
    code = _code(scene.app, scene.unstaffed)
    url = f"/operator/departments/{code}"
    before = _state(scene.app)
    r = province.post(url, data={"code": code, "name": "云岭市自然资源局（改）", "tenant_id": tenant,
                                 "csrf_token": csrf_token(province, url)})
    page = r.get_data(as_text=True)
    assert r.status_code == 400
    message = "所选的一项不在可选范围内" if tenant == "not-a-number" else "请选择本省或在本平台开通的"
    assert re.search(rf'<p class="error" id="tenant_id-msg">[^<]*{message}', page)
    assert 'value="云岭市自然资源局（改）"' in page
    select = page.split('name="tenant_id"')[1].split("</select>")[0]
    assert re.search(rf'<option selected value="{scene.tenant["second"]}">', select), select
    assert _state(scene.app) == before


def test_only_the_provincial_operator_gives_a_department_a_tenant(scene: Scene) -> None:
    code = _code(scene.app, scene.unstaffed)
    url = f"/operator/departments/{code}"
    before = _state(scene.app)
    for who in ("home", "second"):
        c = scene.clients[who]
        assert c.post(url, data={"code": code, "name": "云岭市自然资源和规划局",
                                 "tenant_id": str(scene.tenant[who]),
                                 "csrf_token": csrf_token(c, PAGE)}).status_code == 403
    assert _state(scene.app) == before
