"""Case events from an approval system (一网通办): the approval side in the law's order.

:func:`receive` applies one event of ``shared/spec/integration.md`` §3 to its case, or refuses
it with a status and a code before anything is written (:class:`CaseEventError`; the request
then rolls back).  The rules:

- 补正 (行政许可法 Art. 32) happens before 受理: ``returned_for_correction`` and
  ``resubmitted`` only on a ``preparing`` case; it is the applicant's time, the clock has not
  started.  Art. 32 (4): the department tells the applicant everything to correct at once,
  on the spot or within five days (working days, Art. 82) of receiving the application;
  otherwise the application counts as accepted from its receipt.  So a first 补正 notice
  after that window is refused (``correction_too_late``), and a case accepted after it
  without a notice is accepted from its receipt (``acceptance = 'deemed'``): its clock starts
  at the receipt and no acceptance condition can hold it back any more.
- ``accepted`` needs every acceptance condition (受理条件) of the matter met: an accepted
  deliverable of an engagement of the project for each ``precondition`` service type.
  Otherwise only 容缺受理 (``tolerated_acceptance``, the report due within ``expected_days``
  working days) or 告知承诺 (``pledge_acceptance``) accept the case.
- A special procedure (特别程序, Art. 45) carries one of the law's reasons (听证、招标、拍卖、
  检验、检测、检疫、鉴定、专家评审), suspends a running clock and gets a written notice in the
  department's name; linked to an engagement, its length is the engagement's committed days
  and it ends when the deliverable is accepted (or when the department ends it).
- A case handled in a unified, joint or centralised way (统一办理、联合办理、集中办理, Art. 26)
  says so on ``applied`` (``joint``): Art. 42 gives it 45 working days in all whatever its
  matter's own limits (:mod:`market.domain.approval_limits`).
- An extension (Art. 42) is approved by a named official and its reason is told to the
  applicant: at most 10 working days approved by the department's head (本行政机关负责人);
  for a joint case at most 15 approved by the head of the people's government at that level
  (本级人民政府负责人), and only for a joint case (422 ``joint_mismatch``; ``joint`` may be left
  out, the case's own handling decides); one per case.
- Events of one case must not go back in time (409 ``stale_event``); the same ``event_id``
  from the same client answers as the first time, another body under it is 409
  ``event_id_reused``.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, OperationalError

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation
from market.accounts.scope import ListScope
from market.approvals.models import ApprovalCase, CaseEvent, CaseState, Suspension
from market.catalogue import choices as catalogue_choices
from market.catalogue.models import ApprovalMatter, Need, approval_matter_service_type
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockKind
from market.db import db, lock_row
from market.domain import approval_limits
from market.domain.clock import ClockError, ClockView
from market.engagements.models import Engagement, EngagementState
from market.refusal import Refused
from market.selection.models import Project

EVENT_TYPES = ("applied", "returned_for_correction", "resubmitted", "accepted",
               "tolerated_acceptance", "pledge_acceptance", "special_procedure_started",
               "special_procedure_ended", "extended", "decided", "withdrawn")

# 行政许可法第四十五条: the only times not counted in the statutory period.
SPECIAL_REASONS = {
    "hearing": "听证",
    "tendering": "招标",
    "auction": "拍卖",
    "inspection": "检验",
    "testing": "检测",
    "quarantine": "检疫",
    "appraisal": "鉴定",
    "expert_review": "专家评审",
}
MAX_EXPECTED_DAYS = 250
MAX_EXTENSION_DAYS = approval_limits.EXTENSION_DAYS
MAX_JOINT_EXTENSION_DAYS = approval_limits.JOINT_EXTENSION_DAYS
CORRECTION_NOTICE_DAYS = 5  # Art. 32 (4): 当场或者在五日内一次告知 (Art. 82: working days)
MAX_REASON_LENGTH = 500
# An event dated later than this past the server's clock is refused: the sender's clock is off.
FUTURE_TOLERANCE = timedelta(minutes=5)
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([Zz]|[+-]\d{2}:\d{2})$")

RUNNING_STATES = (CaseState.ACCEPTED.value, CaseState.RUNNING.value)


class CaseEventError(Refused):
    """A refused case event: ``status`` and ``code`` as the API answers them."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def _set_limits(case: ApprovalCase, matter: ApprovalMatter, joint: bool) -> None:
    """The case's limits as Art. 42 sets them for its handling (its clock starts with them at
    受理)."""
    limit = approval_limits.case_limit(matter.statutory_days, matter.committed_days,
                                       joint=joint)
    case.joint = limit.joint
    case.statutory_days, case.limit_days = limit.statutory_days, limit.limit_days


