"""Approval case operations (办件): open, accept, suspend and resume, decide, withdraw, and the
link between intermediary engagements and the cases that wait for them.

Views check the role and the organisation (the project's owner); these functions check states.
They write rows, clock events and audit events into the session and never commit.  Refusals
raise :class:`ApprovalError` (a field and an ``N_()`` message) before anything is written.
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
from market.clocks.models import Clock, ClockKind, PauseReason
from market.db import db, lock_row
from market.domain.clock import ClockError
from market.engagements.models import Engagement, EngagementState
from market.i18n import N_
from market.refusal import Refused
from market.selection.models import Project

# Reasons an owner records by hand; an intermediary suspension opens and closes by itself.
MANUAL_REASONS = (PauseReason.EXPERT_REVIEW, PauseReason.CORRECTION, PauseReason.HEARING)
REASON_WORDS = {  # for the written notice, which is a Chinese administrative document
    PauseReason.INTERMEDIARY: "中介服务",
    PauseReason.EXPERT_REVIEW: "专家评审",
    PauseReason.CORRECTION: "申请人补正材料",
    PauseReason.HEARING: "听证",
}
MAX_EXPECTED_DAYS = 250


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


def _owners(case: ApprovalCase) -> ApprovalCase:
    """The case, locked, if its owner may still record its events: not once an approval
    system reports it (``case_no``), whose word is the department's."""
    case = _locked(case)
    if case.case_no is not None:
        raise ApprovalError(None, N_("该办件由审批部门的系统记录（办件编号 %(no)s），业主不能登记其"
                                     "受理、挂起、恢复、办结或撤回。"), no=case.case_no)
    return case


def open_case(owner: Organisation, project: Project, matter: ApprovalMatter) -> ApprovalCase:
    """Owner: start preparing an application (办件) for one matter of one of its projects."""
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


def accept_case(case: ApprovalCase, user: User) -> None:
    """Owner (recording the department's 受理): the case's clock starts with the committed
    limit; engagements of the project already in service suspend it at once."""
    case = _owners(case)
    if case.state != CaseState.PREPARING:
        raise ApprovalError(None, N_("办件已受理。"))
    clock = clocks.new_clock(ClockKind.CASE, case.limit_days, case_id=case.id)
    case.clock_id = clock.id
    _event(case, "start", user)
    case.state = CaseState.ACCEPTED.value
    case.accepted_at = timeutil.now()
    audit.record("owner:case:accept", case.public_id, {"limit_days": case.limit_days})
    _suspend_for_next_engagement(case)


def suspend(case: ApprovalCase, user: User, reason: str, expected_days: int,
            note: str = "") -> Suspension:
    """Owner: record a suspension for expert review, correction (补正) or a hearing, with its
    expected length in working days.  (Intermediary suspensions open by themselves.)"""
    case = _owners(case)
    if case.state not in (CaseState.ACCEPTED, CaseState.RUNNING):
        raise ApprovalError("reason", N_("只有计时中的办件可以挂起。"))
    if reason not in {r.value for r in MANUAL_REASONS}:
        raise ApprovalError("reason", N_("请选择挂起原因。"))
    if not 1 <= expected_days <= MAX_EXPECTED_DAYS:
        raise ApprovalError("expected_days", N_("预计时长须在 1 到 %(max)s 个工作日之间。"),
                            max=MAX_EXPECTED_DAYS)
    return _open_suspension(case, PauseReason(reason), expected_days, note.strip()[:500], user)


def _open_suspension(case: ApprovalCase, reason: PauseReason, expected_days: int, note: str,
                     user: User | None, engagement: Engagement | None = None) -> Suspension:
    cal = clocks.calendar()
    today = timeutil.today_local()
    expected_end = cal.add_working_days(today, expected_days)
    if engagement is not None:
        service = db.session.scalar(sa.select(Clock).where(
            Clock.engagement_id == engagement.id, Clock.kind == ClockKind.SERVICE.value))
        if service is not None:
            expected_end = clocks.view(service).due_date or expected_end
    _event(case, "pause", user, reason=reason.value, note=note)
    s = Suspension(case_id=case.id, reason=reason.value, expected_days=expected_days,
                   expected_end=expected_end, note=note, started_at=timeutil.now(),
                   engagement_id=engagement.id if engagement else None,
                   notice=_notice(case, reason, expected_days, expected_end, engagement))
    db.session.add(s)
    case.state = CaseState.SUSPENDED.value
    db.session.flush()
    audit.record("system:case:suspend" if user is None else "owner:case:suspend", case.public_id,
                 {"reason": reason.value, "expected_days": expected_days,
                  "engagement": engagement.public_id if engagement else None})
    return s


def _notice(case: ApprovalCase, reason: PauseReason, days: int, end: Any,
            engagement: Engagement | None) -> str:
    """The written notice of the suspension (行政许可法第四十五条), in the form departments send."""
    today = timeutil.today_local()
    head = (f"{case.owner.name}：\n你单位申请的“{case.matter.name}”"
            f"（办件编号 {case.public_id}，项目 {case.project.name}）")
    if engagement is not None:
        body = (f"需要进行{engagement.service_type.name}中介服务，由{engagement.agency.name}承担"
                f"（委托编号 {engagement.public_id}），承诺服务时限为 {days} 个工作日，"
                f"预计于 {end.isoformat()} 前完成。")
        tail = "服务成果验收后自动恢复计时。"
    else:
        body = f"因{REASON_WORDS[reason]}需要，预计需要 {days} 个工作日（至 {end.isoformat()}）。"
        tail = "相关事项完成后恢复计时。"
    return (f"{head}{body}根据《中华人民共和国行政许可法》第四十五条，所需时间不计算在审批期限内，"
            f"本办件自 {today.isoformat()} 起挂起，{tail}\n\n{case.matter.department}\n"
            f"{today.isoformat()}")


