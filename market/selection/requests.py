"""Projects and selection requests: drafting, publishing, amending (采购公告、更正公告).

Who may call: the owner organisation's administrator or delegates, for their own organisation
(the views check the role; these functions check the organisation).
"""

from __future__ import annotations

import unicodedata
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from market import audit, timeutil
from market.accounts.models import Membership, Organisation, OrgKind, OrgStatus, Role, User
from market.calendar.service import current_calendar
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.calendar import local_date, local_day_start
from market.domain.codes import normalise_project_code, validate_project_code
from market.domain.entropy import GAMES, ExternalKind
from market.domain.fees import MAX_FEE_FEN
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.i18n import N_
from market.selection.errors import SelectionError
from market.selection.logtext import event_text, label_text, one_line
from market.selection.models import (
    Amendment,
    AvoidEntry,
    FundSource,
    Method,
    Project,
    RequestState,
    SelectionRequest,
    Witness,
)


def _placeholder() -> str:
    return "tmp-" + uuid.uuid4().hex[:24]


def create_project(owner: Organisation, *, name: str, code: str, fund_source: str,
                   investment_fen: int, location: str) -> Project:
    """Register a project (项目) for ``owner``."""
    code = normalise_project_code(code)
    if validate_project_code(code) is not None:
        raise SelectionError("code", N_("投资项目代码格式应为 YYYY-NNNNNN-NN-NN-NNNNNN，如 2026-500116-48-01-123456。"))
    if fund_source not in {f.value for f in FundSource}:
        raise SelectionError("fund_source", N_("请选择资金来源。"))
    if not 0 <= investment_fen <= 10**15:
        raise SelectionError("investment", N_("总投资额不合理。"))
    project = Project(public_id=_placeholder(), owner_org_id=owner.id, name=name.strip(),
                      code=code, fund_source=fund_source, investment_fen=investment_fen,
                      location=location.strip(), created_at=timeutil.now())
    db.session.add(project)
    db.session.flush()
    project.public_id = f"PJ-{project.id:06d}"
    audit.record("owner:project:create", project.public_id, {"name": project.name, "code": code})
    return project


@dataclass
class RequestInput:
    """Everything an owner types into the guided form (采购公告向导)."""

    project_id: int
    service_code: str
    title: str
    scope: str
    qualification_type: str | None
    qualification_level: str | None
    practitioners: dict[str, int]
    price_kind: str
    price_fen: int | None
    cap_fen: int | None
    floor_fen: int | None
    service_days: int
    signing_days: int
    method: str
    signup_closes_at: datetime
    external_kind: str
    external_issue: str
    avoid: list[tuple[str, str]] = field(default_factory=list)  # (agency public id, reason)
    witness_ids: list[int] = field(default_factory=list)  # user ids, in order
    direct_agency: str = ""  # direct selection: the named agency's public id


def eligible_witnesses(owner: Organisation) -> list[tuple[User, str]]:
    """Who may witness an owner's draws: its own people, and the regulators."""
    rows = db.session.execute(
        sa.select(User, Membership.role, Organisation.kind)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(sa.or_(Organisation.id == owner.id,
                      Organisation.kind == OrgKind.REGULATOR.value))
        .order_by(Organisation.kind, User.id)
    ).all()
    seen: dict[int, tuple[User, str]] = {}
    for user, role, kind in rows:
        label = "监管人员" if kind == OrgKind.REGULATOR.value else (
            "采购受托人" if role == Role.OWNER_DELEGATE.value else "采购管理人")
        seen.setdefault(user.id, (user, label))
    return list(seen.values())


def external_label(kind: str, issue: str) -> str:
    if kind == ExternalKind.DRAND:
        return "drand quicknet"
    return unicodedata.normalize("NFC", f"{GAMES[ExternalKind(kind)].name} {issue.strip()}")