@dataclass(frozen=True)
class CaseEventData:
    """One event as the API received it (the fields of §3; absent ones ``None``)."""

    event_id: str
    case_no: str
    project_code: str
    matter_code: str
    type: str
    at: str
    reason: str | None = None
    expected_days: int | None = None
    engagement_id: str | None = None
    days: int | None = None
    approved_by: str | None = None
    outcome: str | None = None
    joint: bool | None = None
    extension_reason: str | None = None


@dataclass(frozen=True)
class Outcome:
    status: int  # 201 for a new case, 200 otherwise (and for a repeated event)
    result: dict[str, Any]


def body_hash(raw: dict[str, Any]) -> str:
    """SHA-256 of the body's canonical JSON: a repeated event is the same object, whatever
    the order of its keys or its spacing."""
    canonical = json.dumps(raw, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def parse_time(text: str) -> datetime:
    """An RFC 3339 time with its offset, as aware UTC; 422 ``invalid_time`` otherwise."""
    if not RFC3339.match(text):
        raise CaseEventError(422, "invalid_time", _("at 须为带时差的 RFC 3339 时间，如 "
                             "2026-03-02T09:30:00+08:00。"))
    try:
        value = datetime.fromisoformat(text.replace("z", "Z").replace("t", "T"))
    except ValueError:
        raise CaseEventError(422, "invalid_time", _("at 不是有效的时间。")) from None
    if value.tzinfo is None:  # pragma: no cover - the pattern requires an offset
        raise CaseEventError(422, "invalid_time", _("at 须带时差。"))
    return value.astimezone(UTC)


class EventSource(Protocol):
    """The machine client an event comes from (an ``ApiClient`` of the integration area,
    which sits above approvals and passes itself in)."""

    @property
    def id(self) -> int: ...

    @property
    def client_id(self) -> str: ...

    @property
    def department_id(self) -> int | None: ...


@dataclass(frozen=True)
class Staff:
    """A department's staff member (部门工作人员) recording events through the UI, where no
    approval system is linked: the same rules as a machine client of that department."""

    user_id: int
    account_id: str
    department_id: int


Source = EventSource | Staff


def receive(client: Source, data: CaseEventData, raw: dict[str, Any]) -> Outcome:
    """A machine client with ``cases:write`` (of the matter's department, or the province's
    platform), or a department's :class:`Staff` through the UI: apply one case event.
    Writes the case, its clock, its suspension rows, the :class:`CaseEvent` and an audit
    event naming the client or the staff member; refuses with :class:`CaseEventError` before
    writing anything."""
    digest = body_hash(raw)
    repeat = _repeat(client, data, digest)
    if repeat is not None:
        return repeat
    try:
        return _receive(client, data, raw, digest)
    except OperationalError as error:
        # Waiting for another request's write lock: past SQLite's busy timeout, or chosen
        # by PostgreSQL as a deadlock's victim.  Nothing of this event is kept (the request
        # rolls back); sent again, it is recorded in order.
        if _lost_lock(error):
            raise _concurrent() from None
        raise


# PostgreSQL's deadlock_detected, serialization_failure, lock_not_available.
_LOCK_STATES = ("40P01", "40001", "55P03")


def _lost_lock(error: OperationalError) -> bool:
    original = error.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    return state in _LOCK_STATES or "database is locked" in str(original)


def _concurrent() -> CaseEventError:
    return CaseEventError(409, "concurrent_event", _("同一时间正在记录本办件的另一个事件，请重新发送"
                          "本事件。"))


def _repeat(client: Source, data: CaseEventData, digest: str) -> Outcome | None:
    """The stored answer when this client sent this ``event_id`` before (idempotency); 409
    ``event_id_reused`` when it came with another body.  (Staff events get a fresh id each.)"""
    if isinstance(client, Staff):
        return None
    stored = db.session.scalar(sa.select(CaseEvent).where(
        CaseEvent.client_id == client.id, CaseEvent.event_id == data.event_id))
    if stored is None:
        return None
    if stored.body_hash != digest:
        raise CaseEventError(409, "event_id_reused", _("这个 event_id 已用于另一个事件。"))
    return Outcome(200, dict(stored.result))


def _receive(client: Source, data: CaseEventData, raw: dict[str, Any],
             digest: str) -> Outcome:
    at = parse_time(data.at)
    now = timeutil.now()
    if at > now + FUTURE_TOLERANCE:
        raise CaseEventError(422, "future_event", _("at 晚于当前时间。"))
    matter = db.session.scalar(sa.select(ApprovalMatter).where(
        ApprovalMatter.code == data.matter_code))
    if matter is None:
        raise CaseEventError(422, "unknown_matter", _("没有这个 matter_code 的审批事项。"))
    if client.department_id is not None and matter.department_id != client.department_id:
        raise CaseEventError(403, "wrong_department", _("该审批事项属于其他部门，不属于本接入系统"
                             "所属部门。"))
    case = db.session.scalar(sa.select(ApprovalCase).where(
        ApprovalCase.department_id == matter.department_id, ApprovalCase.case_no == data.case_no))
    status = 200
    if case is None:
        # The marketplace never creates a project from an event: an unknown code is refused
        # whatever the event, before anything is written.
        project = db.session.scalar(sa.select(Project).where(Project.code == data.project_code))
        if project is None:
            raise CaseEventError(422, "unknown_project", _("中介服务超市中没有这个 project_code 的"
                                 "项目。"))
        if data.type != "applied":
            raise CaseEventError(404, "unknown_case", _("没有这个 case_no 的办件；办件的第一个"
                                 "事件是 applied。"))
        if not catalogue_choices.uses_matter(project.owner.tenant_id, matter.id):
            raise CaseEventError(422, "matter_not_used", _("项目业主所在地区未选用该审批事项。"))
        applied = _apply(client, matter, project, data, digest, at)
        if isinstance(applied, Outcome):
            return applied
        case, status = applied
    else:
        case = lock_row(ApprovalCase, case.id)
        # A request with the same event id may have committed while this one waited.
        repeat = _repeat(client, data, digest)
        if repeat is not None:
            return repeat
        if case.matter_id != matter.id or case.project.code != data.project_code:
            raise CaseEventError(422, "case_mismatch", _("这个 case_no 属于其他项目或审批事项。"))
        if case.last_event_at is not None and at < case.last_event_at:
            raise CaseEventError(409, "stale_event", _("at 早于本办件的上一个事件。"))
        _transition(case, data, at)
    case.last_event_at = at
    if isinstance(client, Staff):
        client_pk, user_id = None, client.user_id
    else:
        client_pk, user_id = client.id, None
    try:
        with db.session.begin_nested():
            row = CaseEvent(case_id=case.id, client_id=client_pk, user_id=user_id,
                            event_id=data.event_id, type=data.type, at=at, received_at=now,
                            body_hash=digest, body=raw, status=status, result={})
            db.session.add(row)
            db.session.flush()
    except IntegrityError:
        # The same event id stored for another case at the same time (the case's lock
        # orders the events of one case; nothing orders two cases).
        raise _concurrent() from None
    # The answer once the event is stored: the clock shows what the event itself carries
    # (an extension's reason, kept in the event's body).
    result = {"case_no": case.case_no, "event_id": data.event_id, "type": data.type,
              "clock": clock_json(case)}
    row.result = result
    detail = {"event_id": data.event_id, "case": case.public_id, "state": case.state}
    if isinstance(client, Staff):
        audit.record(f"staff:case:{data.type}", case.case_no or case.public_id,
                     {"user": client.account_id, **detail}, user_id=client.user_id)
    else:
        audit.record(f"client:case:{data.type}", case.case_no or case.public_id,
                     {"client": client.client_id, **detail})
    return Outcome(status, result)


def _apply(client: Source, matter: ApprovalMatter, project: Project, data: CaseEventData,
           digest: str, at: datetime) -> tuple[ApprovalCase, int] | Outcome:
    """``applied`` for a number new to the matter's department (each department numbers its
    own cases): an open case of the same project and matter without a number (one its owner
    opened) is linked, else a case is opened (201 either way: the number is new).  The
    project's row is locked first, so two applications for one project are recorded one
    after the other and the second sees the first's case: one open case per project and
    matter, one case per department and number, 409 ``concurrent_event`` for the one that
    waited."""
    lock_row(Project, project.id)
    repeat = _repeat(client, data, digest)
    if repeat is not None:
        return repeat
    if db.session.scalar(sa.select(ApprovalCase.id).where(
            ApprovalCase.department_id == matter.department_id,
            ApprovalCase.case_no == data.case_no)) is not None:
        raise _concurrent()  # applied for by a request this one waited for
    case = db.session.scalar(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == project.id, ApprovalCase.matter_id == matter.id,
        ApprovalCase.state.notin_((CaseState.DECIDED.value, CaseState.WITHDRAWN.value))))
    if case is not None:
        if case.case_no is not None:
            raise CaseEventError(409, "case_exists", _("该项目已有本审批事项的在办办件，"
                                 "办件编号不同。"))
        if case.state != CaseState.PREPARING:
            raise CaseEventError(422, "already_accepted", _("该项目本审批事项的在办办件已受理。"))
        case = lock_row(ApprovalCase, case.id)
        try:
            with db.session.begin_nested():
                case.case_no, case.department_id = data.case_no, matter.department_id
                case.received_at = at
                _set_limits(case, matter, bool(data.joint))
                db.session.flush()
        except IntegrityError:
            # The same number given at the same time to a case of another project (the
            # project's lock orders one project's applications only), as below.
            raise _concurrent() from None
        return case, 201
    case = ApprovalCase(public_id="tmp-" + uuid.uuid4().hex[:24], project_id=project.id,
                        matter_id=matter.id, owner_org_id=project.owner_org_id,
                        state=CaseState.PREPARING.value, created_at=at,
                        received_at=at, case_no=data.case_no,
                        department_id=matter.department_id)
    _set_limits(case, matter, bool(data.joint))
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        # The same number of the department applied for at the same time for another project
        # (the project's lock orders the applications of one project only).
        raise _concurrent() from None
    case.public_id = f"BJ-{case.id:06d}"
    return case, 201


