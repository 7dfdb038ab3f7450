"""Membership by invitation (成员邀请).

An organisation's administrator invites an e-mail address to a role; the operator invites
regulators the same way.  Nobody joins an organisation without agreeing: the invitation waits
until the person holding that address accepts it, logged in with that address or creating
their account from the invitation's link.  The administrator's answer is the same whether or
not the address has an account, and shows only the address they typed until it is accepted —
the form cannot be used to find out who has an account or what they are called.

The link carries the invitation's id and a random nonce, signed with the secret key; it is
shown to the inviter (to pass on) and, with SMTP configured, e-mailed to the address.
"""

from __future__ import annotations

import logging
import secrets
import smtplib
from datetime import timedelta
from hmac import compare_digest

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from market import timeutil
from market.accounts import audit
from market.accounts.models import (
    ROLES_BY_KIND,
    Invitation,
    InvitationState,
    Membership,
    Organisation,
    OrgKind,
    RegulatorKind,
    Role,
    User,
)
from market.accounts.operations import (
    AccountError,
    add_membership,
    check_new_email,
    create_user,
    normalise_email,
    regulator_organisation,
    unique_write,
)
from market.db import db
from market.i18n import N_
from market.mail import send_email

log = logging.getLogger("market.accounts")

INVITATION_DAYS = 7
ADMIN_ROLES = frozenset({Role.OWNER_ADMIN.value, Role.AGENCY_ADMIN.value})
# A person who supervises or runs the platform does not also work for a party it supervises.
_PARTY_ROLES = frozenset(r.value for k in (OrgKind.OWNER, OrgKind.AGENCY) for r in ROLES_BY_KIND[k])
# A department's staff decide the parties' applications: the same separation.
_OVERSIGHT_ROLES = frozenset({Role.REGULATOR.value, Role.OPERATOR.value,
                              Role.DEPARTMENT_STAFF.value})


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="market/invitation")


def token_for(invitation: Invitation) -> str:
    return _serializer().dumps([invitation.id, invitation.nonce])


def from_token(token: str) -> Invitation | None:
    """The invitation a link names, or None for a forged, altered or unknown link."""
    if len(token) > 200:
        return None
    try:
        value = _serializer().loads(token)
    except BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and isinstance(value[0], int)
            and isinstance(value[1], str)):
        return None
    invitation = db.session.get(Invitation, value[0])
    if invitation is None or not compare_digest(invitation.nonce, value[1]):
        return None
    return invitation


def is_open(invitation: Invitation) -> bool:
    return (invitation.state == InvitationState.PENDING.value
            and invitation.expires_at > timeutil.now())


def pending_for_organisation(org: Organisation) -> list[Invitation]:
    return list(db.session.scalars(sa.select(Invitation).where(
        Invitation.organisation_id == org.id,
        Invitation.state == InvitationState.PENDING.value).order_by(Invitation.id)))


def pending_for_kind(kind: OrgKind) -> list[Invitation]:
    return list(db.session.scalars(sa.select(Invitation).join(Organisation).where(
        Organisation.kind == kind.value,
        Invitation.state == InvitationState.PENDING.value).order_by(Invitation.id)))


def pending_for_user(user: User) -> list[Invitation]:
    """Open invitations to the address of ``user``'s account (shown on their dashboard)."""
    return list(db.session.scalars(_PENDING_FOR_USER, {"email": user.email,
                                                       "now": timeutil.now()}))


# Read on every dashboard: built once (building it cost more than running it)
_PENDING_FOR_USER = sa.select(Invitation).where(
    Invitation.email == sa.bindparam("email", type_=Invitation.email.type),
    Invitation.state == InvitationState.PENDING.value,
    Invitation.expires_at > sa.bindparam("now", type_=Invitation.expires_at.type)).order_by(
    Invitation.id)


