"""The operator resets a person's second factor (重置动态口令): a confirmation page, a reason,
the audit trail, the person's sessions ended and enrolment again; their tenant only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask

from market.accounts import tenants
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, RecoveryCode, SecondFactor, UserSession
from market.db import db
from tests.conftest import create_person, csrf_token, login
from tests.support.second_factor import (
    enrol,
    enrolled,
    password_step,
)


def operator_client(app: Flask):  # type: ignore[no-untyped-def]
    operator = create_person(app, "operator")
    c = app.test_client()
    assert login(c, operator.email).status_code == 302
    return operator, c


def test_reset_asks_for_confirmation_and_a_reason(app: Flask, clock: None) -> None:
    who, _, _ = enrolled(app)
    _, c = operator_client(app)
    listing = c.get(f"/operator/accounts?q={who.email}").get_data(as_text=True)
    assert 'data-test="has-second-factor"' in listing
    assert f'/operator/accounts/{who.user_id}/second-factor' in listing
    page = c.get(f"/operator/accounts/{who.user_id}/second-factor")
    assert page.status_code == 200 and 'data-test="reset-form"' in page.get_data(as_text=True)
    token = csrf_token(c, f"/operator/accounts/{who.user_id}/second-factor")
    r = c.post(f"/operator/accounts/{who.user_id}/second-factor",
               data={"reason": "   ", "csrf_token": token})
    assert r.status_code == 400 and "请填写此项" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 1


def test_reset_removes_the_factor_ends_sessions_and_is_audited(app: Flask, clock: None) -> None:
    who, _, _ = enrolled(app)
    person_client = app.test_client()
    password_step(person_client, who)  # waiting at the second step
    _, c = operator_client(app)
    token = csrf_token(c, f"/operator/accounts/{who.user_id}/second-factor")
    r = c.post(f"/operator/accounts/{who.user_id}/second-factor",
               data={"reason": "本人来电，手机丢失，已核实身份", "csrf_token": token})
    assert r.status_code == 302
    assert "已重置" in c.get(r.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(RecoveryCode.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id)).where(
            UserSession.user_id == who.user_id)) == 0
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:second-factor:reset"))
        assert event is not None and event.details["reason"] == "本人来电，手机丢失，已核实身份"
    # the person logs in with the password alone now, and may enrol again
    again = app.test_client()
    assert login(again, who.email).headers["Location"].endswith("/dashboard")
    enrol(again)
    # a second reset of nothing: the page says so and a post changes nothing
    page = c.get(f"/operator/accounts/{who.user_id}/second-factor").get_data(as_text=True)
    assert 'data-test="reset-form"' in page  # enrolled again, so resettable again


def test_a_required_role_enrols_again_after_a_reset(required_app: Flask, clock: None) -> None:
    regulator = create_person(required_app, "regulator")
    c = required_app.test_client()
    login(c, regulator.email)
    enrol(c)
    operator = create_person(required_app, "operator")
    oc = required_app.test_client()
    login(oc, operator.email)
    enrol(oc)
    token = csrf_token(oc, f"/operator/accounts/{regulator.user_id}/second-factor")
    r = oc.post(f"/operator/accounts/{regulator.user_id}/second-factor",
                data={"reason": "换手机", "csrf_token": token})
    assert r.status_code == 302
    assert c.get("/dashboard").status_code == 302  # their session ended
    fresh = required_app.test_client()
    assert login(fresh, regulator.email).status_code == 302
    r = fresh.get("/dashboard")
    assert r.status_code == 302 and r.headers["Location"].endswith("/account/second-factor")


def test_no_reset_of_ones_own_factor(app: Flask, clock: None) -> None:
    operator = create_person(app, "operator")
    c = app.test_client()
    login(c, operator.email)
    enrol(c)
    token = csrf_token(c, f"/operator/accounts/{operator.user_id}/second-factor")
    r = c.post(f"/operator/accounts/{operator.user_id}/second-factor",
               data={"reason": "试试", "csrf_token": token})
    assert r.status_code == 400 and "不能重置自己的动态口令" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 1


def test_nothing_to_reset(app: Flask) -> None:
    owner = create_person(app, "owner_admin")
    _, c = operator_client(app)
    page = c.get(f"/operator/accounts/{owner.user_id}/second-factor").get_data(as_text=True)
    assert "无需重置" in page and 'data-test="reset-form"' not in page
    r = c.post(f"/operator/accounts/{owner.user_id}/second-factor",
               data={"reason": "x", "csrf_token": csrf_token(c, "/operator/accounts")})
    assert r.status_code == 400


def test_another_tenants_operator_gets_404(app: Flask, clock: None) -> None:
    who, _, _ = enrolled(app)
    operator = create_person(app, "operator")
    with app.app_context():
        other = tenants.add("539800", "云岭市", tenant=True)
        db.session.get(Organisation, operator.org_id).tenant_id = other.id
        db.session.commit()
    c = app.test_client()
    login(c, operator.email)
    assert c.get(f"/operator/accounts/{who.user_id}/second-factor").status_code == 404
    token = csrf_token(c, "/operator/accounts")
    r = c.post(f"/operator/accounts/{who.user_id}/second-factor",
               data={"reason": "越权", "csrf_token": token})
    assert r.status_code == 404
    assert c.get("/operator/accounts/999999/second-factor").status_code == 404
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SecondFactor.id))) == 1


@pytest.mark.parametrize("role", ["owner_admin", "agency_admin", "regulator",
                                  "department_staff"])
def test_only_operators_reset(app: Flask, role: str, clock: None) -> None:
    who, _, _ = enrolled(app)
    other = create_person(app, role)
    c = app.test_client()
    login(c, other.email)
    assert c.get(f"/operator/accounts/{who.user_id}/second-factor").status_code == 403


def test_search_takes_underscores_and_percents_literally(any_app: Flask) -> None:
    """The reset redirects to the list searched by the person's e-mail address, which may hold
    an underscore: it must find them, and a _ or % must not match any character."""
    from market.accounts import administration

    people = [create_person(any_app, "owner_admin") for _ in range(2)]
    with any_app.app_context():
        from market.accounts.models import User

        operator_tenant = tenants.home_tenant().id

        db.session.get(User, people[0].user_id).email = "li_ming@example.cn"
        db.session.get(User, people[1].user_id).email = "lixming@example.cn"
        db.session.commit()
        found = administration.users("li_ming@example.cn", tenant_id=operator_tenant)
        assert [u.email for u in found.users] == ["li_ming@example.cn"]
        assert administration.users("%", tenant_id=operator_tenant).total == 0
