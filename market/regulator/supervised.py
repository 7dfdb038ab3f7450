"""What electronic supervision (:mod:`market.supervision`, a lower floor) watches in this
area: complaints not decided by their deadline (connected by ``create_app``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import sqlalchemy as sa

from market.db import db
from market.domain.calendar import WorkingCalendar
from market.regulator.models import Complaint, ComplaintState
from market.supervision.models import PartyKind, SubjectKind
from market.supervision.sources import Late


def late_complaints(today: date, cal: WorkingCalendar) -> Iterator[Late]:
    """Complaints received or under review past their last working day to decide."""
    rows = db.session.scalars(sa.select(Complaint).where(
        Complaint.state.in_([ComplaintState.RECEIVED.value, ComplaintState.UNDER_REVIEW.value]),
        Complaint.due_on < today).order_by(Complaint.due_on, Complaint.id))
    for c in rows:
        yield Late(SubjectKind.COMPLAINT, c.public_id, f"{c.subject_kind}:{c.subject_id}",
                   f"/regulator/complaints/{c.public_id}", c.due_on,
                   cal.working_days_between(c.due_on, today), PartyKind.REGULATOR, None, "")
