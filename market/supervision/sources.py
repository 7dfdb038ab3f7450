"""The matters electronic supervision watches, each as a :class:`Late` (who is responsible,
its due date and how many working days past it).

Engagement and case clocks come from the clock board (the stored tallies, as the regulator's
clock pages show them); 容缺受理 reports from the approval cases; objections from selection;
corrections of poor ratings (差评整改) from evaluation.
Complaints belong to the regulator's area, on a higher floor: it connects its own reader
(:func:`connect`, from ``create_app``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.approvals.ingest import tolerated_overdue
from market.approvals.models import ApprovalCase
from market.catalogue.regulators import regulator_of
from market.clocks.board import open_clocks
from market.db import db
from market.domain.calendar import WorkingCalendar, local_date
from market.engagements.models import Engagement
from market.evaluation.models import Correction
from market.selection.award import objection_due
from market.selection.models import Objection, ObjectionState, SelectionRequest
from market.supervision.models import PartyKind, SubjectKind


@dataclass(frozen=True)
class Late:
    """A matter past its due date: ``late`` working days after ``due_date`` (``today`` being
    the first day it counts); the party responsible, an organisation (for an approval case its
    department's organisation, ``party_org_id`` None while the department has none).

    ``tenant_id`` and ``regulator_id``: where the matter arose, as the regulators' scope reads
    it (the request's tenant and its service type's industry regulator; an approval case's
    owner's tenant and no industry regulator); None when unknown."""

    subject_kind: SubjectKind
    subject_id: str
    title: str
    link: str
    due_date: date
    late: int
    party_kind: PartyKind
    party_org_id: int | None
    party_name: str
    tenant_id: int | None = None
    regulator_id: int | None = None


# the calendar of a tenant (None: the national one): a matter's lateness counts in its tenant's
CalendarOf = Callable[[int | None], WorkingCalendar]
Reader = Callable[[date, CalendarOf], Iterable[Late]]
_readers: dict[str, Reader] = {}


def connect(name: str, reader: Reader) -> None:
    """A higher area's reader of its late matters (``create_app``); idempotent per name."""
    _readers[name] = reader


def _org_name(org_id: int) -> str:
    return db.session.scalar(sa.select(Organisation.name).where(Organisation.id == org_id)) or ""


def request_scope(request: SelectionRequest | None) -> tuple[int | None, int | None]:
    """(tenant, industry regulator) of a matter that hangs from ``request``."""
    if request is None:
        return None, None
    return request.tenant_id, regulator_of(request.service_type_id, request.tenant_id)


_CLOCK_KINDS = {"service": SubjectKind.SERVICE, "signing": SubjectKind.SIGNING,
                "review": SubjectKind.REVIEW, "case": SubjectKind.CASE}


def _clocks(now: datetime) -> Iterable[Late]:
    """Open clocks past their due date.  The agency answers for its service (and signing:
    it signs last), the owner for its acceptance review, the department for its case."""
    for row in open_clocks(None, None, now):
        view = row.view
        if view.state != "overdue" or view.due_date is None:
            continue
        kind = _CLOCK_KINDS[row.kind]
        if row.engagement_id:
            eng = db.session.scalar(sa.select(Engagement).where(
                Engagement.public_id == row.engagement_id))
            if eng is None:
                continue
            party, org_id = ((PartyKind.OWNER, eng.owner_org_id) if kind == SubjectKind.REVIEW
                             else (PartyKind.AGENCY, eng.agency_org_id))
            # one engagement has one service and one signing clock, but a review clock per
            # submitted deliverable: the clock's id tells them apart
            subject = eng.public_id if kind != SubjectKind.REVIEW else f"{eng.public_id}/{row.clock_id}"
            yield Late(kind, subject[:32], row.subject, f"/engagements/{eng.public_id}",
                       view.due_date, view.overdue_by, party, org_id, _org_name(org_id),
                       *request_scope(eng.request))
        elif row.case_id:
            case = db.session.scalar(sa.select(ApprovalCase).where(
                ApprovalCase.public_id == row.case_id))
            if case is None:
                continue
            # the department's own organisation (its staff) once it has one; until then the
            # regulators are told in its place
            department = case.matter.department
            yield Late(kind, case.public_id, row.subject, f"/approvals/{case.public_id}",
                       view.due_date, view.overdue_by, PartyKind.DEPARTMENT,
                       department.organisation_id if department is not None else None,
                       str(department), case.owner.tenant_id)


def _tolerated(today: date, cal_of: CalendarOf) -> Iterable[Late]:
    """容缺受理: the owner promised the missing reports by ``tolerated_until``."""
    for case, missing in tolerated_overdue(today):
        due = case.tolerated_until
        if due is None:
            continue
        yield Late(SubjectKind.TOLERATED, case.public_id,
                   f"{case.matter.name}（{'、'.join(missing)}）", f"/approvals/{case.public_id}",
                   due, cal_of(case.owner.tenant_id).working_days_between(due, today),
                   PartyKind.OWNER,
                   case.owner_org_id, _org_name(case.owner_org_id), case.owner.tenant_id)


def _objections(today: date, cal_of: CalendarOf) -> Iterable[Late]:
    """Objections the regulators have not decided by their deadline."""
    for objection in db.session.scalars(sa.select(Objection).where(
            Objection.state == ObjectionState.PENDING.value).order_by(Objection.id)):
        cal = cal_of(objection.request.tenant_id)
        due = objection_due(objection, cal)
        if due < today:
            yield Late(SubjectKind.OBJECTION, str(objection.id), objection.request.title,
                       f"/notices/{objection.request.public_id}", due,
                       cal.working_days_between(due, today), PartyKind.REGULATOR, None,
                       "", *request_scope(objection.request))


def _corrections(today: date, cal_of: CalendarOf) -> Iterable[Late]:
    """Corrections of poor ratings (差评整改) the agency has not answered by their deadline."""
    for c in db.session.scalars(sa.select(Correction).where(
            Correction.answered_at.is_(None), Correction.due_on < today).order_by(
            Correction.due_on, Correction.id)):
        yield Late(SubjectKind.CORRECTION, c.public_id, c.rating.engagement.public_id,
                   f"/agency/corrections/{c.public_id}", c.due_on,
                   cal_of(c.rating.engagement.request.tenant_id).working_days_between(
                       c.due_on, today), PartyKind.AGENCY,
                   c.agency_org_id, _org_name(c.agency_org_id),
                   *request_scope(c.rating.engagement.request))


def late_matters(now: datetime, cal_of: CalendarOf) -> list[Late]:
    """Every watched matter past its due date, oldest due date first; ``cal_of`` gives each
    matter's tenant's calendar (:func:`market.calendar.service.current_calendar`)."""
    today = local_date(now)
    found: list[Late] = [*_clocks(now), *_tolerated(today, cal_of),
                         *_objections(today, cal_of), *_corrections(today, cal_of)]
    for name in sorted(_readers):
        found.extend(_readers[name](today, cal_of))
    return sorted(found, key=lambda m: (m.due_date, m.subject_kind, m.subject_id))
