"""Engagement operations (委托): contract, materials, extensions, deliverables, acceptance.

Each function is called by a view that has already checked the role and that the acting
organisation is the engagement's owner or agency; the functions check the engagement's state
and which side may act.  They add rows, clock events and audit events to the session and never
commit (the request commits once).  Refusals raise :class:`EngagementError` with a field and an
``N_()`` message, before anything is written.

What other areas do about an engagement — billing opens, releases or writes off the fee,
approval cases are suspended and resumed, the agency's public record is updated — they do as
receivers of the domain events sent here (:mod:`market.events`), in the same transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from market import events, storage, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockEntry, ClockKind, PauseReason
from market.db import db, lock_row
from market.domain import contract
from market.domain.calendar import local_date
from market.domain.clock import ClockError
from market.engagements.models import (
    Decision,
    Deliverable,
    Engagement,
    EngagementState,
    MaterialsRequest,
)
from market.i18n import N_
from market.refusal import Refused
from market.selection import procedures
from market.selection.award import contract_from
from market.selection.models import Award, AwardState, SelectionRequest
from market.settings import service as settings

MAX_EXTENSION_DAYS = 120


class EngagementError(Refused):
    """A refused action: ``field`` (or None for the page), an N_() ``message``, its params."""

    def __init__(self, field: str | None, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.field = field
        self.message = message
        self.params = params


# -- clocks of an engagement ----------------------------------------------------------------------


def clock_of(eng: Engagement, kind: ClockKind) -> Clock | None:
    """The engagement's newest clock of ``kind`` (review clocks: one per deliverable)."""
    return db.session.scalar(sa.select(Clock).where(
        Clock.engagement_id == eng.id, Clock.kind == kind.value).order_by(Clock.id.desc())
        .limit(1))


def shown_clocks(engagement_ids: Sequence[int]) -> dict[int, Clock]:
    """{engagement id: the clock a list shows for it}: its newest service clock (服务时限),
    else its newest signing clock (签约期限) — :func:`clock_of` for many rows in one query."""
    if not engagement_ids:
        return {}
    newest: dict[tuple[int | None, str], Clock] = {}
    for clock in db.session.scalars(sa.select(Clock).where(
            Clock.engagement_id.in_(engagement_ids),
            Clock.kind.in_((ClockKind.SERVICE.value, ClockKind.SIGNING.value)))
            .order_by(Clock.id)):
        newest[(clock.engagement_id, clock.kind)] = clock
    shown = {}
    for eng_id in engagement_ids:
        found = (newest.get((eng_id, ClockKind.SERVICE.value))
                 or newest.get((eng_id, ClockKind.SIGNING.value)))
        if found is not None:
            shown[eng_id] = found
    return shown


def _clock(eng: Engagement, kind: ClockKind) -> Clock:
    clock = clock_of(eng, kind)
    if clock is None:
        raise RuntimeError(f"engagement {eng.public_id} has no {kind} clock")
    return clock


def _event(clock: Clock, kind: str, user: User | None, **kw: Any) -> ClockEntry:
    try:
        return clocks.record(clock, kind, by_user_id=user.id if user else None, **kw)
    except ClockError as error:  # a state check above should have refused first
        raise EngagementError(None, N_("时限记录冲突，请刷新页面后重试。")) from error


def _facts(eng: Engagement) -> dict[str, Any]:
    """What every engagement event carries (:class:`market.events.EngagementEvent`)."""
    return {"engagement_id": eng.id, "engagement_public_id": eng.public_id,
            "project_code": eng.project.code}


def _send(event: events.Event) -> None:
    db.session.flush()  # receivers read the change from the database too
    events.send(event)


# -- creation ---------------------------------------------------------------------------------------


