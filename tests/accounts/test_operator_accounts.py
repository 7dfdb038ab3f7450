"""The operator's accounts page: every organisation's people, invitations into any of them,
disabling (no login, sessions end at once) and enabling; never oneself nor the last operator."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts.audit import AuditEvent
from market.accounts.models import Invitation, Organisation, User, UserSession
from market.db import db
from tests.conftest import Person, create_person, csrf_token, login


def logged_in(app: Flask, who: Person) -> FlaskClient:
    c = app.test_client()
    assert login(c, who.email).status_code == 302
    return c


def toggle(c: FlaskClient, user_id: int, active: bool) -> str:
    r = c.post(f"/operator/accounts/{user_id}/active", data={
        "active": "1" if active else "0", "csrf_token": csrf_token(c, "/operator/accounts")})
    assert r.status_code == 302
    return c.get(r.headers["Location"]).get_data(as_text=True)


def is_active(app: Flask, user_id: int) -> bool:
    with app.app_context():
        return bool(db.session.get(User, user_id).active)


def test_the_page_lists_every_organisations_people_and_finds_them(app: Flask) -> None:
    operator = create_person(app, "operator")
    people = [create_person(app, r) for r in ("owner_admin", "agency_staff", "regulator",
                                              "department_staff")]
    c = logged_in(app, operator)
    page = c.get("/operator/accounts").get_data(as_text=True)
    for p in [operator, *people]:
        assert f'data-test="account-{p.email}"' in page
    found = c.get(f"/operator/accounts?q={people[1].email}").get_data(as_text=True)
    assert people[1].email in found and people[0].email not in found
    agencies = c.get("/operator/accounts?kind=agency").get_data(as_text=True)
    assert people[1].email in agencies and people[2].email not in agencies
    with app.app_context():
        org_id = db.session.get(Organisation, people[0].org_id).public_id
    by_org = c.get(f"/operator/accounts?q={org_id}").get_data(as_text=True)
    assert people[0].email in by_org and people[1].email not in by_org
    assert c.get("/operator/accounts?page=x&kind=nonsense").status_code == 200


def test_a_disabled_account_cannot_log_in_and_its_sessions_end(any_app: Flask) -> None:
    operator = create_person(any_app, "operator")
    owner = create_person(any_app, "owner_admin")
    owner_client = logged_in(any_app, owner)
    assert owner_client.get("/dashboard").status_code == 200
    c = logged_in(any_app, operator)
    page = toggle(c, owner.user_id, False)
    assert "其登录会话已全部结束" in page
    assert not is_active(any_app, owner.user_id)
    with any_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(
            UserSession.user_id == owner.user_id)) == 0
    assert owner_client.get("/dashboard").status_code == 302  # sent to log in
    again = any_app.test_client()
    r = login(again, owner.email)
    assert r.status_code == 400 and "邮箱或密码不正确" in r.get_data(as_text=True)
    toggle(c, owner.user_id, True)
    assert login(any_app.test_client(), owner.email).status_code == 302
    with any_app.app_context():
        tags = db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.target == db.session.get(User, owner.user_id).account_id,
            AuditEvent.tag.like("operator:%"))
            .order_by(AuditEvent.id)).all()
    assert tags == ["operator:user:disable", "operator:user:enable"]


def test_an_operator_cannot_disable_themselves_or_the_last_operator(app: Flask) -> None:
    first = create_person(app, "operator")
    c = logged_in(app, first)
    page = toggle(c, first.user_id, False)
    assert "不能停用自己的账户" in page and is_active(app, first.user_id)
    second = create_person(app, "operator", org_id=first.org_id)
    assert "已停用" in toggle(c, second.user_id, False)
    # a third operator logs in; the first is now the only other active one
    third = create_person(app, "operator", org_id=first.org_id)
    c3 = logged_in(app, third)
    assert "已停用" in toggle(c3, first.user_id, False)
    page = toggle(c3, third.user_id, False)
    assert "不能停用自己的账户" in page
    # with the second enabled again, the third may go: the second stays
    toggle(c3, second.user_id, True)
    c2 = logged_in(app, second)
    assert "已停用" in toggle(c2, third.user_id, False)
    with app.app_context():
        # a disabled operator somewhere else cannot count: the second is the last active one
        last = db.session.get(User, second.user_id)
        from market.accounts import administration
        from market.accounts.operations import AccountError
        other = db.session.get(User, first.user_id)
        try:
            administration.set_active(last, False, by=other)
        except AccountError as error:
            assert "最后一个" in error.message
        else:
            raise AssertionError("the last operator was disabled")
    assert is_active(app, second.user_id)


def test_the_operator_invites_into_any_organisation_in_its_kinds_roles(app: Flask) -> None:
    operator = create_person(app, "operator")
    agency = create_person(app, "agency_admin")
    c = logged_in(app, operator)
    with app.app_context():
        org = db.session.get(Organisation, agency.org_id)
        public_id, credit_code = org.public_id, org.credit_code

    def invite(**data: str) -> tuple[int, str]:
        data["csrf_token"] = csrf_token(c, "/operator/accounts")
        r = c.post("/operator/accounts", data=data)
        return r.status_code, r.get_data(as_text=True)

    status, page = invite(organisation=public_id, email="new.staff@test.example.cn",
                          role="owner_admin")
    assert status == 400 and "该角色不属于此类单位" in page.split('id="role-msg"')[1]
    status, page = invite(organisation="AG-424242", email="a@test.example.cn",
                          role="agency_staff")
    assert status == 400 and "找不到这个单位" in page and "AG-424242" in page
    status, page = invite(organisation=public_id, email="not-an-address", role="agency_staff")
    assert status == 400 and 'id="email-msg"' in page
    status, page = invite(organisation=public_id, email=agency.email, role="agency_staff")
    assert status == 400 and "已是本单位成员" in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Invitation.id))) == 0
    assert invite(organisation=credit_code.lower(), email="New.Staff@test.example.cn",
                  role="agency_staff")[0] == 302
    assert invite(organisation=public_id.lower(), email="op2@test.example.cn",
                  role="agency_admin")[0] == 302
    with app.app_context():
        made = db.session.scalars(sa.select(Invitation).order_by(Invitation.id)).all()
        assert [(i.organisation_id, i.email, i.role) for i in made] == [
            (agency.org_id, "new.staff@test.example.cn", "agency_staff"),
            (agency.org_id, "op2@test.example.cn", "agency_admin")]


def test_nobody_else_disables_an_account(role_clients: dict[str, FlaskClient],
                                         app: Flask) -> None:
    victim = create_person(app, "owner_admin")
    for role, c in role_clients.items():
        if role == "operator":
            continue
        token = csrf_token(c, "/login" if role == "anonymous" else "/dashboard")
        r = c.post(f"/operator/accounts/{victim.user_id}/active",
                   data={"active": "0", "csrf_token": token})
        assert r.status_code in (302, 403), role
        if role != "anonymous":
            assert r.status_code == 403
        assert is_active(app, victim.user_id), role