def _refuse_closed(case: ApprovalCase) -> None:
    if case.state == CaseState.DECIDED:
        raise CaseEventError(422, "already_decided", _("办件已办结。"))
    if case.state == CaseState.WITHDRAWN:
        raise CaseEventError(422, "withdrawn", _("办件已撤回。"))


def _transition(case: ApprovalCase, data: CaseEventData, at: datetime) -> None:
    _refuse_closed(case)
    kind = data.type
    if kind == "applied":
        raise CaseEventError(422, "already_applied", _("办件已申请过。"))
    if kind in ("returned_for_correction", "resubmitted"):
        if case.state != CaseState.PREPARING:
            raise CaseEventError(422, "already_accepted", _("补正在受理之前；办件已受理。"))
        if kind == "returned_for_correction":
            if case.correction_since is not None:
                raise CaseEventError(422, "in_correction", _("办件已在补正中。"))
            window = correction_window(case)
            if window is not None and window.deemed_on(at):
                raise CaseEventError(422, "correction_too_late", _(
                    "补正须在收到申请材料后五个工作日内（至 %(due)s）一次告知；逾期未告知，"
                    "申请自收到申请材料之日起即为受理（行政许可法第三十二条）。",
                    due=window.due.isoformat()))
            case.correction_since = at
        else:
            if case.correction_since is None:
                raise CaseEventError(422, "not_in_correction", _("办件没有被退回补正。"))
            case.correction_since = None
        return
    if kind in ("accepted", "tolerated_acceptance", "pledge_acceptance"):
        _accept(case, data, at)
    elif kind == "special_procedure_started":
        _start_special(case, data, at)
    elif kind == "special_procedure_ended":
        _end_special(case, at)
    elif kind == "extended":
        _extend(case, data, at)
    elif kind == "decided":
        _decide(case, data, at)
    elif kind == "withdrawn":
        _withdraw(case, at)


