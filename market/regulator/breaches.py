"""Owners' breaches (业主失信记录): a regulator records that an owner broke its side of a
contract — fees unpaid past the contract's term (逾期未支付服务费) or another breach — with
its evidence.  The record is public on the owner's page and counted in the monthly report."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, User
from market.db import db
from market.engagements.models import Engagement
from market.i18n import N_
from market.regulator.errors import RuleError
from market.regulator.models import BreachKind, OwnerBreach
from market.storage import Upload

KIND_LABELS = {BreachKind.UNPAID_FEES.value: N_("逾期未支付服务费"),
               BreachKind.OTHER.value: N_("其他违约行为")}
FIRST_DAY = date(2000, 1, 1)


def owner_by_public_id(public_id: str) -> Organisation | None:
    """The owner with this public id (OW-000123), or None (also for other kinds)."""
    org = db.session.scalar(sa.select(Organisation).where(
        Organisation.public_id == (public_id or "").strip().upper()))
    return org if org is not None and org.kind == OrgKind.OWNER.value else None


def check(owner: Organisation | None, kind: str, engagement_id: str, occurred_on: date | None,
          facts: str, evidence: str) -> tuple[Organisation, Engagement | None, date]:
    """What :func:`record` refuses, checked before the evidence file is stored."""
    if owner is None or owner.kind != OrgKind.OWNER.value:
        raise RuleError("owner", N_("没有找到该业主单位，请填写业主编号（如 OW-000001）。"))
    if kind not in KIND_LABELS:
        raise RuleError("kind", N_("请选择失信行为类型。"))
    engagement = None
    code = (engagement_id or "").strip().upper()
    if code:
        engagement = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == code))
        if engagement is None or engagement.owner_org_id != owner.id:
            raise RuleError("engagement", N_("没有找到该业主的这个委托。"))
    elif kind == BreachKind.UNPAID_FEES.value:
        raise RuleError("engagement", N_("逾期未支付服务费须填写所涉委托编号。"))
    today = timeutil.today_local()
    if occurred_on is None:
        raise RuleError("occurred_on", N_("请填写发生日期。"))
    if not FIRST_DAY <= occurred_on <= today:
        raise RuleError("occurred_on", N_("发生日期应在 %(first)s 至今天之间。"),
                        first=FIRST_DAY.isoformat())
    if len(facts.strip()) < 10:
        raise RuleError("facts", N_("请写明失信事实（至少 10 个字）。"))
    if len(facts.strip()) > 2000:
        raise RuleError("facts", N_("不能超过 %(n)s 字。"), n=2000)
    if len(evidence.strip()) < 4:
        raise RuleError("evidence", N_("请写明证据名称和文号。"))
    if len(evidence.strip()) > 1000:
        raise RuleError("evidence", N_("不能超过 %(n)s 字。"), n=1000)
    return owner, engagement, occurred_on


def record(owner: Organisation | None, kind: str, engagement_id: str, occurred_on: date | None,
           facts: str, evidence: str, upload: Upload | None, by: User,
           regulator: Organisation | None) -> OwnerBreach:
    """A regulator records an owner's breach with its evidence (a description and a stored
    file).  Refuses (nothing stored) an unknown owner, an unknown kind, an engagement that is
    not the owner's (required for unpaid fees), a date in the future or before 2000, facts
    under 10 characters and a missing evidence description or file."""
    owner, engagement, occurred_on = check(owner, kind, engagement_id, occurred_on, facts,
                                           evidence)
    if upload is None:
        raise RuleError("evidence_file", N_("请上传证据材料。"))
    row = OwnerBreach(public_id="", owner_org_id=owner.id,
                      engagement_id=engagement.id if engagement else None, kind=kind,
                      occurred_on=occurred_on, facts=facts.strip(), evidence=evidence.strip(),
                      evidence_upload_id=upload.id, recorded_at=timeutil.now(),
                      recorded_by_id=by.id, regulator_org_id=regulator.id if regulator else None)
    db.session.add(row)
    db.session.flush()
    row.public_id = f"SX-{row.id:06d}"
    audit.record("regulator:owner_breach:record", owner.public_id,
                 {"breach": row.public_id, "kind": kind,
                  "engagement": engagement.public_id if engagement else None,
                  "occurred_on": occurred_on.isoformat(), "evidence_sha256": upload.sha256})
    return row


def of_owner(owner_org_id: int) -> list[OwnerBreach]:
    """The owner's breaches, newest first (public)."""
    return list(db.session.scalars(sa.select(OwnerBreach).where(
        OwnerBreach.owner_org_id == owner_org_id).order_by(OwnerBreach.occurred_on.desc(),
                                                           OwnerBreach.id.desc())))


def listing() -> list[OwnerBreach]:
    return list(db.session.scalars(sa.select(OwnerBreach).order_by(
        OwnerBreach.recorded_at.desc(), OwnerBreach.id.desc())))
