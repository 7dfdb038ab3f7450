"""OpenID Connect login for owners and agencies (统一身份认证), beside the password.

authlib's Flask client does the protocol (discovery, the authorization code with PKCE, the ID
token's signature, nonce and audience, the userinfo call).  What is ours: the organisation is
found by the unified social credit code (统一社会信用代码) in the claim the deployment names
(``OIDC_CREDIT_CODE_CLAIM``), and the person by their (issuer, subject):

* linked before: that account;
* else a member of that organisation with the provider's verified e-mail address: linked now;
* else, when no account holds that address, a new account as the organisation's least role
  (采购受托人 / 经办人), which its administrator may raise;
* an unknown credit code, an organisation that is neither an owner nor an agency, a disabled
  account, or an address held by someone outside the organisation: refused, nothing stored.

Off (the routes answer 404, the login page shows no button) unless issuer, client id and
secret are configured (market.config).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from authlib.integrations.flask_client import OAuth
from flask import Flask, current_app

from market import timeutil
from market.accounts import audit
from market.accounts.models import Membership, OidcIdentity, Organisation, OrgKind, Role, User
from market.accounts.operations import add_membership, create_user, normalise_email
from market.db import db
from market.domain.codes import normalise_credit_code
from market.i18n import N_
from market.refusal import Refused

_EXTENSION = "market.oidc"
# Least role a new person gets in each kind of organisation that may log in this way.
_FIRST_ROLE = {OrgKind.OWNER.value: Role.OWNER_DELEGATE, OrgKind.AGENCY.value: Role.AGENCY_STAFF}
_TIMEOUT_SECONDS = 10


class OidcRefused(Refused):
    """The provider's answer does not let this person in; ``message`` says why, for them."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message)
        self.field = None
        self.message = message
        self.params = params


def enabled(app: Flask | None = None) -> bool:
    app = app or current_app
    return _EXTENSION in app.extensions


def init_app(app: Flask) -> None:
    """Register the provider with authlib when the config names one (a registry per app:
    the tests run several apps against several providers)."""
    if not (app.config.get("OIDC_ISSUER") and app.config.get("OIDC_CLIENT_ID")
            and app.config.get("OIDC_CLIENT_SECRET")):
        return
    oauth = OAuth()
    oauth.init_app(app)
    issuer = str(app.config["OIDC_ISSUER"]).rstrip("/")
    oauth.register(
        "provider",
        client_id=app.config["OIDC_CLIENT_ID"],
        client_secret=app.config["OIDC_CLIENT_SECRET"],
        server_metadata_url=f"{issuer}/.well-known/openid-configuration",
        client_kwargs={"scope": str(app.config["OIDC_SCOPES"]),
                       "code_challenge_method": "S256",
                       "default_timeout": _TIMEOUT_SECONDS},
    )
    app.extensions[_EXTENSION] = oauth


def client() -> Any:
    return current_app.extensions[_EXTENSION].provider


@dataclass(frozen=True)
class Claims:
    issuer: str
    subject: str
    credit_code: str
    email: str | None
    name: str


def claims_of(id_token: dict[str, Any], userinfo: dict[str, Any]) -> Claims:
    """The claims we use, from the ID token and the userinfo answer (the same subject: a
    userinfo of another person is refused)."""
    subject = str(id_token.get("sub") or "")
    if userinfo.get("sub") not in (None, subject):
        raise OidcRefused(N_("统一身份认证返回的信息不一致，请重新登录。"))
    merged = {**userinfo, **id_token}
    claim = str(current_app.config["OIDC_CREDIT_CODE_CLAIM"])
    code = merged.get(claim)
    verified = merged.get("email_verified") in (True, "true")
    email = normalise_email(str(merged["email"])) if merged.get("email") and verified else None
    return Claims(issuer=str(id_token.get("iss") or ""), subject=subject,
                  credit_code=normalise_credit_code(code) if isinstance(code, str) else "",
                  email=email, name=str(merged.get("name") or "")[:100])


def user_for(claims: Claims) -> User:
    """The account the provider's person logs in as (see the module for the rules).  Called by
    the login callback once authlib has checked the provider's answer; may link an identity or
    create an account with its membership, audited."""
    if not claims.subject or not claims.issuer:
        raise OidcRefused(N_("统一身份认证未返回用户标识，请重新登录。"))
    if not claims.credit_code:
        raise OidcRefused(N_("统一身份认证未提供单位的统一社会信用代码，无法确定您所代表的单位。"))
    org = db.session.scalar(sa.select(Organisation).where(
        Organisation.credit_code == claims.credit_code))
    if org is None or org.kind not in _FIRST_ROLE:
        raise OidcRefused(N_("统一社会信用代码为 %(code)s 的单位尚未在本平台注册为项目业主或中介机构。"
                             "请先注册单位，或联系平台运营方。"), code=claims.credit_code)
    now = timeutil.now()
    identity = db.session.scalar(sa.select(OidcIdentity).where(
        OidcIdentity.issuer == claims.issuer, OidcIdentity.subject == claims.subject))
    if identity is not None:
        linked: User = identity.user
        _check_member(linked, org)
        _check_active(linked)
        identity.last_login_at = now
        return linked
    user: User | None = None
    if claims.email:
        user = db.session.scalar(sa.select(User).where(User.email == claims.email))
    if user is not None:
        _check_member(user, org)
        _check_active(user)
        audit.record("oidc:identity:link", user.account_id,
                     {"issuer": claims.issuer, "organisation": org.public_id},
                     user_id=user.id, organisation_id=org.id)
    else:
        if not claims.email:
            raise OidcRefused(N_("统一身份认证未提供已验证的邮箱，无法为您开设账户。"))
        user = create_user(claims.name or claims.email, claims.email,
                           secrets.token_urlsafe(32))  # no password: this login only
        add_membership(user, org, _FIRST_ROLE[org.kind])
        audit.record("oidc:user:create", user.account_id,
                     {"issuer": claims.issuer, "organisation": org.public_id,
                      "role": _FIRST_ROLE[org.kind].value},
                     user_id=user.id, organisation_id=org.id)
    db.session.add(OidcIdentity(issuer=claims.issuer, subject=claims.subject, user_id=user.id,
                                created_at=now, last_login_at=now))
    db.session.flush()
    found: User = user
    return found


def _check_member(user: User, org: Organisation) -> None:
    member = db.session.scalar(sa.select(Membership.id).where(
        Membership.user_id == user.id, Membership.organisation_id == org.id))
    if member is None:
        raise OidcRefused(N_("您的账户不是%(org)s的成员。请联系该单位的管理员邀请您，或用密码登录。"),
                          org=org.name)


def _check_active(user: User) -> None:
    if not user.active:
        raise OidcRefused(N_("该账户已停用。"))