def open_suspension(case: ApprovalCase) -> Suspension | None:
    return next((s for s in case.suspensions if s.ended_at is None), None)


def _close_suspension(case: ApprovalCase, s: Suspension, user: User | None, by: str) -> None:
    _event(case, "resume", user, note=by)
    s.ended_at = timeutil.now()
    s.ended_by = by
    case.state = CaseState.RUNNING.value
    audit.record("system:case:resume" if user is None else "owner:case:resume", case.public_id,
                 {"reason": s.reason, "by": by,
                  "engagement": s.engagement.public_id if s.engagement else None})


def resume(case: ApprovalCase, user: User) -> None:
    """Owner: the expert review, correction or hearing is over; the clock runs again."""
    case = _owners(case)
    s = open_suspension(case)
    if case.state != CaseState.SUSPENDED or s is None:
        raise ApprovalError(None, N_("办件未挂起。"))
    if s.engagement_id is not None:
        raise ApprovalError(None, N_("中介服务挂起在服务成果验收后自动恢复计时，不能手动恢复。"))
    _close_suspension(case, s, user, "owner")
    _suspend_for_next_engagement(case)


def decide(case: ApprovalCase, user: User, decision: str, note: str = "") -> None:
    """Owner (recording the department's decision, 办结): the clock stops."""
    case = _owners(case)
    if case.state not in (CaseState.ACCEPTED, CaseState.RUNNING):
        raise ApprovalError("decision", N_("只有计时中的办件可以办结。"))
    if decision not in ("approved", "refused"):
        raise ApprovalError("decision", N_("请选择审批结果。"))
    _event(case, "stop", user, note=decision)
    case.state = CaseState.DECIDED.value
    case.decided_at = timeutil.now()
    case.decision = decision
    case.decision_note = note.strip()[:500] or None
    audit.record("owner:case:decide", case.public_id, {"decision": decision})


def withdraw(case: ApprovalCase, user: User) -> None:
    """Owner: withdraw the application; an open clock stops and a suspension ends."""
    case = _owners(case)
    if case.state in (CaseState.DECIDED, CaseState.WITHDRAWN):
        raise ApprovalError(None, N_("办件已结束。"))
    s = open_suspension(case)
    if s is not None:
        s.ended_at = timeutil.now()
        s.ended_by = "withdrawn"
    if case.clock_id is not None:
        _event(case, "stop", user, note="withdrawn")
    case.state = CaseState.WITHDRAWN.value
    audit.record("owner:case:withdraw", case.public_id, {})


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


def _in_service(case: ApprovalCase) -> list[Engagement]:
    ids = needed_service_ids(case)
    if not ids:
        return []
    return list(db.session.scalars(sa.select(Engagement).where(
        Engagement.project_id == case.project_id, Engagement.service_type_id.in_(ids),
        Engagement.state.in_((EngagementState.IN_SERVICE.value,
                              EngagementState.IN_REVIEW.value))).order_by(Engagement.id)))


def _suspend_for_next_engagement(case: ApprovalCase) -> None:
    if case.state not in (CaseState.ACCEPTED, CaseState.RUNNING) or case.case_no is not None:
        return
    engagements = _in_service(case)
    if engagements:
        eng = engagements[0]
        _open_suspension(case, PauseReason.INTERMEDIARY, eng.service_days, eng.public_id,
                         None, engagement=eng)


def engagement_started(eng: Engagement) -> None:
    """System, at contract confirmation: suspend every running case of the project whose
    matter needs this service (not a case an approval system reports: its department
    declares its special procedures), with a notice stating the committed days and due date."""
    cases = db.session.scalars(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == eng.project_id, ApprovalCase.case_no.is_(None),
        ApprovalCase.state.in_((CaseState.ACCEPTED.value, CaseState.RUNNING.value))))
    for case in cases:
        if eng.service_type_id in needed_service_ids(case):
            _open_suspension(_locked(case), PauseReason.INTERMEDIARY, eng.service_days,
                             eng.public_id, None, engagement=eng)


def engagement_finished(eng: Engagement, by: str) -> None:
    """System, at acceptance (or cancellation): close the suspensions linked to ``eng``; a case
    still waiting for another engagement stays suspended for that one."""
    rows = db.session.scalars(sa.select(Suspension).where(
        Suspension.engagement_id == eng.id, Suspension.ended_at.is_(None)))
    for s in rows:
        case = _locked(s.case)
        _close_suspension(case, s, None, by)
        _suspend_for_next_engagement(case)


def case_clock(case: ApprovalCase) -> Clock | None:
    return db.session.get(Clock, case.clock_id) if case.clock_id else None


def open_cases_of(project_id: int) -> list[ApprovalCase]:
    return list(db.session.scalars(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == project_id,
        ApprovalCase.state.in_([s.value for s in OPEN_CASE_STATES]))))