@dataclass(frozen=True)
class CorrectionWindow:
    """Art. 32 (4) for one case: received on ``received`` (Shanghai date), the one-time 补正
    notice due by the end of ``due``; ``noticed`` when a notice was given."""

    received: date
    due: date
    noticed: bool

    def deemed_on(self, at: datetime) -> bool:
        """Whether, at ``at``, the application counts as accepted from its receipt."""
        return not self.noticed and at.astimezone(timeutil.SHANGHAI).date() > self.due


def correction_window(case: ApprovalCase) -> CorrectionWindow | None:
    """The case's 补正 notice window, from its receipt (the ``applied`` event); None before
    the department received the application."""
    if case.received_at is None:
        return None
    received = case.received_at.astimezone(timeutil.SHANGHAI).date()
    noticed = case.correction_since is not None or db.session.scalar(
        sa.select(CaseEvent.id).where(CaseEvent.case_id == case.id,
                                      CaseEvent.type == "returned_for_correction").limit(1)
    ) is not None
    # a case counts in its owner's tenant's calendar, as its clock (the department's case)
    return CorrectionWindow(received, clocks.calendar(case.owner.tenant_id).add_working_days(
        received, CORRECTION_NOTICE_DAYS), noticed)


def missing_preconditions(case: ApprovalCase) -> list[str]:
    """Codes of the matter's acceptance conditions (受理条件) without an accepted deliverable
    of an engagement of the case's project."""
    needed = db.session.execute(sa.select(
        approval_matter_service_type.c.service_type_id).where(
        approval_matter_service_type.c.approval_matter_id == case.matter_id,
        approval_matter_service_type.c.need == Need.PRECONDITION.value)).scalars().all()
    missing = []
    for st in case.matter.service_types:
        if st.id not in needed:
            continue
        done = db.session.scalar(sa.select(Engagement.id).where(
            Engagement.project_id == case.project_id, Engagement.service_type_id == st.id,
            Engagement.state == EngagementState.ACCEPTED.value).limit(1))
        if done is None:
            missing.append(st.code)
    return missing


