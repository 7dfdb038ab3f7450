"""Departments' staff (部门工作人员) per tenant: an operator invites, lists and revokes the
staff of its own tenant's departments only, the provincial operator included (it keeps the
shared catalogue's rows, not a city's people); a department nobody staffed yet becomes the
tenant of the operator who first staffs it, not the home tenant."""

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
    unstaffed: int  # a department nobody staffed yet
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
        unstaffed = Department(code="YL-NRB", name="云岭市自然资源和规划局")
        db.session.add(unstaffed)
        db.session.commit()
        unstaffed_id = unstaffed.id
    clients = {"home": _client(app, home_op.email), "second": _client(app, "op2@staff.example.cn"),
               "province": _client(app, province_op.email)}
    r = _invite(clients["home"], staffed, "new@home.example.cn")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        invitation = db.session.scalar(sa.select(Invitation.id).where(
            Invitation.email == "new@home.example.cn"))
    return Scene(app, clients, {"home": home, "second": second, "province": province},
                 staffed, unstaffed_id, invitation, staff.user_id)


def _invite(c: FlaskClient, department: int, email: str):  # type: ignore[no-untyped-def]
    return c.post(PAGE, data={"department_id": str(department), "email": email,
                              "csrf_token": csrf_token(c, PAGE)})


def _offered(c: FlaskClient) -> set[int]:
    html = c.get(PAGE).get_data(as_text=True)
    select = html.split('name="department_id"')[1].split("</select>")[0]
    return {int(v) for v in re.findall(r'value="(\d+)"', select)}


def _state(app: Flask) -> tuple[object, ...]:
    with app.app_context():
        return (db.session.execute(sa.select(Invitation.id, Invitation.state)
                                   .order_by(Invitation.id)).all(),
                db.session.execute(sa.select(Department.id, Department.organisation_id)
                                   .order_by(Department.id)).all(),
                db.session.scalar(sa.select(sa.func.count(AuditEvent.id))))


def test_each_operator_sees_its_own_tenants_departments_only(scene: Scene) -> None:
    home, second, province = (scene.clients[k] for k in ("home", "second", "province"))
    assert _offered(home) == {scene.staffed, scene.unstaffed}
    # the second city and the province: not the home city's department, the unstaffed one
    assert _offered(second) == {scene.unstaffed}
    assert _offered(province) == {scene.unstaffed}
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


def test_the_first_operator_to_staff_a_department_makes_it_its_tenants(scene: Scene) -> None:
    home, second = scene.clients["home"], scene.clients["second"]
    r = _invite(second, scene.unstaffed, "staff@yunling.example.cn")
    assert r.status_code == 302, r.get_data(as_text=True)
    with scene.app.app_context():
        dept = db.session.get(Department, scene.unstaffed)
        org = db.session.get(Organisation, dept.organisation_id)  # type: ignore[union-attr]
        assert (org.kind, org.tenant_id) == (OrgKind.DEPARTMENT.value, scene.tenant["second"])
        invitation = db.session.scalar(sa.select(Invitation).where(
            Invitation.email == "staff@yunling.example.cn"))
        invitation_id = invitation.id
    # the inviting operator lists it and may revoke it; the home city no longer sees the
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
    r = _invite(province, scene.unstaffed, "staff@province.example.cn")
    assert r.status_code == 302, r.get_data(as_text=True)
    with scene.app.app_context():
        dept = db.session.get(Department, scene.unstaffed)
        org = db.session.get(Organisation, dept.organisation_id)  # type: ignore[union-attr]
        assert org.tenant_id == scene.tenant["province"]
    assert "staff@province.example.cn" in province.get(PAGE).get_data(as_text=True)
    assert _offered(scene.clients["second"]) == set()