def create_from_award(award: Award) -> Engagement:
    """System: the engagement of a confirmed award once its result notice (中选公示) has ended
    with no objection pending, with its signing clock started then (see
    :func:`market.selection.award.contract_from`).  Raises IntegrityError if the award already
    has one."""
    if award.state != AwardState.CONFIRMED:
        raise EngagementError(None, N_("中选结果尚未确认，不能建立委托。"))
    confirmed_at = contract_from(award)
    if confirmed_at is None or timeutil.now() < confirmed_at:
        raise EngagementError(None, N_("中选公示期满、且没有待处理的异议之后，才能签订合同。"))
    req = award.request
    cal = clocks.calendar(req.tenant_id)
    eng = Engagement(
        public_id=f"tmp-{award.id}", award_id=award.id, request_id=req.id,
        project_id=req.project_id, service_type_id=req.service_type_id,
        owner_org_id=req.owner_org_id, agency_org_id=award.agency_org_id,
        fee_fen=award.fee_fen, service_days=award.service_days,
        state=EngagementState.SIGNING.value, created_at=timeutil.now(),
        signing_due=cal.add_working_days(local_date(confirmed_at), req.signing_days))
    db.session.add(eng)
    db.session.flush()
    eng.public_id = f"EG-{eng.id:06d}"
    signing = clocks.new_clock(ClockKind.SIGNING, req.signing_days, engagement_id=eng.id,
                               tenant_id=req.tenant_id)
    clocks.record(signing, "start", at=min(confirmed_at, timeutil.now()))
    audit.record("system:engagement:create", eng.public_id,
                 {"award": award.id, "fee_fen": eng.fee_fen, "service_days": eng.service_days},
                 organisation_id=eng.owner_org_id)
    return eng


def sync_from_awards(org_id: int | None = None) -> int:
    """System (lazily on list pages and by ``flask clocks tick``): create the engagement of every
    confirmed award that has none, once its result notice has ended with no objection pending.  Idempotent and safe when two requests race (the award id
    is unique; the loser's savepoint rolls back).  Returns how many were created."""
    found = db.session.scalars(_unsynced(org_id is not None),
                               {} if org_id is None else {"org_id": org_id}).all()
    if not found:
        return 0  # what a list page almost always finds: one statement, no entity loaded
    created = 0
    now = timeutil.now()
    for award in db.session.scalars(sa.select(Award).where(Award.id.in_(found))
                                    .order_by(Award.id)).all():
        start = contract_from(award)
        if start is None or now < start:
            continue  # the result notice runs, or an objection waits for the regulator
        try:
            with db.session.begin_nested():
                create_from_award(award)
            created += 1
        except IntegrityError:
            continue
    return created


@functools.cache
def _unsynced(by_org: bool) -> sa.Select[Any]:
    """The ids of the confirmed awards with no engagement (of the organisation ``org_id`` on
    either side, when ``by_org``); built once per process, as every list page runs it."""
    q = (sa.select(Award.id).outerjoin(Engagement, Engagement.award_id == Award.id)
         .where(Award.state == AwardState.CONFIRMED.value, Engagement.id.is_(None)))
    if by_org:
        # Written so that each side is answered from its own index (the award's agency, the
        # owner's requests) rather than by walking every confirmed award of the city.
        org_id = sa.bindparam("org_id", type_=sa.Integer)
        q = q.where(sa.or_(Award.agency_org_id == org_id, Award.request_id.in_(
            sa.select(SelectionRequest.id).where(SelectionRequest.owner_org_id == org_id))))
    return q.order_by(Award.id)


# -- contract -----------------------------------------------------------------------------------------


def contract_values(eng: Engagement) -> dict[str, str]:
    """What the standard contract's placeholders (market.domain.contract.FIELDS) stand for in
    this engagement: the parties, the project and service from the notice, the fee (yuan) and
    committed working days from the award."""
    st = eng.service_type
    return {
        "owner": eng.owner.name, "owner_code": eng.owner.credit_code or "",
        "agency": eng.agency.name, "agency_code": eng.agency.credit_code or "",
        "project": eng.project.name, "project_code": eng.project.code,
        "service": st.name, "scope": eng.request.scope,
        "deliverables": st.deliverables or "采购公告所列服务范围和内容对应的服务成果",
        "fee_yuan": contract.fee_text(eng.fee_fen), "service_days": str(eng.service_days),
        "notice": eng.request.public_id, "engagement": eng.public_id,
        "signing_due": eng.signing_due.isoformat(),
    }


def contract_text(eng: Engagement) -> str:
    """The engagement's standard contract (合同范本): as confirmed, once both sides have; until
    then its service type's template filled from the notice and the award — what both sides
    read before they confirm."""
    if eng.contract_text is not None:
        return eng.contract_text
    template = eng.service_type.contract_template or ""
    try:
        return contract.fill(template, contract_values(eng))
    except ValueError:  # a template stored before the catalogue checked it
        return contract.fill("", contract_values(eng))