def tolerated_overdue(today: date, within: ListScope | None = None,
                      ) -> list[tuple[ApprovalCase, list[str]]]:
    """Cases accepted by 容缺受理 whose missing reports were not delivered by their due date,
    with the codes still missing: the regulator's list (in ``within``, a regulator's lists, if
    given: a case by its owner's tenant; no industry regulator's)."""
    stmt = sa.select(ApprovalCase).where(
        ApprovalCase.acceptance == "tolerated", ApprovalCase.tolerated_until < today,
        ApprovalCase.state != CaseState.WITHDRAWN.value).order_by(ApprovalCase.tolerated_until)
    if within is not None and within.regulator_id is not None:
        return []
    if within is not None and within.tenant_id is not None:
        stmt = stmt.join(Organisation, Organisation.id == ApprovalCase.owner_org_id).where(
            Organisation.tenant_id == within.tenant_id)
    rows = db.session.scalars(stmt)
    out = []
    for case in rows:
        missing = missing_preconditions(case)
        if missing:
            out.append((case, missing))
    return out


def _clock_at(case: ApprovalCase, at: datetime) -> datetime:
    """The clock's events must be strictly increasing; two events of a case at the same
    second keep their order one second apart."""
    clock = _clock(case)
    if clock is not None and clock.last_at is not None and at <= clock.last_at:
        return clock.last_at + timedelta(seconds=1)
    return at


