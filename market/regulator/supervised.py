"""What electronic supervision (:mod:`market.supervision`, a lower floor) watches in this
area: complaints not decided by their deadline, and which of them a scope covers (both
connected by ``create_app``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.db import db
from market.engagements.models import Engagement
from market.regulator.models import Complaint, ComplaintState
from market.selection.models import SelectionRequest
from market.selection.scope import within
from market.supervision.models import PartyKind, SubjectKind
from market.supervision.sources import CalendarOf, Late, request_scope


def late_complaints(today: date, cal_of: CalendarOf) -> Iterator[Late]:
    """Complaints received or under review past their last working day to decide (counted
    in the calendar of the tenant where the subject arose)."""
    rows = db.session.scalars(sa.select(Complaint).where(
        Complaint.state.in_([ComplaintState.RECEIVED.value, ComplaintState.UNDER_REVIEW.value]),
        Complaint.due_on < today).order_by(Complaint.due_on, Complaint.id))
    for c in rows:
        tenant, regulator = request_scope(_request_of(c))
        yield Late(SubjectKind.COMPLAINT, c.public_id, f"{c.subject_kind}:{c.subject_id}",
                   f"/regulator/complaints/{c.public_id}", c.due_on,
                   cal_of(tenant).working_days_between(c.due_on, today), PartyKind.REGULATOR,
                   None, "", tenant, regulator)


def _request_of(c: Complaint) -> SelectionRequest | None:
    """The request a complaint is about (an engagement's, or the request itself)."""
    if c.subject_kind == "engagement":
        return db.session.scalar(sa.select(SelectionRequest).join(
            Engagement, Engagement.request_id == SelectionRequest.id).where(
            Engagement.public_id == c.subject_id))
    if c.subject_kind == "request":
        return db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == c.subject_id))
    return None


def complaints_in(org: Organisation | None) -> sa.Select[Any]:
    """The public ids of the complaints ``org``'s scope covers: their subject's request (an
    engagement's, or the request itself) is in its lists."""
    by_engagement = within(sa.select(Complaint.public_id).join(
        Engagement, sa.and_(Complaint.subject_kind == "engagement",
                            Engagement.public_id == Complaint.subject_id))
        .join(SelectionRequest, SelectionRequest.id == Engagement.request_id), org)
    by_request = within(sa.select(Complaint.public_id).join(
        SelectionRequest, sa.and_(Complaint.subject_kind == "request",
                                  SelectionRequest.public_id == Complaint.subject_id)), org)
    return sa.select(sa.union_all(by_engagement, by_request).subquery().c.public_id)