def _side(eng: Engagement, org: Organisation) -> str:
    if org.id == eng.owner_org_id:
        return "owner"
    if org.id == eng.agency_org_id:
        return "agency"
    raise EngagementError(None, N_("您的单位不是这项委托的一方。"))


def _locked(eng: Engagement) -> Engagement:
    return lock_row(Engagement, eng.id)  # type: ignore[no-any-return]


def upload_contract(eng: Engagement, org: Organisation, user: User, file: object) -> None:
    """Owner or agency: upload the signed contract (合同); replaces an unconfirmed one."""
    eng = _locked(eng)
    side = _side(eng, org)
    if eng.state != EngagementState.SIGNING:
        raise EngagementError("file", N_("合同已确认，不能再更换。"))
    upload = storage.store_file(file, allowed=storage.DELIVERABLE_KINDS, field="file",
                                max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
                                uploaded_by_id=user.id, organisation_id=org.id,
                                refuse_message=_KINDS_MESSAGE)
    eng.contract_upload_id = upload.id
    eng.contract_by_org_id = org.id
    eng.contract_uploaded_at = timeutil.now()
    audit.record(f"{side}:contract:upload", eng.public_id,
                 {"sha256": upload.sha256, "size": upload.size})


def confirm_contract(eng: Engagement, org: Organisation, user: User) -> None:
    """The other side: confirm the uploaded contract within the signing limit.  Keeps the
    standard contract as confirmed (the contract notice, 合同公告, is public from now);
    starts the service clock; sends ``contract.confirmed`` (billing opens the fee) and
    ``engagement.started`` (the project's approval cases that wait for this service are
    suspended)."""
    eng = _locked(eng)
    side = _side(eng, org)
    if eng.state != EngagementState.SIGNING:
        raise EngagementError(None, N_("合同已确认。"))
    if eng.contract_upload_id is None:
        raise EngagementError(None, N_("对方尚未上传合同。"))
    if eng.contract_by_org_id == org.id:
        raise EngagementError(None, N_("合同由您方上传，须由对方确认。"))
    if timeutil.today_local() > eng.signing_due:
        raise EngagementError(None, N_("签约期限（%(due)s）已过，不能再确认合同。"),
                              due=eng.signing_due.isoformat())
    _event(_clock(eng, ClockKind.SIGNING), "stop", user)
    service = clocks.new_clock(ClockKind.SERVICE, eng.service_days, engagement_id=eng.id,
                               tenant_id=eng.request.tenant_id)
    started = _event(service, "start", user)
    eng.state = EngagementState.IN_SERVICE.value
    eng.contract_text = contract_text(eng)
    eng.contract_confirmed_at = timeutil.now()
    eng.contract_confirmed_by_id = user.id
    audit.record(f"{side}:contract:confirm", eng.public_id,
                 {"service_days": eng.service_days})
    _send(events.ContractConfirmed(
        at=eng.contract_confirmed_at, **_facts(eng), owner_org_id=eng.owner_org_id,
        agency_org_id=eng.agency_org_id, fee_fen=eng.fee_fen))
    _send(events.EngagementStarted(at=started.at, **_facts(eng)))


# -- service: materials and extensions ------------------------------------------------------------


def open_materials_request(eng: Engagement) -> MaterialsRequest | None:
    return next((m for m in eng.materials if m.answered_at is None), None)


def ask_materials(eng: Engagement, org: Organisation, user: User, what: str) -> MaterialsRequest:
    """Agency: ask the owner for materials; the service clock waits until the answer."""
    eng = _locked(eng)
    if _side(eng, org) != "agency":
        raise EngagementError(None, N_("只有中介机构可以请业主补充资料。"))
    what = what.strip()
    if not what:
        raise EngagementError("what", N_("请写明需要业主提供的资料。"))
    if eng.state != EngagementState.IN_SERVICE:
        raise EngagementError("what", N_("委托不在服务中，不能请业主补充资料。"))
    if open_materials_request(eng) is not None:
        raise EngagementError("what", N_("上一次补充资料请求尚未答复。"))
    paused = _event(_clock(eng, ClockKind.SERVICE), "pause", user,
                    reason=PauseReason.MATERIALS.value, note=what)
    req = MaterialsRequest(engagement_id=eng.id, asked_at=timeutil.now(), asked_by_id=user.id,
                           what=what)
    db.session.add(req)
    db.session.flush()
    audit.record("agency:materials:ask", eng.public_id, {"request": req.id, "what": what[:200]})
    _send(events.EngagementPaused(at=paused.at, **_facts(eng)))
    return req