def _check(owner: Organisation, data: RequestInput, now: datetime) -> tuple[Project, ServiceType]:
    project = db.session.get(Project, data.project_id)
    if project is None or project.owner_org_id != owner.id:
        raise SelectionError("project_id", N_("请选择本单位的项目。"))
    service = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == data.service_code))
    if service is None:
        raise SelectionError("service_code", N_("请选择中介服务事项。"))
    if not data.title.strip():
        raise SelectionError("title", N_("请填写此项。"))
    if not data.scope.strip():
        raise SelectionError("scope", N_("请填写服务范围。"))
    if data.qualification_level and data.qualification_level not in QUALIFICATION_LEVELS:
        raise SelectionError("qualification_level", N_("请选择资质等级。"))
    if data.qualification_level and not data.qualification_type:
        raise SelectionError("qualification_type", N_("要求资质等级时须写明资质类别。"))
    for kind, count in data.practitioners.items():
        if not kind.strip() or not 1 <= count <= 50:
            raise SelectionError("practitioners", N_("执业人员要求每行写“证书类别 人数”，人数 1–50。"))
    if data.price_kind == "fixed":
        if data.price_fen is None or not 0 < data.price_fen <= MAX_FEE_FEN:
            raise SelectionError("price", N_("服务费须大于 0 且不超过 1 亿元。"))
    elif data.price_kind == "cap":
        if data.cap_fen is None or not 0 < data.cap_fen <= MAX_FEE_FEN:
            raise SelectionError("cap", N_("最高限价须大于 0 且不超过 1 亿元。"))
        if data.floor_fen is not None and not 0 <= data.floor_fen <= data.cap_fen:
            raise SelectionError("floor", N_("最低限价不能高于最高限价。"))
    else:
        raise SelectionError("price_kind", N_("请选择价格方式。"))
    if not 1 <= data.service_days <= 365:
        raise SelectionError("service_days", N_("服务时限须为 1–365 个工作日。"))
    if not 1 <= data.signing_days <= 30:
        raise SelectionError("signing_days", N_("合同签订时限须为 1–30 个工作日。"))
    if data.method not in {m.value for m in Method}:
        raise SelectionError("method", N_("请选择选取方式。"))
    if data.method in (Method.LOTTERY, Method.CREDIT_MERIT) and data.price_kind != "fixed":
        # Agencies signing up for a draw accept the published price; quotes are for sealed bids.
        raise SelectionError("price_kind", N_("随机抽取和信用择优须采用固定价格，报名即接受该价格。"))
    if data.method == Method.SEALED_BID and data.price_kind != "cap":
        raise SelectionError("price_kind", N_("竞价须设最高限价（可设最低限价），报价在此范围内。"))
    if data.method == Method.DIRECT:
        _check_direct(owner, project, data, now)
        return project, service
    min_days = int(current_app.config["SIGNUP_MIN_WORKING_DAYS"])
    earliest = current_calendar().add_working_days(local_date(now), min_days)
    if data.signup_closes_at.tzinfo is None or local_date(data.signup_closes_at) < earliest:
        raise SelectionError("signup_closes_at", N_("报名期至少 %(days)s 个工作日：截止时间不得早于 %(date)s。"),
                             days=min_days, date=earliest.isoformat())
    if data.external_kind not in {k.value for k in ExternalKind}:
        raise SelectionError("external_kind", N_("请选择外部随机数来源。"))
    if data.external_kind != ExternalKind.DRAND and not data.external_issue.strip():
        raise SelectionError("external_issue", N_("请填写开奖期号，如 2026138期。"))
    # The label is logged in the announcement's entropy plan: the log's own rule, here, so
    # that a draft that could never be published is refused when it is saved.
    label_text(external_label(data.external_kind, data.external_issue), "external_issue")
    if not data.witness_ids:
        raise SelectionError("witnesses", N_("至少需要一名见证人。"))
    if len(set(data.witness_ids)) != len(data.witness_ids):
        raise SelectionError("witnesses", N_("每位见证人须是不同的账户。"))
    allowed = {u.id for u, _ in eligible_witnesses(owner)}
    if not set(data.witness_ids) <= allowed:
        raise SelectionError("witnesses", N_("见证人须是本单位人员或监管人员。"))
    if data.method == Method.SEALED_BID and not db.session.scalar(sa.select(Membership.id).where(
            Membership.organisation_id == owner.id, Membership.user_id.in_(data.witness_ids),
            Membership.role == Role.OWNER_DELEGATE.value).limit(1)):
        # a tie is drawn at the opening: the owner's delegate must be there to witness it
        raise SelectionError("witnesses", N_("竞价的见证人中须至少有一名本单位的采购受托人（开标时如有并列最低价，须现场见证摇号）。"))
    for agency_id, reason in data.avoid:
        if not reason.strip() or len(reason) > 500:
            raise SelectionError("avoid", N_("每个回避单位都须写明理由。"))
        if _agency(agency_id) is None:
            raise SelectionError("avoid", N_("回避名单中的 %(id)s 不是已入驻的中介机构。"), id=agency_id)
    return project, service