def _clock(case: ApprovalCase) -> Clock | None:
    return db.session.get(Clock, case.clock_id) if case.clock_id else None


def _record(case: ApprovalCase, kind: str, at: datetime, **kw: Any) -> None:
    clock = _clock(case)
    if clock is None:  # pragma: no cover - every state that records has a clock
        raise CaseEventError(422, "not_accepted", _("办件尚未受理。"))
    try:
        clocks.record(clock, kind, at=_clock_at(case, at), **kw)
    except ClockError as error:
        raise CaseEventError(409, "stale_event", _("时限不接受这个事件：%(why)s", why=str(error))) \
            from None


def _accept(case: ApprovalCase, data: CaseEventData, at: datetime) -> None:
    if case.state != CaseState.PREPARING:
        raise CaseEventError(422, "already_accepted", _("办件已受理。"))
    if case.correction_since is not None:
        raise CaseEventError(422, "in_correction", _("办件在补正中，补正后（resubmitted）才能"
                             "受理。"))
    start = at
    window = correction_window(case)
    deemed = window is not None and window.deemed_on(at)
    if deemed and case.received_at is not None:
        # Art. 32 (4): accepted from the receipt of the application, whatever is missing.
        start = case.received_at
    if data.type == "accepted" and deemed:
        case.acceptance = "deemed"
    elif data.type == "accepted":
        missing = missing_preconditions(case)
        if missing:
            raise CaseEventError(422, "precondition_missing", _("以下受理条件还没有通过验收的成果："
                                   "%(missing)s（可用 tolerated_acceptance 容缺受理或 "
                                   "pledge_acceptance 告知承诺）。", missing=", ".join(missing)))
        case.acceptance = "complete"
    elif data.type == "tolerated_acceptance":
        days = data.expected_days
        if days is None or not 1 <= days <= MAX_EXPECTED_DAYS:
            raise CaseEventError(422, "expected_days_required", _("容缺受理须给出 expected_days，"
                                 "1 至 %(n)s。", n=MAX_EXPECTED_DAYS))
        case.acceptance = "tolerated"
        local = at.astimezone(timeutil.SHANGHAI).date()
        case.tolerated_until = clocks.calendar(case.owner.tenant_id).add_working_days(
            local, days)
    else:
        case.acceptance = "pledge"
    clock = clocks.new_clock(ClockKind.CASE, case.limit_days, case_id=case.id,
                             tenant_id=case.owner.tenant_id)
    case.clock_id = clock.id
    _record(case, "start", start)
    case.state = CaseState.ACCEPTED.value
    case.accepted_at = start


def _start_special(case: ApprovalCase, data: CaseEventData, at: datetime) -> None:
    if case.state not in RUNNING_STATES:
        raise CaseEventError(422, "not_running", _("特别程序只能暂停正在计时的办件。"))
    if data.reason not in SPECIAL_REASONS:
        raise CaseEventError(422, "reason_required", _("reason 须为以下之一：%(reasons)s。",
                                                      reasons=", ".join(SPECIAL_REASONS)))
    engagement = None
    if data.engagement_id is not None:
        engagement = db.session.scalar(sa.select(Engagement).where(
            Engagement.public_id == data.engagement_id,
            Engagement.project_id == case.project_id))
        if engagement is None:
            raise CaseEventError(422, "unknown_engagement", _("本办件的项目中没有这个 engagement_id "
                                 "的委托。"))
        if engagement.state in (EngagementState.ACCEPTED.value,
                                EngagementState.CANCELLED.value):
            raise CaseEventError(422, "engagement_finished", _("该委托已结束。"))
        days = engagement.service_days
    else:
        if data.expected_days is None or not 1 <= data.expected_days <= MAX_EXPECTED_DAYS:
            raise CaseEventError(422, "expected_days_required", _("expected_days 须为 1 至 %(n)s（或给出 "
                                 "engagement_id）。", n=MAX_EXPECTED_DAYS))
        days = data.expected_days
    local = at.astimezone(timeutil.SHANGHAI).date()
    end = clocks.calendar(case.owner.tenant_id).add_working_days(local, days)
    _record(case, "pause", at, reason=data.reason, note=data.engagement_id or "")
    db.session.add(Suspension(case_id=case.id, reason=data.reason, expected_days=days,
                              expected_end=end, note="", started_at=at,
                              engagement_id=engagement.id if engagement else None,
                              notice=_notice(case, data.reason or "", days, end, engagement,
                                             local)))
    case.state = CaseState.SUSPENDED.value
    db.session.flush()