def answer_materials(eng: Engagement, org: Organisation, user: User, answer: str,
                     file: object | None = None) -> None:
    """Owner: answer the open materials request; the service clock runs again."""
    eng = _locked(eng)
    if _side(eng, org) != "owner":
        raise EngagementError(None, N_("只有业主可以答复补充资料请求。"))
    req = open_materials_request(eng)
    if req is None:
        raise EngagementError("answer", N_("没有待答复的补充资料请求。"))
    answer = answer.strip()
    if not answer:
        raise EngagementError("answer", N_("请写明提供了哪些资料。"))
    if file is not None and getattr(file, "filename", None):
        upload = storage.store_file(file, allowed=storage.DELIVERABLE_KINDS, field="file",
                                    max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
                                    uploaded_by_id=user.id, organisation_id=org.id,
                                    refuse_message=_KINDS_MESSAGE)
        req.answer_upload_id = upload.id
    resumed = _event(_clock(eng, ClockKind.SERVICE), "resume", user, note=answer)
    req.answered_at = timeutil.now()
    req.answered_by_id = user.id
    req.answer = answer
    audit.record("owner:materials:answer", eng.public_id, {"request": req.id})
    _send(events.EngagementResumed(at=resumed.at, **_facts(eng)))


def grant_extension(eng: Engagement, org: Organisation, user: User, days: int,
                    reason: str) -> None:
    """Owner: grant the agency extra working days, with a reason (延期)."""
    eng = _locked(eng)
    if _side(eng, org) != "owner":
        raise EngagementError(None, N_("只有业主可以同意延期。"))
    if eng.state not in (EngagementState.IN_SERVICE, EngagementState.IN_REVIEW):
        raise EngagementError("days", N_("委托不在服务中，不能延期。"))
    if not 1 <= days <= MAX_EXTENSION_DAYS:
        raise EngagementError("days", N_("延期天数须在 1 到 %(max)s 个工作日之间。"),
                              max=MAX_EXTENSION_DAYS)
    reason = reason.strip()
    if not reason:
        raise EngagementError("reason", N_("请写明延期理由。"))
    _event(_clock(eng, ClockKind.SERVICE), "extend", user, days=days, reason="owner",
           note=reason)
    audit.record("owner:engagement:extend", eng.public_id, {"days": days, "reason": reason})


# -- deliverables and acceptance ------------------------------------------------------------------

_KINDS_MESSAGE = N_("文件内容不是 PDF、Word、Excel、JPEG、PNG、DWG 或 ZIP（按文件内容判断，与扩展名无关）。")


def pending_deliverable(eng: Engagement) -> Deliverable | None:
    return next((d for d in eng.deliverables if d.decision == Decision.PENDING), None)


def submit_deliverable(eng: Engagement, org: Organisation, user: User, file: object,
                       note: str = "") -> Deliverable:
    """Agency: upload a new version of the deliverable.  The service clock waits while the
    owner reviews it; the owner's review clock (ACCEPTANCE_WORKING_DAYS) starts."""
    eng = _locked(eng)
    if _side(eng, org) != "agency":
        raise EngagementError(None, N_("只有中介机构可以提交服务成果。"))
    if eng.state != EngagementState.IN_SERVICE:
        raise EngagementError("file", N_("委托不在服务中，不能提交服务成果。"))
    if open_materials_request(eng) is not None:
        raise EngagementError("file", N_("补充资料请求尚未答复，请等业主答复后再提交。"))
    upload = storage.store_file(file, allowed=storage.DELIVERABLE_KINDS, field="file",
                                max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
                                uploaded_by_id=user.id, organisation_id=org.id,
                                refuse_message=_KINDS_MESSAGE)
    version = len(eng.deliverables) + 1
    paused = _event(_clock(eng, ClockKind.SERVICE), "pause", user,
                    reason=PauseReason.REVIEW.value, note=f"v{version}")
    days = settings.effective("ACCEPTANCE_WORKING_DAYS", None, eng.request.tenant_id)
    review = clocks.new_clock(ClockKind.REVIEW, days, engagement_id=eng.id,
                              tenant_id=eng.request.tenant_id)
    _event(review, "start", user)
    deliverable = Deliverable(engagement_id=eng.id, version=version, upload_id=upload.id,
                              sha256=upload.sha256, size=upload.size, note=note.strip()[:1000],
                              submitted_at=timeutil.now(), submitted_by_id=user.id,
                              decision=Decision.PENDING.value, review_clock_id=review.id)
    db.session.add(deliverable)
    eng.state = EngagementState.IN_REVIEW.value
    db.session.flush()
    audit.record("agency:deliverable:submit", eng.public_id,
                 {"version": version, "sha256": upload.sha256, "size": upload.size})
    _send(events.DeliverableSubmitted(at=paused.at, **_facts(eng), deliverable_id=deliverable.id))
    return deliverable