def _check_direct(owner: Organisation, project: Project, data: RequestInput,
                  now: datetime) -> None:
    """Direct selection (直接选取): only social funds or a fee under the threshold, a fixed
    price, and an admitted agency that is eligible today."""
    from market.selection.eligibility import REASON_TEXT

    threshold = int(current_app.config["DIRECT_SELECTION_THRESHOLD_FEN"])
    if data.price_kind != "fixed":
        raise SelectionError("price_kind", N_("直接选取须采用固定价格。"))
    if project.fund_source != FundSource.SOCIAL and (data.price_fen or 0) >= threshold:
        raise SelectionError("method", N_("直接选取只适用于社会资金项目，或服务费低于 %(yuan)s 元的项目。"),
                             yuan=f"{threshold // 100:,}")
    agency = _agency(data.direct_agency)
    if agency is None:
        raise SelectionError("direct_agency", N_("请填写已入驻中介机构的编号，如 AG-000012。"))
    from market.domain.eligibility import RequestFacts, ineligibility
    from market.selection.eligibility import agency_facts

    wanted = RequestFacts(
        service_code=data.service_code, owner_org_id=owner.id,
        owner_credit_code=owner.credit_code,
        qualification_type=(data.qualification_type or "").strip() or None,
        qualification_level=data.qualification_level or None,
        practitioners=dict(data.practitioners),
        avoid=frozenset(a.strip() for a, _r in data.avoid))
    problems = ineligibility(agency_facts(agency), wanted, local_date(now))
    if problems:
        raise SelectionError("direct_agency", N_("该机构不符合条件：%(reasons)s"),
                             reasons="；".join(REASON_TEXT[r] for r in problems))


def _agency(public_id: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(
        Organisation.public_id == public_id.strip(), Organisation.kind == OrgKind.AGENCY.value,
        Organisation.status == OrgStatus.ADMITTED.value))


def _apply(request: SelectionRequest, data: RequestInput, service: ServiceType) -> None:
    request.project_id = data.project_id
    request.service_type_id = service.id
    request.title = data.title.strip()
    request.scope = data.scope.strip()
    request.qualification_type = (data.qualification_type or "").strip() or None
    request.qualification_level = data.qualification_level or None
    request.practitioners = dict(data.practitioners)
    request.price_kind = data.price_kind
    request.price_fen = data.price_fen if data.price_kind == "fixed" else None
    request.cap_fen = data.cap_fen if data.price_kind == "cap" else None
    request.floor_fen = data.floor_fen if data.price_kind == "cap" else None
    request.service_days = data.service_days
    request.signing_days = data.signing_days
    request.method = data.method
    request.signup_closes_at = data.signup_closes_at
    request.external_kind = data.external_kind
    request.external_label = external_label(data.external_kind, data.external_issue)
    direct = _agency(data.direct_agency) if data.method == Method.DIRECT else None
    request.direct_agency_org_id = direct.id if direct else None
    request.avoid = [AvoidEntry(agency_org_id=_agency(a).id, reason=r.strip())  # type: ignore[union-attr]
                     for a, r in data.avoid]
    wanted = list(data.witness_ids)
    if [w.user_id for w in sorted(request.witnesses, key=lambda w: w.position)] != wanted:
        if request.witnesses:
            # The old rows go first: (request, position) and (request, user) are unique, and
            # the unit of work would insert the new rows before deleting the old ones.
            request.witnesses = []
            db.session.flush()
        request.witnesses = [
            Witness(position=i, user_id=uid,
                    label=f"见证人{i + 1}（{db.session.get(User, uid).account_id}）")  # type: ignore[union-attr]
            for i, uid in enumerate(wanted)]


def save_draft(owner: Organisation, data: RequestInput, user: User,
               request: SelectionRequest | None = None) -> SelectionRequest:
    """Create or update a draft; drafts are private to the owner."""
    now = timeutil.now()
    _project, service = _check(owner, data, now)
    if request is None:
        request = SelectionRequest(public_id=_placeholder(), owner_org_id=owner.id,
                                   state=RequestState.DRAFT.value, version=1, created_at=now,
                                   created_by_id=user.id)
        db.session.add(request)
    elif request.owner_org_id != owner.id or request.state != RequestState.DRAFT:
        raise SelectionError(None, N_("只有草稿可以这样修改。"))
    _apply(request, data, service)
    db.session.flush()
    if request.public_id.startswith("tmp-"):
        request.public_id = f"RQ-{request.id:06d}"
    audit.record("owner:request:save-draft", request.public_id, {"title": request.title})
    return request