def _notice(case: ApprovalCase, reason: str, days: int, end: Any,
            engagement: Engagement | None, today: Any) -> str:
    """The written notice (行政许可法第四十五条), in the department's name."""
    head = (f"{case.owner.name}：\n你单位申请的“{case.matter.name}”"
            f"（办件编号 {case.case_no}，项目 {case.project.name}）")
    word = SPECIAL_REASONS[reason]
    if engagement is not None:
        body = (f"需要进行{word}，由{engagement.agency.name}承担（委托编号 {engagement.public_id}），"
                f"承诺服务时限为 {days} 个工作日，预计于 {end.isoformat()} 前完成。")
        tail = "成果验收后恢复计时。"
    else:
        body = f"需要进行{word}，预计需要 {days} 个工作日（至 {end.isoformat()}）。"
        tail = f"{word}结束后恢复计时。"
    return (f"{head}{body}根据《中华人民共和国行政许可法》第四十五条，所需时间不计算在审批期限内，"
            f"本办件自 {today.isoformat()} 起暂停计时，{tail}\n\n{case.matter.department.name}\n"
            f"{today.isoformat()}")


def _open_suspension(case: ApprovalCase) -> Suspension | None:
    return db.session.scalar(sa.select(Suspension).where(
        Suspension.case_id == case.id, Suspension.ended_at.is_(None)))


def _end_special(case: ApprovalCase, at: datetime) -> None:
    s = _open_suspension(case)
    if case.state != CaseState.SUSPENDED or s is None:
        raise CaseEventError(422, "not_suspended", _("没有进行中的特别程序。"))
    _record(case, "resume", at, note="department")
    s.ended_at = at
    s.ended_by = "department"
    case.state = CaseState.RUNNING.value


def _extend(case: ApprovalCase, data: CaseEventData, at: datetime) -> None:
    if case.state not in (*RUNNING_STATES, CaseState.SUSPENDED.value):
        raise CaseEventError(422, "not_running", _("只有已受理的办件才能延长时限。"))
    clock = _clock(case)
    if clock is not None and clock.extensions:
        raise CaseEventError(422, "already_extended", _("办件已延长过一次时限。"))
    joint = case.joint
    if data.joint is not None and bool(data.joint) != joint:
        raise CaseEventError(422, "joint_mismatch", _(
            "本办件不是统一办理、联合办理或集中办理的办件，只能由本行政机关负责人批准延长十日"
            "（行政许可法第四十二条）。") if data.joint else _(
            "本办件为统一办理、联合办理或集中办理，延长时限须经本级人民政府负责人批准"
            "（行政许可法第四十二条第二款）。"))
    most = approval_limits.max_extension_days(joint=joint)
    if data.days is None or not 1 <= data.days <= most:
        raise CaseEventError(422, "extension_too_long", _(
            "延长天数须为 1 至 %(n)s 个工作日（行政许可法第四十二条）。", n=most))
    if not data.approved_by or not data.approved_by.strip():
        raise CaseEventError(422, "approved_by_required", _(
            "延长时限须写明批准的负责人（approved_by）：本级人民政府负责人。") if joint else _(
            "延长时限须写明批准的负责人（approved_by）：本行政机关负责人。"))
    if not data.extension_reason or not data.extension_reason.strip():
        raise CaseEventError(422, "extension_reason_required", _(
            "延长时限须写明理由（extension_reason），并告知申请人。"))
    _record(case, "extend", at, days=data.days, reason="art42_joint" if joint else "art42",
            note=data.approved_by.strip()[:200])


