"""OpenID Connect login (统一身份认证) against a real provider on loopback (npm's
oidc-provider): the organisation comes from the credit-code claim, the person from their
subject; an unknown credit code, a missing one, someone outside the organisation and a
disabled account are refused with nothing stored; off when not configured."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts import operations as ops
from market.accounts.audit import AuditEvent
from market.accounts.models import Membership, OidcIdentity, Organisation, OrgKind, User
from market.config import ConfigError
from market.db import db
from market.domain.codes import make_credit_code
from tests.conftest import create_person, make_app
from tests.support import oidc

OWNER_CODE = make_credit_code("91539900MA9000001")
AGENCY_CODE = make_credit_code("91539900MA9000002")
UNKNOWN_CODE = make_credit_code("91539900MA9000003")
CALLBACK = "http://localhost/login/oidc/callback"
ACCOUNTS = {
    "new.person": {"email": "new.person@oidc.example.cn", "name": "王新",
                   "credit_code": OWNER_CODE.lower()},
    "member": {"email": "member@oidc.example.cn", "name": "李成员", "credit_code": OWNER_CODE},
    "agency.person": {"email": "agency.person@oidc.example.cn", "name": "赵经办",
                      "credit_code": AGENCY_CODE},
    "unknown": {"email": "unknown@oidc.example.cn", "name": "钱未知",
                "credit_code": UNKNOWN_CODE},
    "no.code": {"email": "no.code@oidc.example.cn", "name": "孙无码"},
    "outsider": {"email": "outsider@oidc.example.cn", "name": "周外人",
                 "credit_code": AGENCY_CODE},
}


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    with oidc.provider([CALLBACK], ACCOUNTS, claim="uscc") as found:
        yield found


@pytest.fixture
def oidc_app(tmp_path: Path, issuer: str) -> Iterator[Flask]:
    app = make_app(tmp_path, **oidc.app_config(issuer))
    with app.app_context():
        ops.create_organisation(OrgKind.OWNER, "云川市城投公司", credit_code=OWNER_CODE)
        ops.create_organisation(OrgKind.AGENCY, "云川环评咨询公司", credit_code=AGENCY_CODE)
        db.session.commit()
    yield app


def org_id(app: Flask, code: str) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(Organisation.id).where(
            Organisation.credit_code == code)))


def log_in_with(c: FlaskClient, login: str) -> tuple[int, str, str]:
    """Through the provider; (status of the callback, its Location, its page)."""
    start = c.get("/login/oidc?next=/dashboard")
    assert start.status_code == 302, start.get_data(as_text=True)
    back = oidc.sign_in(start.headers["Location"], login, CALLBACK)
    parts = urlsplit(back)
    r = c.get(f"{parts.path}?{parts.query}")
    return r.status_code, r.headers.get("Location", ""), r.get_data(as_text=True)


def counts(app: Flask) -> tuple[int, ...]:
    with app.app_context():
        return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(t)) or 0
                     for t in (User, Membership, OidcIdentity, AuditEvent))


def test_a_new_person_of_a_registered_owner_gets_the_least_role(oidc_app: Flask) -> None:
    c = oidc_app.test_client()
    status, location, _ = log_in_with(c, "new.person")
    assert status == 302 and location.endswith("/dashboard")
    assert "王新" in c.get("/dashboard").get_data(as_text=True)
    with oidc_app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "new.person@oidc.example.cn"))
        assert [(m.organisation.credit_code, m.role) for m in user.memberships] == [
            (OWNER_CODE, "owner_delegate")]
        identity = db.session.scalar(sa.select(OidcIdentity))
        assert identity.user_id == user.id and identity.subject == "new.person"
        assert db.session.scalar(sa.select(AuditEvent.id).where(
            AuditEvent.tag == "oidc:user:create")) is not None
    # the second time: the same account, nothing new
    before = counts(oidc_app)
    status, location, _ = log_in_with(oidc_app.test_client(), "new.person")
    assert status == 302 and counts(oidc_app)[:3] == before[:3]


def test_a_member_is_linked_by_the_verified_address_and_keeps_their_role(
        oidc_app: Flask) -> None:
    owner = org_id(oidc_app, OWNER_CODE)
    admin = create_person(oidc_app, "owner_admin", org_id=owner)
    with oidc_app.app_context():
        db.session.get(User, admin.user_id).email = "member@oidc.example.cn"
        db.session.commit()
    c = oidc_app.test_client()
    assert log_in_with(c, "member")[0] == 302
    with oidc_app.app_context():
        identity = db.session.scalar(sa.select(OidcIdentity))
        assert identity.user_id == admin.user_id
        roles = db.session.scalars(sa.select(Membership.role).where(
            Membership.user_id == admin.user_id)).all()
        assert roles == ["owner_admin"]
    assert c.get("/org/members").status_code == 200  # the administrator's page


def test_an_agency_person_logs_in_to_the_agency(oidc_app: Flask) -> None:
    c = oidc_app.test_client()
    assert log_in_with(c, "agency.person")[0] == 302
    with oidc_app.app_context():
        user = db.session.scalar(sa.select(User).where(
            User.email == "agency.person@oidc.example.cn"))
        assert [(m.organisation_id, m.role) for m in user.memberships] == [
            (org_id(oidc_app, AGENCY_CODE), "agency_staff")]


@pytest.mark.parametrize(("login", "words", "status"), [
    ("unknown", f"统一社会信用代码为 {UNKNOWN_CODE} 的单位尚未在本平台注册", 403),
    ("no.code", "未提供单位的统一社会信用代码", 403),
    ("outsider", "不是云川环评咨询公司的成员", 403),
])
def test_refusals_are_clear_and_store_nothing(oidc_app: Flask, login: str, words: str,
                                              status: int) -> None:
    if login == "outsider":  # the address belongs to a regulator, not to the agency
        regulator = create_person(oidc_app, "regulator")
        with oidc_app.app_context():
            db.session.get(User, regulator.user_id).email = "outsider@oidc.example.cn"
            db.session.commit()
    before = counts(oidc_app)
    c = oidc_app.test_client()
    answer, _, page = log_in_with(c, login)
    assert answer == status and words in page
    assert counts(oidc_app) == before
    assert c.get("/dashboard").status_code == 302  # not logged in


def test_a_disabled_account_is_refused(oidc_app: Flask) -> None:
    c = oidc_app.test_client()
    assert log_in_with(c, "new.person")[0] == 302
    with oidc_app.app_context():
        db.session.scalar(sa.select(User).where(
            User.email == "new.person@oidc.example.cn")).active = False
        db.session.commit()
    before = counts(oidc_app)
    status, _, page = log_in_with(oidc_app.test_client(), "new.person")
    assert status == 403 and "该账户已停用" in page and counts(oidc_app) == before


def test_a_forged_callback_is_refused(oidc_app: Flask) -> None:
    c = oidc_app.test_client()
    before = counts(oidc_app)
    r = c.get("/login/oidc/callback?code=made-up&state=made-up")
    assert r.status_code == 400 and "统一身份认证未完成" in r.get_data(as_text=True)
    assert c.get("/login/oidc/callback?error=access_denied").status_code == 400
    assert counts(oidc_app) == before


def test_the_login_page_offers_it_only_when_configured(oidc_app: Flask, app: Flask) -> None:
    assert 'data-test="oidc-login"' in oidc_app.test_client().get("/login").get_data(
        as_text=True)
    plain = app.test_client()
    assert 'data-test="oidc-login"' not in plain.get("/login").get_data(as_text=True)
    assert plain.get("/login/oidc").status_code == 404
    assert plain.get("/login/oidc/callback?code=x&state=y").status_code == 404


def test_an_incomplete_or_insecure_configuration_stops_start_up(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="MARKET_OIDC_CLIENT_SECRET"):
        make_app(tmp_path, OIDC_ISSUER="https://id.example.cn", OIDC_CLIENT_ID="x")
    with pytest.raises(ConfigError, match="must include openid"):
        make_app(tmp_path, OIDC_ISSUER="https://id.example.cn", OIDC_CLIENT_ID="x",
                 OIDC_CLIENT_SECRET="y", OIDC_SCOPES="email")
    (tmp_path / "instance").mkdir(exist_ok=True)
    (tmp_path / "instance" / "oidc_client_secret").write_text("from-the-instance-folder\n")
    app = make_app(tmp_path, OIDC_ISSUER="https://id.example.cn", OIDC_CLIENT_ID="x")
    assert app.config["OIDC_CLIENT_SECRET"] == "from-the-instance-folder"


def test_the_claim_name_is_the_configured_one(tmp_path: Path, issuer: str) -> None:
    """The provider sends the code as "uscc"; a deployment that names another claim finds no
    credit code in it."""
    app = make_app(tmp_path, **oidc.app_config(issuer, OIDC_CREDIT_CODE_CLAIM="tyshxydm"))
    with app.app_context():
        ops.create_organisation(OrgKind.OWNER, "云川市城投公司", credit_code=OWNER_CODE)
        db.session.commit()
    before = counts(app)
    status, _, page = log_in_with(app.test_client(), "new.person")
    assert status == 403 and "未提供单位的统一社会信用代码" in page and counts(app) == before


def test_production_wants_an_https_issuer(tmp_path: Path) -> None:
    from market.config import production_problems

    problems = production_problems({"OIDC_ISSUER": "http://id.example.cn"}, str(tmp_path))
    assert any("MARKET_OIDC_ISSUER must be an https://" in p for p in problems)
    problems = production_problems({"OIDC_ISSUER": "https://id.example.cn"}, str(tmp_path))
    assert not any("OIDC" in p for p in problems)


def test_the_provider_authenticates_no_code_is_asked(oidc_app: Flask) -> None:
    """An OpenID Connect login is not asked for a one-time code (动态口令), nor held by the
    roles that must have one: the identity provider authenticated the person.  The same
    person's password login is held by that rule."""
    from market import crypto, timeutil
    from market.accounts.models import SecondFactor
    from market.domain import totp
    from tests.conftest import csrf_token

    oidc_app.config["SECOND_FACTOR_ROLES"] = "owner_admin"
    admin = create_person(oidc_app, "owner_admin", org_id=org_id(oidc_app, OWNER_CODE))
    with oidc_app.app_context():
        user = db.session.get(User, admin.user_id)
        user.email = "member@oidc.example.cn"
        db.session.add(SecondFactor(user_id=user.id, last_step=0, enrolled_at=timeutil.now(),
                                    secret_sealed=crypto.seal("second-factor-secret",
                                                              user.account_id,
                                                              totp.new_secret().encode())))
        db.session.commit()
    c = oidc_app.test_client()
    status, location, _ = log_in_with(c, "member")
    assert status == 302 and location.endswith("/dashboard")
    assert c.get("/org/members").status_code == 200
    # without a second factor, a required role logged in through the provider is not held
    with oidc_app.app_context():
        db.session.execute(sa.delete(SecondFactor))
        db.session.commit()
    c = oidc_app.test_client()
    assert log_in_with(c, "member")[0] == 302
    assert c.get("/org/members").status_code == 200
    # the password login of a required role without one is held at the enrolment page
    p = oidc_app.test_client()
    r = p.post("/login", data={"email": "member@oidc.example.cn", "password": admin.password,
                               "csrf_token": csrf_token(p)})
    assert r.status_code == 302
    held = p.get("/org/members")
    assert held.status_code == 302 and held.headers["Location"].endswith("/account/second-factor")
