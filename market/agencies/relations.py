"""Relations between agencies and other units (关联关系), and what they keep apart.

An agency declares its relations (申报: same legal representative, a controlling shareholder
or manager, parent or subsidiary, a shared telephone or office); the operator and regulators
record more.  Related agencies may not both take part in one request, and an agency related to
a project's owner may not take part in its requests (market.domain.eligibility).  Agencies whose
admission applications share a legal representative or a telephone number and that no relation
links yet are flagged to the regulators (疑似关联), who may record the relation.

Who may call: :func:`declare` an agency's administrator, for its own organisation;
:func:`record` the operator or a regulator, for any admitted or applying agency.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, User
from market.agencies.models import (
    AdmissionApplication,
    AgencyRelation,
    RelationKind,
    RelationSource,
    ReviewStatus,
)
from market.agencies.operations import CREDIT_CODE_MESSAGES, AgencyError
from market.db import db
from market.domain.codes import normalise_credit_code, validate_credit_code
from market.i18n import N_

KIND_WORDS = {
    RelationKind.LEGAL_REPRESENTATIVE: N_("法定代表人为同一人"),
    RelationKind.CONTROLLING: N_("存在控股或管理关系"),
    RelationKind.PARENT_SUBSIDIARY: N_("母子公司或同一母公司的子公司"),
    RelationKind.SHARED_CONTACT: N_("联系电话或办公地址相同"),
    RelationKind.OTHER: N_("其他关联关系"),
}


def _checked_code(raw: str) -> str:
    code = normalise_credit_code(raw)
    error = validate_credit_code(code)
    if error:
        raise AgencyError("other_credit_code", CREDIT_CODE_MESSAGES.get(
            error, CREDIT_CODE_MESSAGES["check_digit"]))
    return code


def _add(org: Organisation, user: User, raw_code: str, other_name: str, kind: str, note: str,
         source: RelationSource) -> AgencyRelation:
    code = _checked_code(raw_code)
    if kind not in {k.value for k in RelationKind}:
        raise AgencyError("kind", N_("请选择关联关系的类型。"))
    if code == (org.credit_code or ""):
        raise AgencyError("other_credit_code", N_("不能与本单位自身建立关联关系。"))
    name = other_name.strip()
    known = db.session.scalar(sa.select(Organisation).where(Organisation.credit_code == code))
    if not name and known is None:
        raise AgencyError("other_name", N_("该单位尚未在平台注册，请填写其名称。"))
    if not name and known is not None:
        name = known.name
    row = AgencyRelation(
        organisation_id=org.id, other_credit_code=code, other_name=name[:200],
        kind=kind, source=source.value, note=note.strip()[:500],
        recorded_at=timeutil.now(), recorded_by_id=user.id)
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        raise AgencyError("other_credit_code", N_("已登记过与该单位的这类关联关系。")) from None
    audit.record(f"{source.value}:relation:add", org.public_id, {
        "other": code, "kind": kind}, user_id=user.id)
    return row


def declare(org: Organisation, user: User, other_credit_code: str, other_name: str, kind: str,
            note: str) -> AgencyRelation:
    """An agency's administrator declares a relation of its own organisation (申报)."""
    if org.kind != OrgKind.AGENCY.value:
        raise AgencyError("", N_("只有中介机构申报关联关系。"))
    return _add(org, user, other_credit_code, other_name, kind, note, RelationSource.DECLARED)


def record(agency_ref: str, user: User, other_credit_code: str, other_name: str, kind: str,
           note: str, source: RelationSource) -> AgencyRelation:
    """The operator or a regulator records a relation of the agency ``agency_ref`` (its
    public id, AG-000012, or its credit code)."""
    ref = agency_ref.strip().upper()
    org = db.session.scalar(sa.select(Organisation).where(
        Organisation.kind == OrgKind.AGENCY.value,
        sa.or_(Organisation.public_id == ref, Organisation.credit_code == ref)))
    if org is None:
        raise AgencyError("agency", N_("没有这个中介机构：请填写机构编号（如 AG-000012）或统一社会信用代码。"))
    if not note.strip():
        raise AgencyError("note", N_("请写明依据（如工商登记信息、现场核查结果）。"))
    return _add(org, user, other_credit_code, other_name, kind, note, source)


