"""Registration, login, logout, password change, members, regulators: the users' stories."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from market.accounts.audit import AuditEvent
from market.accounts.models import Membership, Organisation, User
from market.accounts.operations import find_user
from market.db import db
from market.domain.codes import make_credit_code
from tests.conftest import PASSWORD, create_person, csrf_token, login

GOOD_CODE = make_credit_code("91539900MA1234567")


def register_form(client, **overrides):
    data = {
        "kind": "agency",
        "org_name": "云川测试环境科技有限公司",
        "credit_code": GOOD_CODE,
        "region": "云川市东城区",
        "name": "张三",
        "email": "zhang@test.example.cn",
        "phone": "",
        "password": "good-password-1",
        "confirm": "good-password-1",
        "csrf_token": csrf_token(client, "/register"),
    }
    data.update(overrides)
    return client.post("/register", data=data)


def test_agency_registers_and_starts_pending(any_app: Flask) -> None:
    client = any_app.test_client()
    response = register_form(client)
    assert response.status_code == 302
    with any_app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.credit_code == GOOD_CODE))
        assert org.status == "pending"
        assert org.public_id.startswith("AG-")
        tags = set(db.session.scalars(sa.select(AuditEvent.tag)))
        assert {"organisation:organisation:create", "user:account:register"} <= tags
    page = client.get("/dashboard").get_data(as_text=True)
    assert "待审核" in page


def test_bad_credit_code_is_rejected_next_to_the_field_and_input_kept(app: Flask) -> None:
    client = app.test_client()
    bad = GOOD_CODE[:-1] + ("0" if GOOD_CODE[-1] != "0" else "1")
    response = register_form(client, credit_code=bad, org_name="保留我输入的名称")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "校验位不正确" in page
    assert 'value="保留我输入的名称"' in page
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_duplicate_email_changes_nothing(app: Flask) -> None:
    p = create_person(app, "owner_admin")
    client = app.test_client()
    response = register_form(client, email=p.email.upper())
    assert response.status_code == 400
    assert "该邮箱已被使用" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 1


def test_login_never_reveals_whether_an_account_exists(app: Flask) -> None:
    p = create_person(app, "owner_admin")
    wrong_password = login(app.test_client(), p.email, "wrong-password-1").get_data(as_text=True)
    no_account = login(app.test_client(), "nobody@test.example.cn").get_data(as_text=True)
    assert "邮箱或密码不正确" in wrong_password
    strip = lambda html: html.split('name="csrf_token"')[0]  # noqa: E731
    assert strip(wrong_password).replace("nobody@test.example.cn", p.email) == strip(
        no_account).replace("nobody@test.example.cn", p.email)


def test_anonymous_client_stays_anonymous_beside_a_logged_in_one(app: Flask) -> None:
    p = create_person(app, "owner_admin")
    logged_in = app.test_client()
    login(logged_in, p.email)
    assert logged_in.get("/dashboard").status_code == 200
    anonymous = app.test_client()
    response = anonymous.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_ends_other_sessions(app: Flask) -> None:
    p = create_person(app, "agency_admin")
    first, second = app.test_client(), app.test_client()
    login(first, p.email)
    login(second, p.email)
    response = first.post("/account/password", data={
        "current": PASSWORD, "password": "new-password-77", "confirm": "new-password-77",
        "csrf_token": csrf_token(first, "/account/password")})
    assert response.status_code == 302
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302
    assert login(app.test_client(), p.email, "new-password-77").status_code == 302


def test_wrong_current_password_is_refused(app: Flask) -> None:
    p = create_person(app, "agency_admin")
    c = app.test_client()
    login(c, p.email)
    response = c.post("/account/password", data={
        "current": "not-it-000", "password": "new-password-77", "confirm": "new-password-77",
        "csrf_token": csrf_token(c, "/account/password")})
    assert "当前密码不正确" in response.get_data(as_text=True)


def test_logout(app: Flask) -> None:
    p = create_person(app, "regulator")
    c = app.test_client()
    login(c, p.email)
    c.post("/logout", data={"csrf_token": csrf_token(c, "/dashboard")})
    assert c.get("/dashboard").status_code == 302


def test_login_is_rate_limited_per_account(tmp_path) -> None:
    from tests.conftest import make_app

    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_LIMIT="3 per minute")
    p = create_person(app, "owner_admin")
    codes = []
    for i in range(4):
        # A fresh client each time: a new session, as an attacker rotating cookies would.
        codes.append(login(app.test_client(), p.email, f"wrong-{i}-password").status_code)
    assert codes == [400, 400, 400, 429]  # tests/accounts/test_login_limits.py has the rest


def test_a_refused_registration_stores_nothing_and_answers_400(any_app: Flask) -> None:
    """The credit code is refused after the account was added to the transaction: nothing of
    it stays, so the same e-mail registers on the retry."""
    first = any_app.test_client()
    assert register_form(first, email="first@test.example.cn").status_code == 302
    client = any_app.test_client()
    with any_app.app_context():
        before = {t.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                  for t in (User, Organisation, Membership, AuditEvent)}
    response = register_form(client, email="second@test.example.cn", org_name="另一家公司")
    assert response.status_code == 400
    assert "该统一社会信用代码已注册" in response.get_data(as_text=True)
    with any_app.app_context():
        after = {t.__tablename__: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                 for t in (User, Organisation, Membership, AuditEvent)}
        assert after == before
        assert find_user("second@test.example.cn") is None
    retry = register_form(client, email="second@test.example.cn", org_name="另一家公司",
                          credit_code=make_credit_code("91539900MA7654321"))
    assert retry.status_code == 302, retry.get_data(as_text=True)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "另一家公司" in page


def test_every_refused_account_form_answers_400(app: Flask) -> None:
    p = create_person(app, "owner_admin")
    anonymous = app.test_client()
    assert register_form(anonymous, email=p.email).status_code == 400  # e-mail in use
    assert register_form(anonymous, password="short").status_code == 400  # validation
    assert login(anonymous, p.email, "wrong-password-1").status_code == 400
    c = app.test_client()
    login(c, p.email)
    response = c.post("/account/password", data={
        "current": "not-it-000", "password": "new-password-77", "confirm": "new-password-77",
        "csrf_token": csrf_token(c, "/account/password")})
    assert response.status_code == 400
