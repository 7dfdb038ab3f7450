"""Credit scores (信用分) from the published formula (:mod:`market.domain.credit_formula`).

:func:`score_for` is what credit-merit selection calls: it computes the score from the current
inputs (so a sanction that just ended, or a decline just logged, counts at once).
:func:`recompute` also stores the result (:class:`CreditRecord`) and is called by every
operation that changes an input here (rating, upheld complaint, sanction).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.domain.credit_formula import CreditInputs, CreditScore, compute
from market.i18n import N_
from market.regulator.models import Complaint, ComplaintState, CreditRecord, Sanction

PART_LABELS = {
    "base": N_("基础分"),
    "rating": N_("服务评价"),
    "on_time": N_("按时率"),
    "declines": N_("放弃中选或逾期未确认"),
    "complaints": N_("投诉成立"),
    "warnings": N_("有效警告"),
    "suspensions": N_("有效暂停"),
    "blacklist": N_("黑名单"),
}


def inputs_for(org_id: int, on: date | None = None) -> CreditInputs:
    """The formula's inputs for one agency, read now."""
    from market.engagements.models import Engagement, EngagementState
    from market.evaluation.models import DIMENSIONS, Rating
    from market.selection.models import Award, AwardState

    on = on or timeutil.today_local()
    ratings = db.session.scalars(sa.select(Rating).where(Rating.agency_org_id == org_id)).all()
    average = (sum(sum(getattr(r, d) for d in DIMENSIONS) for r in ratings)
               / (len(DIMENSIONS) * len(ratings))) if ratings else None
    finished = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((Engagement.on_time.is_(True), 1),
                                                       else_=0)))
        .where(Engagement.agency_org_id == org_id,
               Engagement.state == EngagementState.ACCEPTED.value,
               Engagement.on_time.is_not(None))).one()
    on_time = (finished[1] or 0) / finished[0] if finished[0] else None
    declines = db.session.scalar(sa.select(sa.func.count(Award.id)).where(
        Award.agency_org_id == org_id,
        Award.state.in_((AwardState.DECLINED.value, AwardState.TIMED_OUT.value)))) or 0
    upheld = db.session.scalar(sa.select(sa.func.count(Complaint.id)).where(
        Complaint.against_org_id == org_id,
        Complaint.state == ComplaintState.UPHELD.value)) or 0
    running = [s for s in db.session.scalars(
        sa.select(Sanction).where(Sanction.agency_org_id == org_id)) if s.active_on(on)]
    return CreditInputs(
        average_rating=average, ratings=len(ratings), on_time_rate=on_time, declines=declines,
        upheld_complaints=upheld,
        active_warnings=sum(1 for s in running if s.kind == "warning"),
        active_suspensions=sum(1 for s in running if s.kind == "suspension"),
        blacklisted=any(s.kind == "blacklist" for s in running))


def explain(org_id: int) -> tuple[CreditInputs, CreditScore]:
    inputs = inputs_for(org_id)
    return inputs, compute(inputs)


def score_for(org_id: int) -> int:
    """The agency's credit score (0–100) now — for credit-merit selection."""
    return compute(inputs_for(org_id)).score


def scores_for(org_ids: Iterable[int]) -> dict[int, int]:
    return {i: score_for(i) for i in org_ids}


def recompute(org_id: int) -> CreditRecord:
    """Compute and store the agency's score (same transaction as the change that caused it)."""
    inputs, result = explain(org_id)
    row = db.session.get(CreditRecord, org_id)
    if row is None:
        row = CreditRecord(organisation_id=org_id)
        db.session.add(row)
    row.score = result.score
    row.version = result.version
    row.inputs = asdict(inputs)
    row.parts = [[p.code, round(p.points, 2)] for p in result.parts]
    row.computed_at = timeutil.now()
    db.session.flush()
    return row
