"""Approval case operations (办件) outside the case events: an owner opening a case to prepare
its application (申报准备), and the end of a special procedure linked to an engagement when its
deliverable is accepted (or the engagement cancelled).

The case's events (收件, 补正, 受理, 特别程序, 延长, 办结, 撤回) are the department's: its
approval system sends them (:mod:`market.approvals.ingest`) or its staff record them
(:mod:`market.approvals.staff`), never the owner.  An engagement starting suspends nothing:
a report that is an acceptance condition is made while the case is still ``preparing`` (the
clock has not started), and for a report needed during review the department opens the
linked special procedure itself.

Views check the role and the organisation; these functions check states.  They write rows,
clock events and audit events into the session and never commit.  Refusals raise
:class:`ApprovalError` (a field and an ``N_()`` message) before anything is written.
"""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.approvals.models import OPEN_CASE_STATES, ApprovalCase, CaseState, Suspension
from market.catalogue.models import ApprovalMatter
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.db import db, lock_row
from market.domain.clock import ClockError
from market.engagements.models import Engagement, EngagementState
from market.i18n import N_
from market.refusal import Refused
from market.selection.models import Project


class ApprovalError(Refused):
    def __init__(self, field: str | None, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params


def _event(case: ApprovalCase, kind: str, user: User | None, **kw: Any) -> None:
    clock = db.session.get(Clock, case.clock_id)
    if clock is None:
        raise ApprovalError(None, N_("办件尚未受理。"))
    try:
        clocks.record(clock, kind, by_user_id=user.id if user else None, **kw)
    except ClockError as error:
        raise ApprovalError(None, N_("时限记录冲突，请刷新页面后重试。")) from error


def _locked(case: ApprovalCase) -> ApprovalCase:
    return lock_row(ApprovalCase, case.id)  # type: ignore[no-any-return]


def open_case(owner: Organisation, project: Project, matter: ApprovalMatter) -> ApprovalCase:
    """Owner: start preparing an application (申报准备) for one matter of one of its projects:
    the case waits ``preparing`` and shows its acceptance conditions; the department's
    receipt (``applied``) gives it its number."""
    if project.owner_org_id != owner.id:
        raise ApprovalError("project_id", N_("请选择本单位的项目。"))
    exists = db.session.scalar(sa.select(ApprovalCase.id).where(
        ApprovalCase.project_id == project.id, ApprovalCase.matter_id == matter.id,
        ApprovalCase.state.notin_((CaseState.DECIDED.value, CaseState.WITHDRAWN.value))))
    if exists:
        raise ApprovalError("matter_id", N_("该项目已有这一审批事项的在办办件。"))
    case = ApprovalCase(public_id="tmp-" + uuid.uuid4().hex[:24], project_id=project.id,
                        matter_id=matter.id, owner_org_id=owner.id,
                        state=CaseState.PREPARING.value, limit_days=matter.committed_days,
                        statutory_days=matter.statutory_days, created_at=timeutil.now())
    db.session.add(case)
    db.session.flush()
    case.public_id = f"BJ-{case.id:06d}"
    audit.record("owner:case:open", case.public_id, {"project": project.public_id,
                                                     "matter": matter.code})
    return case


def open_suspension(case: ApprovalCase) -> Suspension | None:
    return next((s for s in case.suspensions if s.ended_at is None), None)


def _close_suspension(case: ApprovalCase, s: Suspension, by: str) -> None:
    _event(case, "resume", None, note=by)
    s.ended_at = timeutil.now()
    s.ended_by = by
    case.state = CaseState.RUNNING.value
    audit.record("system:case:resume", case.public_id,
                 {"reason": s.reason, "by": by,
                  "engagement": s.engagement.public_id if s.engagement else None})


# -- the link to engagements ----------------------------------------------------------------------


def needed_service_ids(case: ApprovalCase) -> set[int]:
    return {st.id for st in case.matter.service_types}


def blocking(case: ApprovalCase) -> list[tuple[Any, Engagement | None]]:
    """The services the case's matter needs whose engagement is not finished: (service type,
    its newest engagement or None)."""
    out = []
    for st in case.matter.service_types:
        eng = db.session.scalar(sa.select(Engagement).where(
            Engagement.project_id == case.project_id, Engagement.service_type_id == st.id,
            Engagement.state != EngagementState.CANCELLED.value).order_by(
            Engagement.id.desc()).limit(1))
        if eng is None or eng.state != EngagementState.ACCEPTED:
            out.append((st, eng))
    return out


def engagement_finished(eng: Engagement, by: str) -> None:
    """System, at acceptance (or cancellation): end the special procedures linked to ``eng``
    (特别程序, opened by the department); the case's clock runs again."""
    rows = db.session.scalars(sa.select(Suspension).where(
        Suspension.engagement_id == eng.id, Suspension.ended_at.is_(None)))
    for s in rows:
        _close_suspension(_locked(s.case), s, by)


def case_clock(case: ApprovalCase) -> Clock | None:
    return db.session.get(Clock, case.clock_id) if case.clock_id else None


def open_cases_of(project_id: int) -> list[ApprovalCase]:
    return list(db.session.scalars(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == project_id,
        ApprovalCase.state.in_([s.value for s in OPEN_CASE_STATES]))))