def publish(owner: Organisation, request: SelectionRequest) -> SelectionRequest:
    """Publish a draft: the public notice and the draw's announcement (logged)."""
    from market.selection import draw

    if request.owner_org_id != owner.id or request.state != RequestState.DRAFT:
        raise SelectionError(None, N_("只有本单位的草稿可以发布。"))
    now = timeutil.now()
    data = input_of(request)
    _check(owner, data, now)
    request.state = RequestState.OPEN.value
    request.published_at = now
    if request.method in draw.LOTTERY_METHODS:
        draw.announce(request, replaces=None)
    elif request.method == Method.DIRECT:
        # no window: the named agency is offered the award now and must confirm
        request.signup_closes_at = now
        request.closed_at = now
        request.state = RequestState.SELECTED.value
        draw.offer_award(request, None, request.direct_agency.public_id, 0, now)
    audit.record("owner:request:publish", request.public_id, {"closes": timeutil.iso_z(request.signup_closes_at)})
    return request


def input_of(request: SelectionRequest) -> RequestInput:
    issue = request.external_label.split(" ", 1)[1] if " " in request.external_label else ""
    return RequestInput(
        project_id=request.project_id, service_code=request.service_type.code,
        title=request.title, scope=request.scope,
        qualification_type=request.qualification_type,
        qualification_level=request.qualification_level,
        practitioners=dict(request.practitioners or {}), price_kind=request.price_kind,
        price_fen=request.price_fen, cap_fen=request.cap_fen, floor_fen=request.floor_fen,
        service_days=request.service_days, signing_days=request.signing_days,
        method=request.method, signup_closes_at=request.signup_closes_at,
        external_kind=request.external_kind, external_issue=issue,
        avoid=[(a.agency.public_id, a.reason) for a in request.avoid],
        witness_ids=[w.user_id for w in request.witnesses],
        direct_agency=request.direct_agency.public_id if request.direct_agency else "",
    )


# Fields whose change after the first sign-up gives agencies 3 more working days (domain.md).
_EXTENDING = {"price_kind", "price_fen", "cap_fen", "floor_fen", "method", "signup_closes_at"}


def amend(owner: Organisation, request: SelectionRequest, data: RequestInput, reason: str,
          user: User) -> Amendment:
    """Amend an open request before it closes (更正公告), with a published reason.

    The draw's announcement covers the terms, so an amendment voids the current lottery (before
    its freeze, which the rules allow) and announces a new one that names it; the agencies
    already signed up stay signed up.  Changing the price, method or window after the first
    sign-up extends the window by 3 working days.
    """
    from market.selection import draw

    if request.owner_org_id != owner.id or request.state != RequestState.OPEN:
        raise SelectionError(None, N_("只有报名中的公告可以更正。"))
    now = timeutil.now()
    if now >= request.signup_closes_at:
        raise SelectionError(None, N_("报名已截止，不能再更正。"))
    if not reason.strip() or len(reason) > 500:
        raise SelectionError("reason", N_("请写明更正理由（不超过 500 字）。"))
    logged = event_text(N_("公告更正：%(reason)s") % {"reason": one_line(reason, 400)}, "reason")
    before = input_of(request)
    _project, service = _check(owner, data, now)
    changes = {k: [str(getattr(before, k)), str(getattr(data, k))]
               for k in vars(data) if getattr(before, k) != getattr(data, k)}
    if not changes:
        raise SelectionError(None, N_("没有任何改动。"))
    has_signups = any(s.active for s in request.signups)
    if has_signups and ({k for k in changes} & _EXTENDING or "price" in changes):
        extended = local_day_start(current_calendar().add_working_days(
            local_date(data.signup_closes_at), 3)) + (
            data.signup_closes_at - local_day_start(local_date(data.signup_closes_at)))
        data.signup_closes_at = extended
        changes["signup_closes_at"] = [str(before.signup_closes_at), str(extended)]
    _apply(request, data, service)
    request.version += 1
    amendment = Amendment(request=request, version=request.version, reason=reason.strip(),
                          changes=changes, at=now, by_id=user.id)
    db.session.add(amendment)
    draw.reannounce(request, logged)
    audit.record("owner:request:amend", request.public_id, {"version": request.version,
                                                            "reason": reason.strip()})
    return amendment
