"""Sanctions (处罚) issued by regulators: finding the agency, what a sanction will do, issuing it,
and ending its effect early by credit repair (信用修复).

The sanctions themselves, and what reads them, are the credit area's (:mod:`market.credit`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import sqlalchemy as sa

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, OrgKind, User
from market.accounts.scope import Act, Subject, covers
from market.agencies.scope import service_regulators
from market.credit import score as credit
from market.credit.models import Sanction, SanctionKind
from market.credit.sanctions import KIND_LABELS, all_sanctions, history
from market.db import db, lock_row
from market.domain.calendar import local_date
from market.domain.credit_formula import CreditScore, compute
from market.domain.credit_repair import Publication, publication
from market.i18n import N_
from market.regulator.errors import RuleError
from market.selection.models import RequestState, SelectionRequest, SignUp

# The calendar's years (market.calendar.schemas FIRST_DAY..LAST_DAY): a date outside them is
# a typing slip, and what the sanction does is judged against working days and closes in them.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
SEARCH_LIMIT = 20


def find_agencies(q: str, limit: int = SEARCH_LIMIT) -> list[Organisation]:
    """Agencies (any status) whose name contains ``q``, or whose credit code or public id
    starts with it (case-insensitive), by name; at most ``limit``."""
    q = q.strip()
    if not q:
        return []
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(db.session.scalars(
        sa.select(Organisation).where(
            Organisation.kind == OrgKind.AGENCY.value,
            sa.or_(Organisation.name.like(f"%{escaped}%", escape="\\"),
                   sa.func.upper(Organisation.credit_code).like(f"{escaped.upper()}%",
                                                                escape="\\"),
                   sa.func.upper(Organisation.public_id).like(f"{escaped.upper()}%",
                                                              escape="\\")))
        .order_by(Organisation.name, Organisation.id).limit(limit)))


def agency_by_public_id(public_id: str) -> Organisation | None:
    """The agency with this public id (AG-000123), or None (also for other kinds)."""
    org = db.session.scalar(sa.select(Organisation).where(
        Organisation.public_id == public_id.strip()))
    return org if org is not None and org.kind == OrgKind.AGENCY.value else None


@dataclass(frozen=True)
class AgencyRecord:
    """What a regulator sees of an agency before sanctioning it: its sanctions running today
    or later, how many have ended, and its credit score as it stands."""

    agency: Organisation
    running: list[Sanction]
    upcoming: list[Sanction]
    ended: int
    score: CreditScore


def record_of(agency: Organisation, today: date | None = None) -> AgencyRecord:
    today = today or timeutil.today_local()
    rows = history(agency.id)
    _inputs, score = credit.explain(agency.id)
    return AgencyRecord(agency, [s for s in rows if s.active_on(today)],
                        [s for s in rows if s.starts_on > today],
                        sum(1 for s in rows if s.ends_on < today), score)


@dataclass(frozen=True)
class Effect:
    """What issuing a sanction will do (shown before it is confirmed).

    ``timing``: ``running`` (in force from today), ``upcoming`` or ``ended`` (history only).
    ``score_now`` / ``score_while``: the credit score today, and while the sanction runs with
    everything else as today.  ``excluded``: the open requests the agency has signed up for
    whose sign-up closes inside the period, so the close will exclude it.  ``publication``:
    its class (轻微/一般/严重), the earliest day a repair may take effect and the end of its
    publication (:mod:`market.domain.credit_repair`)."""

    blocks_signup: bool
    timing: str
    score_now: int
    score_while: int
    excluded: list[SelectionRequest]
    publication: Publication


def _check(agency: Organisation | None, kind: str, reason: str, legal_basis: str,
           starts_on: date | None, ends_on: date | None) -> tuple[Organisation, date, date]:
    if agency is None or agency.kind != OrgKind.AGENCY.value:
        raise RuleError("agency", N_("请先搜索并选择要处罚的中介机构。"))
    if kind not in KIND_LABELS:
        raise RuleError("kind", N_("请选择处罚类型。"))
    if not reason.strip():
        raise RuleError("reason", N_("请填写处罚事由。"))
    if not legal_basis.strip():
        raise RuleError("legal_basis", N_("请填写处罚依据。"))
    if starts_on is None:
        raise RuleError("starts_on", N_("请填写开始日期。"))
    if ends_on is None:
        raise RuleError("ends_on", N_("请填写结束日期。"))
    for name, day in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise RuleError(name, N_("日期应在 %(first)s 至 %(last)s 之间。"),
                            first=FIRST_DAY.isoformat(), last=LAST_DAY.isoformat())
    if ends_on < starts_on:
        raise RuleError("ends_on", N_("结束日期不能早于开始日期。"))
    return agency, starts_on, ends_on


def preview(agency: Organisation | None, kind: str, reason: str, legal_basis: str,
            starts_on: date | None, ends_on: date | None) -> Effect:
    """A regulator, before issuing: check the sanction as :func:`issue` will and say what it
    will do.  Changes nothing; refuses (:class:`RuleError`) what :func:`issue` would refuse."""
    agency, starts_on, ends_on = _check(agency, kind, reason, legal_basis, starts_on, ends_on)
    today = timeutil.today_local()
    inputs = credit.inputs_for(agency.id, today)
    during = (replace(inputs, active_warnings=inputs.active_warnings + 1)
              if kind == SanctionKind.WARNING.value else
              replace(inputs, active_suspensions=inputs.active_suspensions + 1)
              if kind == SanctionKind.SUSPENSION.value else replace(inputs, blacklisted=True))
    blocks = kind != SanctionKind.WARNING.value
    excluded: list[SelectionRequest] = []
    if blocks:
        open_requests = db.session.scalars(
            sa.select(SelectionRequest).join(SignUp, SignUp.request_id == SelectionRequest.id)
            .where(SignUp.agency_org_id == agency.id, SignUp.withdrawn_at.is_(None),
                   SignUp.excluded_at.is_(None),
                   SelectionRequest.state == RequestState.OPEN.value)
            .order_by(SelectionRequest.signup_closes_at, SelectionRequest.id)).unique()
        excluded = [r for r in open_requests
                    if starts_on <= local_date(r.signup_closes_at) <= ends_on]
    timing = ("ended" if ends_on < today else "upcoming" if starts_on > today else "running")
    return Effect(blocks, timing, compute(inputs).score,
                  compute(during).score, excluded, publication(kind, starts_on))


def issue(agency: Organisation | None, kind: str, reason: str, legal_basis: str,
          starts_on: date | None, ends_on: date | None, by: User,
          regulator: Organisation | None, local: bool = False) -> Sanction:
    """A regulator whose scope covers the agency (market.accounts.scope, checked by the view)
    sanctions it (the console shows :func:`preview` first): province-wide, or ``local`` (本地
    处罚) to bar it only in the regulator's own tenant.  Refuses (nothing stored) a missing
    agency, kind, reason or legal basis, a date outside the calendar's years, an end before
    the start, and a local sanction from a regulator without a city or county (the
    province's).  Sends ``sanction.issued`` (the credit area recomputes the agency's score)."""
    agency, starts_on, ends_on = _check(agency, kind, reason, legal_basis, starts_on, ends_on)
    local_tenant = None
    if local:
        if regulator is None or not regulator.tenant.tenant:
            raise RuleError("local", N_("省级监管的处罚在全省有效，不能只在一地执行。"))
        local_tenant = regulator.tenant_id
    row = Sanction(agency_org_id=agency.id, kind=kind, reason=reason.strip(),
                   legal_basis=legal_basis.strip(), starts_on=starts_on, ends_on=ends_on,
                   issued_at=timeutil.now(), issued_by_id=by.id,
                   regulator_org_id=regulator.id if regulator else None,
                   local_tenant_id=local_tenant)
    db.session.add(row)
    db.session.flush()
    audit.record("regulator:sanction:issue", agency.public_id,
                 {"sanction": row.id, "kind": kind, "starts_on": starts_on.isoformat(),
                  "ends_on": ends_on.isoformat(), "local_tenant": local_tenant})
    events.send(events.SanctionIssued(at=row.issued_at, sanction_id=row.id,
                                      agency_org_id=agency.id, kind=kind))
    return row


def read_subject(row: Sanction) -> Subject:
    """A sanction as a regulator's list reads it: where it is in force.  A province-wide one
    bars the agency in every tenant, so it concerns every tenant's regulators whose scope
    covers the agency on the register (a centre's supervisor, an industry regulator of a
    service type the agency lists); a local one (本地处罚) only its tenant's."""
    return Subject(row.local_tenant_id, service_regulators(row.agency_org_id))