def involving(org: Organisation) -> list[AgencyRelation]:
    """Every relation of ``org``, recorded by it or naming it, oldest first."""
    conditions = [AgencyRelation.organisation_id == org.id]
    if org.credit_code:
        conditions.append(AgencyRelation.other_credit_code == org.credit_code)
    return list(db.session.scalars(sa.select(AgencyRelation).where(sa.or_(*conditions))
                                   .order_by(AgencyRelation.id)))


def related_ids(org_ids: Iterable[int]) -> dict[int, set[int]]:
    """Organisation id -> the ids of the organisations on the platform related to it (both
    ways: the relations it recorded, and those that name its credit code)."""
    ids = list(org_ids)
    out: dict[int, set[int]] = defaultdict(set)
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):  # SQLite's variable limit
        other = aliased(Organisation)
        for mine, theirs in db.session.execute(
                sa.select(AgencyRelation.organisation_id, other.id)
                .join(other, other.credit_code == AgencyRelation.other_credit_code)
                .where(AgencyRelation.organisation_id.in_(chunk))):
            out[mine].add(theirs)
        named = aliased(Organisation)
        for mine, theirs in db.session.execute(
                sa.select(named.id, AgencyRelation.organisation_id)
                .join(AgencyRelation, AgencyRelation.other_credit_code == named.credit_code)
                .where(named.id.in_(chunk))):
            out[mine].add(theirs)
    return out


@dataclass(frozen=True)
class Suspected:
    """Two agencies whose applications share something, with no relation recorded (疑似关联)."""

    first: Organisation
    second: Organisation
    kind: RelationKind  # legal_representative or shared_contact
    shared: str  # the name or the telephone number they share


def _phone(raw: str) -> str:
    return re.sub(r"[^0-9]", "", raw)


def suspected() -> list[Suspected]:
    """Agencies whose latest admitted or pending application gives the same legal
    representative or the same telephone number, pairs already related left out."""
    latest: dict[int, AdmissionApplication] = {}
    for app in db.session.scalars(sa.select(AdmissionApplication).where(
            AdmissionApplication.status.in_([ReviewStatus.APPROVED.value,
                                             ReviewStatus.PENDING.value]))
            .order_by(AdmissionApplication.id)):
        latest[app.organisation_id] = app
    groups: dict[tuple[RelationKind, str], list[int]] = defaultdict(list)
    for org_id, app in latest.items():
        name = "".join(app.legal_representative.split())
        if name:
            groups[(RelationKind.LEGAL_REPRESENTATIVE, name)].append(org_id)
        phone = _phone(app.contact_phone)
        if len(phone) >= 7:
            groups[(RelationKind.SHARED_CONTACT, phone)].append(org_id)
    related = related_ids(latest)
    orgs = {o.id: o for o in db.session.scalars(sa.select(Organisation).where(
        Organisation.id.in_(list(latest))))} if latest else {}
    out = []
    for (kind, shared), members in sorted(groups.items(), key=lambda g: (g[0][0], g[0][1])):
        for i, a in enumerate(members):
            for b in members[i + 1:]:
                if b not in related.get(a, set()):
                    out.append(Suspected(orgs[a], orgs[b], kind, shared))
    return out


def all_relations(tenant_id: int | None = None) -> list[AgencyRelation]:
    """Every recorded relation (of the agencies admitted where ``tenant_id`` is, if given),
    newest first (at most the last 500)."""
    stmt = sa.select(AgencyRelation)
    if tenant_id is not None:
        stmt = stmt.where(AgencyRelation.organisation_id.in_(
            sa.select(Organisation.id).where(Organisation.tenant_id == tenant_id)))
    return list(db.session.scalars(stmt.order_by(AgencyRelation.id.desc()).limit(500)))