def invite(org: Organisation, *, email: str, role: Role, inviter: User) -> Invitation:
    """An administrator of ``org`` (or the operator, for a regulator organisation) invites an
    address to ``role``.  Refuses a role of another kind of organisation, an address that is
    already a member, and a second open invitation to the same address."""
    if role not in ROLES_BY_KIND[OrgKind(org.kind)]:
        raise AccountError("role", N_("该角色不属于此类单位。"))
    email = normalise_email(email)
    member = db.session.scalar(sa.select(Membership.id).join(User).where(
        Membership.organisation_id == org.id, User.email == email))
    if member is not None:
        raise AccountError("email", N_("此人已是本单位成员。"))
    if any(i.email == email and is_open(i) for i in pending_for_organisation(org)):
        raise AccountError("email", N_("已向该邮箱发出邀请，尚未答复。如需重发，请先撤回。"))
    now = timeutil.now()
    invitation = Invitation(
        organisation_id=org.id, email=email, role=role.value,
        state=InvitationState.PENDING.value, nonce=secrets.token_urlsafe(16),
        invited_by_id=inviter.id, created_at=now,
        expires_at=now + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    audit.record("organisation:invitation:create", f"invitation:{invitation.id}",
                 {"organisation": org.public_id, "email": email, "role": role.value},
                 organisation_id=org.id)
    return invitation


def invite_regulator(*, org_name: str, email: str, inviter: User, tenant_id: int | None = None,
                     kind: RegulatorKind | None = None) -> Invitation:
    """The operator (运营人员) invites an address to be a regulator of the named regulator
    organisation of the operator's tenant, which is created there (of ``kind``) when missing.
    Refuses a name held by another tenant's regulator."""
    org = regulator_organisation(org_name, tenant_id=tenant_id, kind=kind)
    return invite(org, email=email, role=Role.REGULATOR, inviter=inviter)


def _check_answerable(invitation: Invitation, user: User) -> None:
    if not is_open(invitation):
        raise AccountError("invitation", N_("此邀请已失效。"))
    if user.email != invitation.email:
        raise AccountError("invitation", N_("此邀请不是发给您当前账户的。"))


def accept(invitation: Invitation, user: User) -> Membership:
    """The person the invitation was sent to accepts it, logged in with that address: they
    take the role.  Refused when it is no longer open, when it is addressed to someone else,
    and when the role would mix oversight (regulator, operator) with a party it oversees."""
    _check_answerable(invitation, user)
    held = {m.role for m in user.memberships}
    if (invitation.role in _PARTY_ROLES and held & _OVERSIGHT_ROLES) or (
            invitation.role in _OVERSIGHT_ROLES and held & _PARTY_ROLES):
        raise AccountError("invitation", N_(
            "监管、运营或审批部门的账户不能同时是项目业主或中介机构的成员，请用另一个邮箱的账户接受。"))
    membership = add_membership(user, invitation.organisation, Role(invitation.role))
    invitation.state = InvitationState.ACCEPTED.value
    invitation.decided_at = timeutil.now()
    invitation.user_id = user.id
    audit.record("user:invitation:accept", f"invitation:{invitation.id}",
                 {"organisation": invitation.organisation.public_id, "role": invitation.role},
                 user_id=user.id, organisation_id=invitation.organisation_id)
    return membership


def decline(invitation: Invitation, user: User) -> None:
    """The person the invitation was sent to declines it."""
    _check_answerable(invitation, user)
    invitation.state = InvitationState.DECLINED.value
    invitation.decided_at = timeutil.now()
    audit.record("user:invitation:decline", f"invitation:{invitation.id}",
                 {"organisation": invitation.organisation.public_id}, user_id=user.id,
                 organisation_id=invitation.organisation_id)


def create_account_and_accept(invitation: Invitation, *, name: str, password: str,
                              phone: str | None = None) -> User:
    """Whoever holds the link of an open invitation to an address without an account creates
    that account and accepts.  Refuses an address that has an account (log in instead)."""
    if not is_open(invitation):
        raise AccountError("invitation", N_("此邀请已失效。"))
    email = invitation.email

    def check() -> None:
        try:
            check_new_email(email)
        except AccountError:
            raise AccountError("password", N_("该邮箱已有账户，请登录后接受邀请。")) from None

    check()
    user = unique_write(lambda: create_user(name, email, password, phone), check)
    audit.record("user:account:register", user.account_id,
                 {"invitation": invitation.id}, user_id=user.id)
    accept(invitation, user)
    return user


def revoke(invitation: Invitation) -> None:
    """The inviting side withdraws an invitation that has not been answered."""
    if invitation.state != InvitationState.PENDING.value:
        raise AccountError("invitation", N_("此邀请已答复，无法撤回。"))
    invitation.state = InvitationState.REVOKED.value
    invitation.decided_at = timeutil.now()
    audit.record("organisation:invitation:revoke", f"invitation:{invitation.id}",
                 {"organisation": invitation.organisation.public_id,
                  "email": invitation.email}, organisation_id=invitation.organisation_id)


def remove_member(org: Organisation, membership: Membership, *, by: User) -> None:
    """An administrator of ``org`` removes a member: the person keeps their account but no
    longer acts for ``org``.  Not oneself, and never the last administrator."""
    if membership.organisation_id != org.id:
        raise AccountError("member", N_("此人不是本单位成员。"))
    if membership.user_id == by.id:
        raise AccountError("member", N_("不能移除自己。"))
    if membership.role in ADMIN_ROLES:
        admins = db.session.scalar(sa.select(sa.func.count(Membership.id)).where(
            Membership.organisation_id == org.id, Membership.role == membership.role))
        if (admins or 0) <= 1:
            raise AccountError("member", N_("不能移除本单位唯一的管理人。"))
    audit.record("organisation:membership:remove", membership.user.account_id,
                 {"organisation": org.public_id, "role": membership.role},
                 organisation_id=org.id)
    db.session.delete(membership)
    db.session.flush()


def send_invitation_email(invitation_id: int, link: str) -> None:
    """E-mail the link to the invited address, when SMTP is configured.  Runs after the
    request committed; a failure is logged and the inviter still has the link to pass on."""
    if not current_app.config.get("SMTP_HOST"):
        return
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        return
    org = invitation.organisation
    site = current_app.config["SITE_NAME"]
    body = (f"{org.name} 邀请您以「{ROLE_WORDS.get(invitation.role, invitation.role)}」"
            f"身份加入{site}。\n\n接受或谢绝：{link}\n\n"
            f"邀请 {INVITATION_DAYS} 天内有效。如不认识该单位，请忽略本邮件：不接受就不会加入。")
    try:
        send_email([invitation.email], f"【{site}】{org.name} 邀请您加入", body)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("invitation %s not e-mailed: %s", invitation.id, error)


# For the e-mail, which has no locale of its own (reminders are in Chinese too).
ROLE_WORDS = {
    Role.OWNER_ADMIN.value: "采购管理人", Role.OWNER_DELEGATE.value: "采购受托人",
    Role.AGENCY_ADMIN.value: "业务授权人", Role.AGENCY_STAFF.value: "经办人",
    Role.REGULATOR.value: "监管人员", Role.OPERATOR.value: "运营人员",
    Role.DEPARTMENT_STAFF.value: "部门工作人员",
}