def _pending(eng: Engagement) -> Deliverable:
    if eng.state != EngagementState.IN_REVIEW:
        raise EngagementError(None, N_("没有待验收的服务成果。"))
    d = pending_deliverable(eng)
    if d is None:
        raise EngagementError(None, N_("没有待验收的服务成果。"))
    return d


def return_deliverable(eng: Engagement, org: Organisation, user: User, reason: str) -> None:
    """Owner: return the deliverable with a reason (退回); the agency's clock runs again for
    the revision."""
    eng = _locked(eng)
    if _side(eng, org) != "owner":
        raise EngagementError(None, N_("只有业主可以退回服务成果。"))
    d = _pending(eng)
    reason = reason.strip()
    if not reason:
        raise EngagementError("reason", N_("请写明退回理由。"))
    review = db.session.get(Clock, d.review_clock_id)
    if review is not None:
        _event(review, "stop", user)
    resumed = _event(_clock(eng, ClockKind.SERVICE), "resume", user, note=reason)
    d.decision = Decision.RETURNED.value
    d.decided_at = timeutil.now()
    d.decided_by_id = user.id
    d.return_reason = reason
    eng.state = EngagementState.IN_SERVICE.value
    audit.record("owner:deliverable:return", eng.public_id,
                 {"version": d.version, "reason": reason})
    _send(events.DeliverableReturned(at=resumed.at, **_facts(eng), deliverable_id=d.id))


def accept_deliverable(eng: Engagement, org: Organisation, user: User) -> None:
    """Owner: accept the deliverable (验收).  Completes the engagement; sends
    ``deliverable.accepted`` and ``engagement.accepted`` (billing marks it accepted and releases
    the fee if it is paid, the linked approval suspensions close, the agency's public record is
    updated)."""
    eng = _locked(eng)
    if _side(eng, org) != "owner":
        raise EngagementError(None, N_("只有业主可以验收服务成果。"))
    d = _pending(eng)
    review = db.session.get(Clock, d.review_clock_id)
    if review is not None:
        _event(review, "stop", user)
    service = _clock(eng, ClockKind.SERVICE)
    stopped = _event(service, "stop", user)
    shown = clocks.view(service)
    d.decision = Decision.ACCEPTED.value
    d.decided_at = timeutil.now()
    d.decided_by_id = user.id
    eng.state = EngagementState.ACCEPTED.value
    eng.accepted_at = timeutil.now()
    eng.days_used = shown.used
    eng.on_time = not shown.late
    audit.record("owner:deliverable:accept", eng.public_id,
                 {"version": d.version, "days_used": shown.used, "on_time": not shown.late})
    _send(events.DeliverableAccepted(at=stopped.at, **_facts(eng), deliverable_id=d.id))
    _send(events.EngagementAccepted(at=stopped.at, **_facts(eng)))


def cancel(eng: Engagement, org: Organisation, user: User, reason: str) -> None:
    """Owner: cancel an unfinished engagement with a reason; its clocks stop.  Sends
    ``engagement.cancelled`` (billing writes off what is unpaid, the linked approval suspensions
    close)."""
    eng = _locked(eng)
    if _side(eng, org) != "owner":
        raise EngagementError(None, N_("只有业主可以取消委托。"))
    if eng.finished:
        raise EngagementError(None, N_("委托已结束，不能取消。"))
    reason = reason.strip()
    if not reason:
        raise EngagementError("reason", N_("请写明取消理由。"))
    _close(eng, reason, user, "owner:engagement:cancel")


