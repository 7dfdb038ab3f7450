"""Owner activation (业主单位核验): a self-registered owner is checked by the operator before
it may publish.

Until then its people can log in, see where it stands, register projects and draft requests;
publishing (采购公告) waits.  The operator activates it, or refuses it with a reason the
applicant sees on the dashboard and in a reminder (e-mailed by ``flask clocks tick`` when SMTP
is configured).  A refusal gives up the name and the credit code, so a registration in a
department's name cannot keep the real department out; the refused applicant may correct the
details and apply again.
"""

from __future__ import annotations

import sqlalchemy as sa

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Membership, Organisation, OrgKind, OrgStatus, Role, User
from market.accounts.operations import (
    AccountError,
    check_credit_code,
    check_organisation_name,
    unique_write,
)
from market.db import db
from market.i18n import N_

REASON_MAX = 500


def may_publish(org: Organisation) -> bool:
    """Whether ``org`` may publish a selection request: an owner only once activated."""
    return org.kind != OrgKind.OWNER.value or org.status == OrgStatus.ACTIVE.value


def pending_owners(tenant_id: int | None = None) -> list[tuple[Organisation, User | None]]:
    """The operator's queue (of ``tenant_id``'s owners when given), oldest first, each with
    the administrator who registered it."""
    orgs = db.session.scalars(sa.select(Organisation).where(
        Organisation.tenant_id == tenant_id if tenant_id is not None else sa.true(),
        Organisation.kind == OrgKind.OWNER.value,
        Organisation.status == OrgStatus.PENDING.value).order_by(Organisation.id)).all()
    return [(org, _applicant(org)) for org in orgs]


def refused_owners(limit: int = 50, tenant_id: int | None = None
                   ) -> list[tuple[Organisation, User | None]]:
    orgs = db.session.scalars(sa.select(Organisation).where(
        Organisation.tenant_id == tenant_id if tenant_id is not None else sa.true(),
        Organisation.kind == OrgKind.OWNER.value,
        Organisation.status == OrgStatus.REJECTED.value).order_by(
        Organisation.id.desc()).limit(limit)).all()
    return [(org, _applicant(org)) for org in orgs]


def _applicant(org: Organisation) -> User | None:
    return db.session.scalar(sa.select(User).join(Membership).where(
        Membership.organisation_id == org.id, Membership.role == Role.OWNER_ADMIN.value)
        .order_by(Membership.id).limit(1))


def find_owner(public_id: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(
        Organisation.public_id == public_id, Organisation.kind == OrgKind.OWNER.value))


def _pending(org: Organisation) -> None:
    if org.status != OrgStatus.PENDING.value:
        raise AccountError(None, N_("该单位不在待核验状态，可能已由其他运营人员处理。"))


def activate_owner(org: Organisation) -> None:
    """The operator (运营人员) activates a pending owner: it may publish from now on."""
    _pending(org)
    org.status = OrgStatus.ACTIVE.value
    org.status_reason = None
    audit.record("operator:owner:activate", org.public_id, {"name": org.name})
    db.session.flush()
    events.send(events.OwnerActivated(at=timeutil.now(), organisation_id=org.id,
                                      organisation_public_id=org.public_id))


def refuse_owner(org: Organisation, reason: str) -> None:
    """The operator refuses a pending owner with a reason the applicant sees.  The name and
    the credit code are given up (kept in the audit event) so that whoever really holds them
    can register; a natural person's identity number is given up and erased."""
    _pending(org)
    reason = " ".join(reason.split())
    if not reason:
        raise AccountError("reason", N_("请写明不予激活的理由，申请人会看到。"))
    if len(reason) > REASON_MAX:
        raise AccountError("reason", N_("理由不超过 500 字。"))
    audit.record("operator:owner:refuse", org.public_id,
                 {"name": org.name, "credit_code": org.credit_code, "reason": reason})
    org.status = OrgStatus.REJECTED.value
    org.status_reason = reason
    org.name_key = None
    org.credit_code = None
    # a natural person's number is given up too (whoever really holds it may register; the
    # person types it again to re-apply: market.accounts.persons.reapply_person), and not
    # kept at all:
    # what a refusal leaves need not hold it (《个人信息保护法》第四十七条: deleted once the
    # purpose is achieved or cannot be achieved)
    org.id_number_digest = None
    org.id_number_sealed = None
    db.session.flush()
    events.send(events.OwnerRefused(at=timeutil.now(), organisation_id=org.id,
                                    organisation_public_id=org.public_id, reason=reason))


def reapply(org: Organisation, *, name: str, credit_code: str, region: str) -> None:
    """The administrator (采购管理人) of a refused owner corrects its details and asks to be
    checked again; the organisation is pending once more."""
    if org.kind != OrgKind.OWNER.value or org.status != OrgStatus.REJECTED.value:
        raise AccountError("org_name", N_("只有未通过核验的项目业主可以重新提交。"))
    checks = (lambda: check_organisation_name(name, exclude_id=org.id),
              lambda: check_credit_code(credit_code, exclude_id=org.id))
    shown, key = check_organisation_name(name, exclude_id=org.id)
    check_credit_code(credit_code, exclude_id=org.id)

    def write() -> None:
        org.name, org.name_key, org.credit_code = shown, key, credit_code
        org.region = region.strip() or org.region
        org.status = OrgStatus.PENDING.value
        db.session.flush()

    unique_write(write, *checks)
    audit.record("owner:organisation:reapply", org.public_id,
                 {"name": org.name, "credit_code": credit_code, "previous_reason":
                  org.status_reason})
    org.status_reason = None
