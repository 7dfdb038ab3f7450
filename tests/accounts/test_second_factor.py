"""The second factor (动态口令) through the pages: enrolment, the login's second step (good and
bad codes, replay, recovery codes, the throttle, the audit trail), the roles that must have
one, and OpenID Connect logins left alone."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pyotp
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.accounts import second_factor
from market.accounts.audit import AuditEvent
from market.accounts.models import RecoveryCode, SecondFactor, User
from market.db import db
from tests.conftest import Person, create_person, csrf_token, login, make_app
from tests.support.second_factor import (
    SECRET_RE,
    T0,
    enrol,
    enrolled,
    password_step,
)


def code_step(c: FlaskClient, code: str) -> object:
    return c.post("/login/code", data={"code": code,
                                       "csrf_token": csrf_token(c, "/login/code")})


def audit_tags(app: Flask, account_id: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.target == account_id).order_by(AuditEvent.id)))


def account_id(app: Flask, who: Person) -> str:
    with app.app_context():
        return db.session.get(User, who.user_id).account_id


def test_enrolment_stores_the_secret_sealed_and_the_codes_hashed(app: Flask, clock: None) -> None:
    who, secret, codes = enrolled(app)
    with app.app_context():
        factor = db.session.scalar(sa.select(SecondFactor))
        assert factor is not None and factor.user_id == who.user_id
        assert secret.encode() not in factor.secret_sealed
        digests = list(db.session.scalars(sa.select(RecoveryCode.code_digest)))
        assert len(digests) == 10
        assert not any(c in d or c.replace("-", "") in d for c in codes for d in digests)
    assert "user:second-factor:enrol" in audit_tags(app, account_id(app, who))


def test_enrolment_refuses_a_wrong_code_and_keeps_the_offered_secret(app: Flask,
                                                                     clock: None) -> None:
    who = create_person(app, "agency_admin")
    c = app.test_client()
    login(c, who.email)
    first = SECRET_RE.search(c.get("/account/second-factor").get_data(as_text=True))
    again = SECRET_RE.search(c.get("/account/second-factor").get_data(as_text=True))
    assert first and again and first.group(1) == again.group(1)  # a reload keeps what was scanned
    secret = first.group(1).replace(" ", "")
    wrong = f"{(int(pyotp.TOTP(secret).at(T0)) + 1) % 1_000_000:06d}"
    r = c.post("/account/second-factor", data={
        "code": wrong, "csrf_token": csrf_token(c, "/account/second-factor")})
    assert r.status_code == 400
    assert "动态口令不正确" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0


def test_login_asks_for_the_code_and_is_not_logged_in_before(app: Flask, clock: None) -> None:
    who, secret, _ = enrolled(app)
    c = app.test_client()
    password_step(c, who, "/account/password")
    # the password alone opens nothing
    r = c.get("/dashboard")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    with timeutil.frozen(T0 + timedelta(seconds=30)):
        r = code_step(c, pyotp.TOTP(secret).at(timeutil.now()))
        assert r.status_code == 302 and r.headers["Location"].endswith("/account/password")
        assert c.get("/dashboard").status_code == 200


def test_a_wrong_code_is_refused_audited_and_the_session_stays_out(app: Flask,
                                                                    clock: None) -> None:
    who, secret, _ = enrolled(app)
    c = app.test_client()
    password_step(c, who)
    right = pyotp.TOTP(secret).at(T0 + timedelta(seconds=30))
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    with timeutil.frozen(T0 + timedelta(seconds=30)):
        r = code_step(c, wrong)
        assert r.status_code == 400
        assert "动态口令或恢复码不正确" in r.get_data(as_text=True)
        assert c.get("/dashboard").status_code == 302
        assert code_step(c, "").status_code == 400
    assert audit_tags(app, account_id(app, who)).count("user:second-factor:fail") == 1


def test_a_code_is_accepted_once(app: Flask, clock: None) -> None:
    who, secret, _ = enrolled(app)
    later = T0 + timedelta(seconds=60)
    with timeutil.frozen(later):
        code = pyotp.TOTP(secret).at(later)
        first = app.test_client()
        password_step(first, who)
        assert code_step(first, code).status_code == 302
        # someone who saw it over the shoulder, within the same half minute
        second = app.test_client()
        password_step(second, who)
        assert code_step(second, code).status_code == 400
        # the previous step's code (within drift) is older than the one used: refused too
        assert code_step(second, pyotp.TOTP(secret).at(later - timedelta(seconds=30))) \
            .status_code == 400
    with timeutil.frozen(later + timedelta(seconds=30)):
        assert code_step(second, pyotp.TOTP(secret).at(timeutil.now())).status_code == 302


def test_the_code_of_enrolment_cannot_log_in(app: Flask, clock: None) -> None:
    who, secret, _ = enrolled(app)
    c = app.test_client()
    password_step(c, who)
    assert code_step(c, pyotp.TOTP(secret).at(T0)).status_code == 400


def test_one_step_of_clock_drift_is_accepted(app: Flask, clock: None) -> None:
    who, secret, _ = enrolled(app)
    with timeutil.frozen(T0 + timedelta(minutes=5)):
        c = app.test_client()
        password_step(c, who)
        behind = pyotp.TOTP(secret).at(timeutil.now() - timedelta(seconds=30))
        assert code_step(c, behind).status_code == 302
        c = app.test_client()
        password_step(c, who)
        two_ahead = pyotp.TOTP(secret).at(timeutil.now() + timedelta(seconds=60))
        assert code_step(c, two_ahead).status_code == 400


def test_a_recovery_code_works_once(app: Flask, clock: None) -> None:
    who, _, codes = enrolled(app)
    c = app.test_client()
    password_step(c, who)
    r = code_step(c, codes[0].lower().replace("-", " "))
    assert r.status_code == 302
    assert "还剩 9 个" in c.get(r.headers["Location"]).get_data(as_text=True)
    c = app.test_client()
    password_step(c, who)
    assert code_step(c, codes[0]).status_code == 400
    assert code_step(c, codes[1]).status_code == 302
    tags = audit_tags(app, account_id(app, who))
    assert tags.count("user:second-factor:recovery-code") == 2
    assert tags.count("user:second-factor:fail") == 1
    page = c.get("/account/second-factor").get_data(as_text=True)
    assert 'data-test="recovery-left">8<' in page


def test_the_second_step_expires(app: Flask, clock: None) -> None:
    who, secret, _ = enrolled(app)
    c = app.test_client()
    password_step(c, who)
    token = csrf_token(c, "/login/code")
    with timeutil.frozen(T0 + timedelta(minutes=6)):
        r = c.post("/login/code", data={"code": pyotp.TOTP(secret).at(timeutil.now()),
                                        "csrf_token": token})
        assert r.status_code == 302 and r.headers["Location"].endswith("/login")
        assert c.get("/dashboard").status_code == 302
    assert app.test_client().get("/login/code").status_code == 302  # nothing pending


def test_wrong_codes_are_throttled(tmp_path: Path) -> None:
    app = make_app(tmp_path, RATELIMIT_ENABLED=True, LOGIN_LIMIT="3 per 5 minutes",
                   LOGIN_IP_LIMIT="1000 per 5 minutes")
    with timeutil.frozen(T0):
        who, secret, _ = enrolled(app)
        c = app.test_client()
        password_step(c, who)
        for _ in range(3):
            assert code_step(c, "000000").status_code == 400
        # the budget is spent: even the right code waits (and the refusal is audited)
        r = code_step(c, pyotp.TOTP(secret).at(timeutil.now() + timedelta(seconds=30)))
        assert r.status_code == 429
        assert "尝试次数过多" in r.get_data(as_text=True)
        tags = audit_tags(app, account_id(app, who))
        assert tags.count("user:second-factor:fail") == 4
        # another browser with the password does not get a fresh budget
        other = app.test_client()
        password_step(other, who)
        assert code_step(other, "123456").status_code == 429


def test_the_password_step_still_refuses_a_wrong_password(app: Flask, clock: None) -> None:
    who, _, _ = enrolled(app)
    c = app.test_client()
    r = c.post("/login", data={"email": who.email, "password": "wrong-password-1",
                               "csrf_token": csrf_token(c)})
    assert r.status_code == 400
    assert c.get("/login/code").status_code == 302


# --- the roles that must have one ------------------------------------------------------------


def test_a_required_role_without_one_can_only_enrol(required_app: Flask, clock: None) -> None:
    operator = create_person(required_app, "operator")
    c = required_app.test_client()
    r = login(c, operator.email)
    assert r.status_code == 302
    for path in ("/dashboard", "/operator/accounts", "/account/password", "/"):
        r = c.get(path)
        assert r.status_code == 302 and r.headers["Location"].endswith("/account/second-factor"), path
    # posting elsewhere is stopped too, before the view runs
    r = c.post("/operator/accounts", data={
        "organisation": "x", "email": "a@b.cn", "role": "operator",
        "csrf_token": csrf_token(c, "/account/second-factor")})
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/second-factor")
    page = c.get("/account/second-factor").get_data(as_text=True)
    assert 'data-test="second-factor-required"' in page
    enrol(c)
    assert c.get("/operator/accounts").status_code == 200
    # and from now on the login asks for the code
    again = required_app.test_client()
    password_step(again, operator)


def test_a_required_role_can_still_log_out(required_app: Flask) -> None:
    regulator = create_person(required_app, "regulator")
    c = required_app.test_client()
    login(c, regulator.email)
    r = c.post("/logout", data={"csrf_token": csrf_token(c, "/account/second-factor")})
    assert r.status_code == 302
    assert c.get("/account/second-factor").status_code == 302  # logged out: to the login


def test_roles_not_listed_are_not_asked(required_app: Flask) -> None:
    owner = create_person(required_app, "owner_admin")
    c = required_app.test_client()
    login(c, owner.email)
    assert c.get("/dashboard").status_code == 200
    with required_app.app_context():
        user = db.session.get(User, owner.user_id)
        assert not second_factor.required_for(user)


def test_a_role_gained_later_sends_to_enrolment(required_app: Flask) -> None:
    """Someone logged in as an owner who becomes an operator too is held at once."""
    owner = create_person(required_app, "owner_admin")
    c = required_app.test_client()
    login(c, owner.email)
    assert c.get("/dashboard").status_code == 200
    operator = create_person(required_app, "operator")
    with required_app.app_context():
        from market.accounts import operations as ops
        from market.accounts.models import Organisation, Role

        user = db.session.get(User, owner.user_id)
        ops.add_membership(user, db.session.get(Organisation, operator.org_id), Role.OPERATOR)
        db.session.commit()
    r = c.get("/dashboard")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/second-factor")


def test_an_oidc_login_is_not_held_for_a_code(required_app: Flask) -> None:
    """The provider authenticated the person: no code, no enrolment gate (a deployment listing
    an owner role would otherwise lock OpenID Connect users out)."""
    with required_app.app_context():
        required_app.config["SECOND_FACTOR_ROLES"] = "owner_admin"
    owner = create_person(required_app, "owner_admin")
    c = required_app.test_client()
    login(c, owner.email)
    assert c.get("/dashboard").status_code == 302  # a password login is held
    with c.session_transaction() as s:
        s["login_method"] = "oidc"  # what views_oidc's log_in leaves
    assert c.get("/dashboard").status_code == 200
