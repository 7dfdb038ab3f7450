"""The operator's account administration (账户管理): every organisation's people, disabling
and re-enabling an account, inviting a person into any organisation."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from market.accounts import audit, invitations, sessions
from market.accounts.models import (
    ROLES_BY_KIND,
    Invitation,
    Membership,
    Organisation,
    OrgKind,
    Role,
    User,
)
from market.accounts.operations import AccountError
from market.db import db
from market.i18n import N_

PER_PAGE = 25


@dataclass(frozen=True)
class Page:
    users: list[User]
    total: int
    page: int
    pages: int


def users(query: str = "", kind: str = "", page: int = 1, tenant_id: int | None = None) -> Page:
    """People in name or e-mail order, with ``query`` in their name, e-mail or one of their
    organisations' names, credit codes or public ids; ``kind`` keeps members of that kind of
    organisation only; ``tenant_id`` members of that tenant's organisations only."""
    q = sa.select(User)
    if tenant_id is not None:
        q = q.where(User.id.in_(sa.select(Membership.user_id).join(Organisation)
                                .where(Organisation.tenant_id == tenant_id)))
    text = query.strip()[:100]
    if text or kind:
        member = sa.select(Membership.user_id).join(Organisation)
        if kind:
            member = member.where(Organisation.kind == kind)
        if text:
            # % and _ are searched for as themselves (e-mail addresses hold underscores)
            like = "%" + text.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
            in_org = member.where(sa.or_(Organisation.name.ilike(like, escape="/"),
                                         Organisation.public_id.ilike(like, escape="/"),
                                         Organisation.credit_code.ilike(like, escape="/")))
            q = q.where(sa.or_(User.name.ilike(like, escape="/"),
                               User.email.ilike(like, escape="/"), User.id.in_(in_org)))
            if kind:
                q = q.where(User.id.in_(member))
        else:
            q = q.where(User.id.in_(member))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(q.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(page, 1), pages)
    rows = list(db.session.scalars(q.order_by(User.name, User.id)
                                   .offset((page - 1) * PER_PAGE).limit(PER_PAGE)))
    return Page(rows, total, page, pages)


def _active_operators() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(User.id))).join(Membership)
        .where(Membership.role == Role.OPERATOR.value, User.active.is_(True))) or 0


def set_active(user: User, active: bool, *, by: User) -> None:
    """Operators only: disable an account (停用: it cannot log in, its sessions end at once)
    or enable it again (启用).  Refuses disabling oneself and the last active operator, so
    the platform always keeps someone who can enable accounts."""
    if user.active == active:
        return
    if not active:
        if user.id == by.id:
            raise AccountError(None, N_("不能停用自己的账户。"))
        is_operator = db.session.scalar(sa.select(Membership.id).where(
            Membership.user_id == user.id, Membership.role == Role.OPERATOR.value).limit(1))
        if is_operator is not None and _active_operators() <= 1:
            raise AccountError(None, N_("这是最后一个可用的运营账户，不能停用。"))
        sessions.end_all(user)
    user.active = active
    audit.record("operator:user:enable" if active else "operator:user:disable",
                 user.account_id, {"email": user.email})


def in_tenant(user: User, tenant_id: int) -> bool:
    """Whether ``user`` is a member of an organisation of ``tenant_id`` (whose operator may
    then manage the account)."""
    return db.session.scalar(sa.select(Membership.id).join(Organisation).where(
        Membership.user_id == user.id, Organisation.tenant_id == tenant_id).limit(1)) is not None


def organisation_for_invitation(reference: str, tenant_id: int | None = None) -> Organisation:
    """The organisation an operator names by its public id (OW-…, AG-…) or credit code; of
    ``tenant_id`` only when given (another tenant's is not found)."""
    text = reference.strip().upper()
    org = db.session.scalars(sa.select(Organisation).where(sa.or_(
        Organisation.public_id == text, Organisation.credit_code == text)).limit(1)).first()
    if org is None or (tenant_id is not None and org.tenant_id != tenant_id):
        raise AccountError("organisation", N_("找不到这个单位：请填写单位编号或统一社会信用代码。"))
    return org


def invite(reference: str, *, email: str, role: str, by: User,
           tenant_id: int | None = None) -> Invitation:
    """Operators only: invite an address into any organisation of their tenant
    (``tenant_id``), in one of that kind's roles (an operator invites further operators into
    the operator's own organisation the same way).  The person joins only by accepting, as
    with every invitation."""
    org = organisation_for_invitation(reference, tenant_id)
    try:
        wanted = Role(role)
    except ValueError:
        raise AccountError("role", N_("请选择角色。")) from None
    if wanted not in ROLES_BY_KIND[OrgKind(org.kind)]:
        raise AccountError("role", N_("该角色不属于此类单位。"))
    return invitations.invite(org, email=email, role=wanted, inviter=by)
