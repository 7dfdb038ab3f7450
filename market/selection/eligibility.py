"""Facts for the pure eligibility rule (market.domain.eligibility), read from the database."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa
from flask import current_app

from market import timeutil
from market.accounts.models import Organisation, OrgStatus
from market.agencies import relations
from market.agencies.models import Listing, Practitioner, Qualification, ReviewStatus
from market.catalogue.models import ServiceType
from market.credit.sanctions import sanctions_for, sanctions_for_many
from market.db import db
from market.domain.eligibility import (
    AgencyFacts,
    Certificate,
    PractitionerCert,
    Reason,
    RequestFacts,
    Sanction,
    ineligibility,
)
from market.i18n import N_
from market.selection.models import Award, AwardState, Bid, SelectionRequest, SignUp

REASON_TEXT = {
    Reason.NOT_ADMITTED: N_("尚未入驻或入驻未通过审核"),
    Reason.SERVICE_NOT_LISTED: N_("未发布该服务事项的收费标准和承诺时限"),
    Reason.QUALIFICATION_MISSING: N_("没有公告要求的资质"),
    Reason.QUALIFICATION_EXPIRED: N_("公告要求的资质在报名截止日已过期"),
    Reason.QUALIFICATION_LEVEL: N_("资质等级低于公告要求"),
    Reason.PRACTITIONERS_MISSING: N_("执业人员数量不满足公告要求"),
    Reason.AVOIDED: N_("在本公告的回避名单中"),
    Reason.SANCTIONED: N_("处于监管处罚期内"),
    Reason.OWNER_ITSELF: N_("即项目业主本身"),
    Reason.RELATED: N_("与项目业主存在关联关系"),
    Reason.RELATED_PARTICIPANT: N_("与已参与本项目的中介机构存在关联关系"),
    Reason.REPEAT_WINS: N_("在本业主的中选次数已达轮换上限"),
}


def sanctions_of(org_id: int, tenant: int | None = None) -> tuple[Sanction, ...]:
    """Active and past sanctions, from the regulator's sanctions (处罚), that reach
    ``tenant`` (a local sanction bars only in its own)."""
    return tuple(sanctions_for(org_id, tenant))


def agency_facts(org: Organisation, tenant: int | None = None) -> AgencyFacts:
    listed = set(db.session.scalars(
        sa.select(ServiceType.code).join(Listing, Listing.service_type_id == ServiceType.id)
        .where(Listing.organisation_id == org.id)))
    quals = tuple(Certificate(q.qualification_type, q.level, q.valid_from, q.valid_until)
                  for q in db.session.scalars(sa.select(Qualification).where(
                      Qualification.organisation_id == org.id,
                      Qualification.status == ReviewStatus.APPROVED.value)))
    pracs = tuple(PractitionerCert(p.certificate_type, p.valid_until)
                  for p in db.session.scalars(sa.select(Practitioner).where(
                      Practitioner.organisation_id == org.id,
                      Practitioner.status == ReviewStatus.APPROVED.value)))
    return AgencyFacts(org.id, org.public_id, org.credit_code,
                       org.status == OrgStatus.ADMITTED.value, frozenset(listed), quals, pracs,
                       sanctions_of(org.id, tenant),
                       frozenset(relations.related_ids([org.id]).get(org.id, set())),
                       _wins_by_owner([org.id]).get(org.id, {}))


def agency_facts_many(orgs: list[Organisation], tenant: int | None = None
                      ) -> dict[int, AgencyFacts]:
    """The same facts for many agencies in four queries per 900 (the close of a big request)."""
    ids = [o.id for o in orgs]
    sanctions: dict[int, list[Sanction]] = {}
    listed: dict[int, set[str]] = {i: set() for i in ids}
    quals: dict[int, list[Certificate]] = {i: [] for i in ids}
    pracs: dict[int, list[PractitionerCert]] = {i: [] for i in ids}
    for chunk in (ids[i:i + 900] for i in range(0, len(ids), 900)):  # SQLite's variable limit
        for org_id, code in db.session.execute(
                sa.select(Listing.organisation_id, ServiceType.code)
                .join(ServiceType, Listing.service_type_id == ServiceType.id)
                .where(Listing.organisation_id.in_(chunk))):
            listed[org_id].add(code)
        for q in db.session.scalars(sa.select(Qualification).where(
                Qualification.organisation_id.in_(chunk),
                Qualification.status == ReviewStatus.APPROVED.value)):
            quals[q.organisation_id].append(
                Certificate(q.qualification_type, q.level, q.valid_from, q.valid_until))
        for p in db.session.scalars(sa.select(Practitioner).where(
                Practitioner.organisation_id.in_(chunk),
                Practitioner.status == ReviewStatus.APPROVED.value)):
            pracs[p.organisation_id].append(PractitionerCert(p.certificate_type, p.valid_until))
        sanctions.update(sanctions_for_many(chunk, tenant))
    related = relations.related_ids(ids)
    wins = _wins_by_owner(ids)
    return {o.id: AgencyFacts(o.id, o.public_id, o.credit_code,
                              o.status == OrgStatus.ADMITTED.value, frozenset(listed[o.id]),
                              tuple(quals[o.id]), tuple(pracs[o.id]), tuple(sanctions[o.id]),
                              frozenset(related.get(o.id, set())), wins.get(o.id, {}))
            for o in orgs}


def _wins_by_owner(org_ids: list[int]) -> dict[int, dict[int, int]]:
    """Agency id -> owner id -> how often that owner's requests selected it (中选: offered or
    confirmed, not declined or voided) within the rotation period ending now; nothing read
    when the rotation limit is off."""
    if int(current_app.config.get("REPEAT_WIN_LIMIT", 0)) <= 0:
        return {}
    since = timeutil.now() - timedelta(days=int(current_app.config.get("REPEAT_WIN_DAYS", 365)))
    out: dict[int, dict[int, int]] = {}
    for chunk in (org_ids[i:i + 900] for i in range(0, len(org_ids), 900)):
        for agency, owner, n in db.session.execute(
                sa.select(Award.agency_org_id, SelectionRequest.owner_org_id, sa.func.count())
                .join(SelectionRequest, SelectionRequest.id == Award.request_id)
                .where(Award.agency_org_id.in_(chunk), Award.offered_at >= since,
                       Award.state.in_([AwardState.OFFERED.value, AwardState.CONFIRMED.value]))
                .group_by(Award.agency_org_id, SelectionRequest.owner_org_id)):
            out.setdefault(agency, {})[owner] = n
    return out


def request_facts(request: SelectionRequest,
                  taking_part: frozenset[int] | None = None) -> RequestFacts:
    """What eligibility asks of ``request``; ``taking_part``: its :func:`participants`, when
    the caller read them for many requests at once."""
    return RequestFacts(
        service_code=request.service_type.code, owner_org_id=request.owner_org_id,
        owner_credit_code=request.owner.credit_code,
        qualification_type=request.qualification_type,
        qualification_level=request.qualification_level,
        practitioners=dict(request.practitioners or {}),
        avoid=frozenset(a.agency.public_id for a in request.avoid),
        participants=participants(request) if taking_part is None else taking_part,
        repeat_win_limit=int(current_app.config.get("REPEAT_WIN_LIMIT", 0)))


def participants(request: SelectionRequest) -> frozenset[int]:
    """The agencies taking part in ``request``: signed up and not withdrawn, or quoted."""
    return participants_many([request])[request.id]


def reasons(org: Organisation, request: SelectionRequest, on: date) -> list[Reason]:
    """Why ``org`` may not sign up for ``request`` on ``on`` (none: it may)."""
    return reasons_many(org, [request], on)[request.id]


def participants_many(requests: list[SelectionRequest]) -> dict[int, frozenset[int]]:
    """{request id: :func:`participants`} in two statements."""
    ids = [r.id for r in requests]
    found: dict[int, set[int]] = {i: set() for i in ids}
    if ids:
        for request_id, agency in db.session.execute(
                sa.select(SignUp.request_id, SignUp.agency_org_id).where(
                    SignUp.request_id.in_(ids), SignUp.withdrawn_at.is_(None))):
            found[request_id].add(agency)
        for request_id, agency in db.session.execute(
                sa.select(Bid.request_id, Bid.agency_org_id).where(Bid.request_id.in_(ids))):
            found[request_id].add(agency)
    return {i: frozenset(agencies) for i, agencies in found.items()}


def reasons_many(org: Organisation, requests: list[SelectionRequest], on: date
                 ) -> dict[int, list[Reason]]:
    """{request id: :func:`reasons`} for one agency and many requests: the agency's facts
    read once per tenant (a sanction counts in its own tenant only), the requests'
    participants at once (their avoid lists: load them with the requests)."""
    facts: dict[int | None, AgencyFacts] = {}
    taking_part = participants_many(requests)
    out = {}
    for request in requests:
        if request.tenant_id not in facts:
            facts[request.tenant_id] = agency_facts(org, request.tenant_id)
        out[request.id] = ineligibility(facts[request.tenant_id],
                                        request_facts(request, taking_part[request.id]), on)
    return out


def eligible_agencies(wanted: RequestFacts, on: date, tenant: int | None) -> list[Organisation]:
    """The admitted agencies that could sign up for a request asking ``wanted`` on ``on``: the
    very rule sign-up and the close apply (:func:`market.domain.eligibility.ineligibility`),
    over the agencies that list the service (no other agency can pass it)."""
    return eligible_on(wanted, [on], tenant)[on]


def eligible_on(wanted: RequestFacts, days: list[date], tenant: int | None
                ) -> dict[date, list[Organisation]]:
    """:func:`eligible_agencies` on several days, reading the agencies' facts once; a local
    sanction counts only in its own ``tenant`` (the request's)."""
    orgs = list(db.session.scalars(
        sa.select(Organisation).join(Listing, Listing.organisation_id == Organisation.id)
        .join(ServiceType, ServiceType.id == Listing.service_type_id)
        .where(ServiceType.code == wanted.service_code,
               Organisation.status == OrgStatus.ADMITTED.value)
        .distinct().order_by(Organisation.id)))
    facts = agency_facts_many(orgs, tenant)
    return {day: [o for o in orgs if not ineligibility(facts[o.id], wanted, day)]
            for day in days}


def off_catalogue(request: SelectionRequest) -> list[str]:
    """Requirements the catalogue does not list for the request's service (older free-text
    requirements): no agency can hold them, so nobody can sign up."""
    service = request.service_type
    gaps = []
    if request.qualification_type and request.qualification_type not in (
            service.qualification_types or []):
        gaps.append(request.qualification_type)
    gaps += [k for k in (request.practitioners or {}) if k not in (service.practitioner_types or [])]
    return gaps