def listing(org: Organisation | None, kind: str | None = None) -> list[Sanction]:
    """The sanctions (of ``kind``) ``org``'s lists show, newest first (:func:`read_subject`:
    an industry regulator sees those of agencies listing a type it regulates, in force in
    its tenant; the province sees all)."""
    subjects: dict[tuple[int, int | None], Subject] = {}
    shown = []
    for row in all_sanctions(kind):
        key = (row.agency_org_id, row.local_tenant_id)
        if key not in subjects:
            subjects[key] = read_subject(row)
        if covers(org, subjects[key], Act.READ):
            shown.append(row)
    return shown


def sanction_subject(row: Sanction) -> Subject:
    """A sanction as scope reads it: its credit repair (信用修复) is for the tenant that issued
    it (its regulators, or the province); one issued before tenants, by nobody known, is the
    register's."""
    issuer = row.local_tenant_id or (row.regulator.tenant_id if row.regulator else None)
    return Subject(issuer, service_regulators(row.agency_org_id))


def repair(row: Sanction, repaired_on: date | None, decision: str, reason: str, by: User
           ) -> None:
    """A regulator records a credit repair (信用修复): its published decision (number and reason)
    ends the sanction's effect from ``repaired_on`` if it still runs then (the day before is
    its last day in force) and its publication (终止公示: the agency's page, the public lists
    and the API no longer show it), which may run past the sanction's end; the regulators'
    record keeps it, marked repaired.  Once per sanction.

    Refuses (nothing stored) a sanction already repaired or no longer published (its longest
    publication period has run), a date before today, on or after the end of its publication,
    or before the shortest publication period has run
    (:func:`market.domain.credit_repair.publication`), a missing decision number and a reason
    under 10 characters.  Recomputes the agency's credit score."""
    decision, reason = (decision or "").strip(), (reason or "").strip()
    today = timeutil.today_local()
    row = lock_row(Sanction, row.id)
    if row.repaired:
        raise RuleError("repaired_on", N_("该处罚已经信用修复。"))
    terms = row.publication
    if not row.published_on(today):
        raise RuleError("repaired_on", N_("该处罚已停止公示，无需信用修复。"))
    if repaired_on is None:
        raise RuleError("repaired_on", N_("请填写修复生效日期。"))
    if repaired_on < today:
        raise RuleError("repaired_on", N_("修复生效日期不能早于今天。"))
    if repaired_on >= terms.ends:
        raise RuleError("repaired_on", N_("修复生效日期不能晚于公示截止日期 %(d)s。"),
                        d=terms.last_day.isoformat())
    earliest = terms.earliest_repair
    if repaired_on < earliest:
        raise RuleError("repaired_on", N_("最短公示期届满后才能修复：不早于 %(d)s。"),
                        d=earliest.isoformat())
    if not decision:
        raise RuleError("decision", N_("请填写信用修复决定文号。"))
    if len(decision) > 200:
        raise RuleError("decision", N_("不能超过 %(n)s 字。"), n=200)
    if len(reason) < 10:
        raise RuleError("reason", N_("请写明修复理由（至少 10 个字），理由将公开。"))
    if len(reason) > 1000:
        raise RuleError("reason", N_("不能超过 %(n)s 字。"), n=1000)
    row.repaired_on, row.repair_decision, row.repair_reason = repaired_on, decision, reason
    row.repaired_at, row.repaired_by_id = timeutil.now(), by.id
    db.session.flush()
    audit.record("regulator:sanction:repair", row.agency.public_id,
                 {"sanction": row.id, "repaired_on": repaired_on.isoformat(),
                  "decision": decision})
    credit.recompute(row.agency_org_id)