def _decide(case: ApprovalCase, data: CaseEventData, at: datetime) -> None:
    if case.state == CaseState.PREPARING:
        raise CaseEventError(422, "not_accepted", _("办件尚未受理。"))
    if case.state == CaseState.SUSPENDED:
        raise CaseEventError(422, "not_running", _("特别程序进行中，请先结束特别程序。"))
    if data.outcome not in ("approved", "refused"):
        raise CaseEventError(422, "outcome_required", _("outcome 须为 approved 或 refused。"))
    _record(case, "stop", at, note=data.outcome or "")
    case.state = CaseState.DECIDED.value
    case.decided_at = at
    case.decision = data.outcome


def _withdraw(case: ApprovalCase, at: datetime) -> None:
    s = _open_suspension(case)
    if s is not None:
        s.ended_at = at
        s.ended_by = "withdrawn"
    if case.clock_id is not None:
        _record(case, "stop", at, note="withdrawn")
    case.state = CaseState.WITHDRAWN.value


def clock_json(case: ApprovalCase) -> dict[str, Any]:
    """The case's clock as every answer of the API shows it (§3)."""
    clock = _clock(case)
    suspensions = list(db.session.scalars(sa.select(Suspension).where(
        Suspension.case_id == case.id).order_by(Suspension.id)))
    extensions = ([e for e in clocks.entries(clock) if e.kind == "extend"]
                  if clock is not None else [])
    return clock_answer(case, clocks.view(clock) if clock is not None else None, suspensions,
                        extensions, _extension_reason(case) if extensions else None)


class ExtensionEntry(Protocol):
    """An ``extend`` entry of a case's clock: a :class:`ClockEntry` or a plain row of its
    columns."""

    @property
    def days(self) -> int | None: ...
    @property
    def note(self) -> str: ...
    @property
    def reason(self) -> str | None: ...
    @property
    def at(self) -> datetime: ...


def clock_answer(case: ApprovalCase, view: ClockView | None,
                 suspensions: Sequence[Suspension], extensions: Sequence[ExtensionEntry],
                 extension_reason: str | None) -> dict[str, Any]:
    """:func:`clock_json` from what the caller read: the view of the case's clock (``None``
    before acceptance), its suspensions in order, its ``extend`` entries in order and the
    reason its ``extended`` event gave (a project's pull reads them for all its cases at
    once)."""
    specials = [{"reason": s.reason, "expected_days": s.expected_days,
                 "due_date": s.expected_end.isoformat() if s.expected_end else None,
                 "started_at": _iso(s.started_at), "ended_at": _iso(s.ended_at),
                 "engagement_id": s.engagement.public_id if s.engagement else None}
                for s in suspensions]
    if view is not None:
        open_s = next((s for s in specials if s["ended_at"] is None), None)
        return {"state": case.state, "limit_days": view.limit + view.extensions,
                "used_days": view.used, "remaining_days": view.remaining,
                "due_date": view.due_date.isoformat() if view.due_date else None,
                "suspended_since": open_s["started_at"] if open_s else None,
                "special_procedures": specials,
                "extensions": [{"days": e.days, "approved_by": e.note,
                                "joint": e.reason == "art42_joint",
                                "reason": extension_reason, "at": _iso(e.at)}
                               for e in extensions], "joint": case.joint}
    return {"state": case.state, "limit_days": case.limit_days, "used_days": 0,
            "remaining_days": case.limit_days, "due_date": None, "suspended_since": None,
            "special_procedures": specials, "extensions": [], "joint": case.joint}


def _extension_reason(case: ApprovalCase) -> str | None:
    """The reason the department gave for the case's extension (kept in its event)."""
    return extension_reason_of(db.session.scalar(sa.select(CaseEvent.body).where(
        CaseEvent.case_id == case.id, CaseEvent.type == "extended").order_by(
        CaseEvent.id.desc()).limit(1)))


def extension_reason_of(body: object) -> str | None:
    """The ``extension_reason`` of an ``extended`` event's stored body."""
    reason = body.get("extension_reason") if isinstance(body, dict) else None
    return reason if isinstance(reason, str) else None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