def _close(eng: Engagement, reason: str, user: User | None, tag: str) -> None:
    """End an unfinished engagement as cancelled: its open clocks stop (closed as cancelled,
    with the reason), a pending deliverable is withdrawn, the audit event ``tag`` is written and
    ``engagement.cancelled`` sent (billing writes off what is unpaid, the linked approval
    suspensions close)."""
    for clock in db.session.scalars(sa.select(Clock).where(
            Clock.engagement_id == eng.id, Clock.phase.in_(("running", "paused")))):
        _event(clock, "stop", user, note=reason[:200])
    d = pending_deliverable(eng)
    if d is not None:
        d.decision = Decision.WITHDRAWN.value
        d.decided_at = timeutil.now()
    eng.state = EngagementState.CANCELLED.value
    eng.cancelled_at = timeutil.now()
    eng.cancel_reason = reason[:500]
    audit.record(tag, eng.public_id, {"reason": reason},
                 organisation_id=eng.owner_org_id if user is None else None)
    _send(events.EngagementCancelled(at=eng.cancelled_at, **_facts(eng)))


# -- what the award's fate does to its engagement ---------------------------------------------------


def _unsigned_reason(eng: Engagement) -> str:
    return f"签约期限（{eng.signing_due.isoformat()}）届满仍未签订合同，视为放弃中选"


def lapse_unsigned(now: datetime | None = None) -> int:
    """System (``flask clocks tick``, on any instance): every engagement still without a
    confirmed contract after its signing limit (签约期限) ends — its signing clock closed as
    cancelled, the engagement cancelled — and its award counts as a decline (放弃中选, by
    ``system``), passed to the next alternate of the published ranking, or the request fails
    when none remains (the owner may re-announce it).  Each is done exactly once even when
    several runs race: the engagement's row lock is the claim, and a run that waited for it
    finds the engagement already cancelled.  Commits per engagement; returns how many lapsed."""
    now = now or timeutil.now()
    today = local_date(now)
    due = db.session.scalars(sa.select(Engagement.id).where(
        Engagement.state == EngagementState.SIGNING.value, Engagement.signing_due < today)
        .order_by(Engagement.id)).all()
    lapsed = 0
    for eng_id in due:
        eng = lock_row(Engagement, eng_id)
        if eng.state != EngagementState.SIGNING or not eng.signing_due < today:
            db.session.commit()  # a concurrent run (or a late confirmation) was first
            continue
        award = lock_row(Award, eng.award_id)
        reason = _unsigned_reason(eng)
        _close(eng, reason, None, "system:engagement:unsigned")
        if award.state == AwardState.CONFIRMED:
            procedures.pass_on(award, AwardState.DECLINED, reason, procedures.SYSTEM,
                               tag="system:award:unsigned")
        db.session.commit()
        lapsed += 1
    return lapsed


def cancel_for_lost_award(award_id: int) -> None:
    """System (the receiver of ``award.voided`` and ``award.passed``): an award that started an
    engagement was voided (an upheld objection, 异议成立) or passed on — the engagement, if
    still unfinished, is cancelled with the public reason, its clocks closed as cancelled.  An
    engagement already cancelled (a missed signing limit cancels it before its award passes
    on) is left as it is."""
    eng = db.session.scalar(sa.select(Engagement).where(Engagement.award_id == award_id))
    if eng is None or eng.finished:
        return
    award = db.session.get(Award, award_id)
    eng = _locked(eng)
    reason = (award.decline_reason if award is not None and award.decline_reason else
              "中选结果作废")
    _close(eng, f"中选结果作废，委托取消：{reason}", None, "system:engagement:void")


# -- as the credit score reads it -----------------------------------------------------------------


def on_time_rate(agency_org_id: int) -> float | None:
    """The share of the agency's accepted engagements finished within their committed days
    (None before the first one)."""
    finished = db.session.execute(
        sa.select(sa.func.count(), sa.func.sum(sa.case((Engagement.on_time.is_(True), 1),
                                                       else_=0)))
        .where(Engagement.agency_org_id == agency_org_id,
               Engagement.state == EngagementState.ACCEPTED.value,
               Engagement.on_time.is_not(None))).one()
    return (finished[1] or 0) / finished[0] if finished[0] else None
