"""Projects and selection requests: drafting, publishing, amending (采购公告、更正公告).

Who may call: the owner organisation's administrator or delegates, for their own organisation
(the views check the role; these functions check the organisation).
"""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from market import events, timeutil
from market.accounts import audit
from market.accounts.activation import may_publish
from market.accounts.models import Membership, Organisation, OrgKind, Role, User
from market.accounts.scope import Act, Reach, Subject, covers, reach
from market.calendar.service import current_calendar
from market.catalogue import choices as catalogue_choices
from market.catalogue.models import ServiceType
from market.catalogue.regulators import regulators_of
from market.db import db, lock_row
from market.domain import methods, proposal_scoring, quotes
from market.domain.calendar import local_date, local_day_start
from market.domain.codes import normalise_project_code, validate_project_code
from market.domain.entropy import GAMES, ExternalKind
from market.domain.fees import MAX_FEE_FEN
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.i18n import N_
from market.selection import assignments, avoid_review, draw, procedures
from market.selection.errors import SelectionError
from market.selection.external import SCHEDULE_UNKNOWN, preview_external
from market.selection.logtext import event_text, one_line
from market.selection.models import (
    Amendment,
    AvoidEntry,
    Bid,
    FundSource,
    Lottery,
    Project,
    RequestState,
    SelectionRequest,
    SignUp,
    Witness,
)

# re-exported: the form, the demo and the tests build terms through this module
from market.selection.terms import Problem as Problem
from market.selection.terms import RequestInput as RequestInput
from market.selection.terms import admitted_agency
from market.settings import service as settings


def _placeholder() -> str:
    return "tmp-" + uuid.uuid4().hex[:24]


def _code_taken(owner: Organisation, code: str, existing: Project | None,
                by: Membership | None) -> SelectionError:
    """The refusal of a code already registered.  It names the project only to whom reaches
    it (the administrator, or a delegate it is assigned to: :class:`Reach`); to anyone else it
    says only that the code is taken, the same words whoever registered it, so that a delegate
    does not learn of a project of its organisation kept from it."""
    who = reach(by) if by is not None else Reach(owner.id)
    if existing is not None and who is not None and who.sees(existing.owner_org_id, existing.id):
        return SelectionError("code", N_("本单位已登记投资项目代码为 %(code)s 的项目（%(project)s %(name)s），"
                                         "请在该项目下发起采购，无需重复登记。"),
                              code=code, project=existing.public_id, name=existing.name)
    if existing is not None and existing.owner_org_id != owner.id and (
            who is None or not who.delegate):
        return SelectionError("code", N_("投资项目代码 %(code)s 已由其他单位登记，一个投资项目只能登记一次。"
                                         "请核对代码。"), code=code)
    return SelectionError("code", N_("投资项目代码 %(code)s 已经登记，一个投资项目只能登记一次。"
                                     "请核对代码；如是本单位的项目，请联系本单位采购管理人分派给您。"),
                          code=code)


def create_project(owner: Organisation, *, name: str, code: str, fund_source: str,
                   investment_fen: int, location: str,
                   by: Membership | None = None) -> Project:
    """Register a project (项目) for ``owner``.

    Who may call: the owner organisation's administrator or delegates (``by``, the membership
    acting).  Changes: a project; registered by a delegate, it is assigned to that delegate
    (项目分派), who would not see it otherwise.
    One investment project code (投资项目代码) is one project in the deployment: a code already
    registered, by this owner or another, is refused (the database's unique constraint
    settles two registrations at the same moment)."""
    found = project_problems(code=code, fund_source=fund_source, investment_fen=investment_fen)
    if found:
        raise _refusal(found)
    code = normalise_project_code(code)
    existing = db.session.scalar(sa.select(Project).where(Project.code == code))
    if existing is not None:
        raise _code_taken(owner, code, existing, by)
    project = Project(public_id=_placeholder(), owner_org_id=owner.id, name=name.strip(),
                      code=code, fund_source=fund_source, investment_fen=investment_fen,
                      location=location.strip(), created_at=timeutil.now())
    try:
        with db.session.begin_nested():
            db.session.add(project)
            db.session.flush()
    except IntegrityError:
        # Registered by someone else between the check above and this insert.
        raise _code_taken(owner, code, db.session.scalar(
            sa.select(Project).where(Project.code == code)), by) from None
    project.public_id = f"PJ-{project.id:06d}"
    audit.record("owner:project:create", project.public_id, {"name": project.name, "code": code})
    if by is not None and by.role == Role.OWNER_DELEGATE.value:
        assignments.assign(project, by, by=by.user)
    return project


def project_problems(*, code: str, fund_source: str, investment_fen: int) -> list[Problem]:
    """Every rule a project's facts break (the form shows them all at once); changes nothing."""
    found = []
    if validate_project_code(normalise_project_code(code)) is not None:
        found.append(Problem("code", N_("投资项目代码格式应为 YYYY-NNNNNN-NN-NN-NNNNNN，如 2026-500116-48-01-123456。")))
    if fund_source not in {f.value for f in FundSource}:
        found.append(Problem("fund_source", N_("请选择资金来源。")))
    if not 0 <= investment_fen <= 10**15:
        found.append(Problem("investment", N_("总投资额不合理。")))
    return found


def eligible_witnesses(owner: Organisation, service: ServiceType | None = None
                       ) -> list[tuple[User, str]]:
    """Who may witness an owner's draws: its own people, and the regulators whose scope covers
    its requests (market.accounts.scope): its tenant's, an industry regulator (行业主管部门)
    only for the service types the catalogue maps to it (``service``'s when given; every
    industry regulator of the tenant while the owner has not chosen one yet).  The province
    reads every request but does not act in a city's draw."""
    rows = db.session.execute(
        sa.select(User, Membership.role, Organisation)
        .join(Membership, Membership.user_id == User.id)
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(sa.or_(Organisation.id == owner.id,
                      sa.and_(Organisation.kind == OrgKind.REGULATOR.value,
                              Organisation.tenant_id == owner.tenant_id)))
        .order_by(Organisation.kind, User.id)
    ).all()
    seen: dict[int, tuple[User, str]] = {}
    for user, role, org in rows:
        if org.id != owner.id:
            # no service type chosen yet: any of the tenant's industry regulators
            industry = (frozenset({org.id}) if service is None else
                        regulators_of(service.id, owner.tenant_id))
            if not covers(org, Subject(owner.tenant_id, industry), Act.DECIDE):
                continue
        label = "监管人员" if org.kind == OrgKind.REGULATOR.value else (
            "采购受托人" if role == Role.OWNER_DELEGATE.value else "采购管理人")
        seen.setdefault(user.id, (user, label))
    return list(seen.values())


def external_source_name(kind: str) -> str:
    """The source a request names (its issue or round is planned at each announcement)."""
    if kind == ExternalKind.DRAND:
        return "drand quicknet"
    return GAMES[ExternalKind(kind)].name


def witness_label(position: int, user: User, role: str) -> str:
    """The plan label of a witness: position, name and role (lottery-v1 §5: the label names
    the witness), NFC without control or format characters, at most 64 code points."""
    name = "".join(c for c in unicodedata.normalize("NFC", user.name or user.account_id)
                   if unicodedata.category(c) not in ("Cc", "Cf")).strip()
    return unicodedata.normalize("NFC", f"见证人{position + 1}：{name}（{role}）")[:64]


def _independent(owner: Organisation, witness_ids: list[int]) -> bool:
    """Whether a witness is a regulator who is no member of the owner's organisation."""
    members = set(db.session.scalars(sa.select(Membership.user_id).where(
        Membership.organisation_id == owner.id)))
    regulators = set(db.session.scalars(sa.select(Membership.user_id).join(
        Organisation, Organisation.id == Membership.organisation_id).where(
        Organisation.kind == OrgKind.REGULATOR.value, Membership.role == Role.REGULATOR.value,
        Membership.user_id.in_(witness_ids))))
    return bool(regulators - members)


def problems(owner: Organisation, data: RequestInput, now: datetime,
             amending: SelectionRequest | None = None) -> list[Problem]:
    """Every rule the terms break, in the order of the guided form (empty: they may be saved);
    ``amending``: the published request these terms would amend.

    Who may call: the owner's views, to show all errors of every step at once; saving,
    publishing and amending call it through :func:`_check`.  Changes nothing."""
    found: list[Problem] = []

    def bad(name: str | None, message: str, **params: Any) -> None:
        found.append(Problem(name, message, params))

    project = db.session.get(Project, data.project_id) if data.project_id else None
    if project is None or project.owner_org_id != owner.id:
        bad("project_id", N_("请选择本单位的项目。"))
        project = None
    service = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == data.service_code))
    if service is None:
        bad("service_code", N_("请选择中介服务事项。"))
    elif not catalogue_choices.uses_type(owner.tenant_id, service.id) and (
            amending is None or amending.service_type_id != service.id):
        # a request already published keeps its type when amended
        bad("service_code", N_("本地未选用该中介服务事项，请选择本地选用的事项。"))
    if not data.title.strip():
        bad("title", N_("请填写此项。"))
    if not data.scope.strip():
        bad("scope", N_("请填写服务范围。"))
    found += _requirement_problems(service, data)
    if data.price_kind == "fixed":
        if data.price_fen is None or not 0 < data.price_fen <= MAX_FEE_FEN:
            bad("price", N_("服务费须大于 0 且不超过 1 亿元。"))
    elif data.price_kind == "cap":
        if data.cap_fen is None or not 0 < data.cap_fen <= MAX_FEE_FEN:
            bad("cap", N_("最高限价须大于 0 且不超过 1 亿元。"))
        elif data.floor_fen is not None and not 0 <= data.floor_fen <= data.cap_fen:
            bad("floor", N_("最低限价不能高于最高限价。"))
    else:
        bad("price_kind", N_("请选择价格方式。"))
    if not 1 <= data.service_days <= 365:
        bad("service_days", N_("服务时限须为 1–365 个工作日。"))
    if not 1 <= data.signing_days <= 30:
        bad("signing_days", N_("合同签订时限须为 1–30 个工作日。"))
    if data.on_upheld not in methods.ON_UPHELD:
        bad("on_upheld", N_("请选择异议成立后的处理方式。"))
    terms = methods.rules(data.method)
    if terms is None:
        bad("method", N_("请选择选取方式。"))
    elif amending is not None and not methods.may_amend_into(amending.method, data.method):
        # the draw log and the bid log each carry one kind of procedure from its announcement
        bad("method", N_("发布后不能在摇号（随机抽取、信用择优）、密封报价和直接选取之间更改选取方式；如需更改，请撤销本公告后重新发布。"))
    elif terms.draw and data.price_kind == "cap":
        # Agencies signing up for a draw accept the published price; quotes are for sealed bids.
        bad("price_kind", N_("随机抽取和信用择优须采用固定价格，报名即接受该价格。"))
    elif terms.price_kind == "cap" and data.price_kind == "fixed":
        bad("price_kind", procedures.PROCEDURES[data.method].cap_required_text)
    procedure = procedures.PROCEDURES.get(data.method)
    if procedure is not None:
        procedure.check_terms(owner, project, data, now, found)
    if terms is not None and not terms.window:
        return found
    if data.signup_closes_at is None:
        bad("signup_closes_at", N_("请选择报名截止时间。"))
    else:
        min_days = settings.effective("SIGNUP_MIN_WORKING_DAYS", now, owner.tenant_id)
        earliest = current_calendar(owner.tenant_id).add_working_days(local_date(now), min_days)
        if data.signup_closes_at.tzinfo is None or local_date(data.signup_closes_at) < earliest:
            bad("signup_closes_at", N_("报名期至少 %(days)s 个工作日：截止时间不得早于 %(date)s。"),
                days=min_days, date=earliest.isoformat())
    if data.external_kind not in {k.value for k in ExternalKind}:
        bad("external_kind", N_("请选择外部随机数来源。"))
    elif (terms is None or terms.draw) and data.signup_closes_at is not None:
        # A sealed bid draws only on a tie, planned at its opening (drand when the year's
        # schedule is still unconfirmed then); a draw's source must be plannable now.
        delay = timedelta(hours=int(current_app.config["EXTERNAL_ENTROPY_MIN_DELAY_HOURS"]))
        entry, year = preview_external(data.external_kind, data.signup_closes_at + delay)
        if entry is None:
            bad("external_kind", SCHEDULE_UNKNOWN, year=year)
    found += _witness_problems(owner, data)
    for agency_id, reason in data.avoid:
        if not reason.strip() or len(reason) > 500:
            bad("avoid", N_("每个回避单位都须写明理由。"))
            break
        if admitted_agency(agency_id) is None:
            bad("avoid", N_("回避名单中的 %(id)s 不是已入驻的中介机构。"), id=agency_id)
            break
    return found


def _requirement_problems(service: ServiceType | None, data: RequestInput) -> list[Problem]:
    """Requirements come from the catalogue's lists for the service (what an agency can hold
    and have reviewed); anything else no agency could ever meet."""
    found: list[Problem] = []
    if data.qualification_level and data.qualification_level not in QUALIFICATION_LEVELS:
        found.append(Problem("qualification_level", N_("请选择资质等级。")))
    if data.qualification_level and not data.qualification_type:
        found.append(Problem("qualification_type", N_("要求资质等级时须选择资质类型。")))
    if service is None:
        return found
    allowed = list(service.qualification_types or [])
    if data.qualification_type and data.qualification_type not in allowed:
        found.append(Problem("qualification_type", N_(
            "「%(value)s」不是「%(service)s」的资质类型；请从目录中选择：%(allowed)s。"), {
            "value": data.qualification_type, "service": service.name,
            "allowed": "、".join(allowed) or "—"}))
    kinds = list(service.practitioner_types or [])
    for kind, count in data.practitioners.items():
        if kind not in kinds:
            found.append(Problem("practitioners", N_(
                "「%(value)s」不是「%(service)s」的执业资格类型；请从目录中选择：%(allowed)s。"), {
                "value": kind, "service": service.name, "allowed": "、".join(kinds) or "—"}))
        elif not 1 <= count <= 50:
            found.append(Problem("practitioners", N_("人数须为 1–50。"),
                                 {"value": kind, "part": "count"}))
    return found


def _witness_problems(owner: Organisation, data: RequestInput) -> list[Problem]:
    if not data.witness_ids:
        return [Problem("witnesses", N_("至少需要一名见证人。"))]
    if len(set(data.witness_ids)) != len(data.witness_ids):
        return [Problem("witnesses", N_("每位见证人须是不同的账户。"))]
    service = db.session.scalar(sa.select(ServiceType).where(
        ServiceType.code == data.service_code))
    allowed = {u.id for u, _ in eligible_witnesses(owner, service)}
    if not set(data.witness_ids) <= allowed:
        return [Problem("witnesses", N_("见证人须是本单位人员或监管人员。"))]
    if not _independent(owner, data.witness_ids):
        # Witnesses all from the owner's side could be one person's accounts: whoever also
        # holds the platform's data key could then try witness values until a winner suits.
        return [Problem("witnesses", N_("见证人中须至少有一名监管人员（独立于本单位）。"))]
    terms = methods.rules(data.method)
    if terms is not None and terms.delegate_witness and not db.session.scalar(sa.select(Membership.id).where(
            Membership.organisation_id == owner.id, Membership.user_id.in_(data.witness_ids),
            Membership.role == Role.OWNER_DELEGATE.value).limit(1)):
        # a tie is drawn at the opening: the owner's delegate must be there to witness it
        return [Problem("witnesses", procedures.PROCEDURES[data.method].delegate_witness_text)]
    return []


def _refusal(found: list[Problem]) -> SelectionError:
    """One refusal carrying every problem (its own field and message are the first's)."""
    first = found[0]
    error = SelectionError(first.field, first.message, **first.params)
    error.problems = found
    return error


def _check(owner: Organisation, data: RequestInput, now: datetime,
           amending: SelectionRequest | None = None) -> tuple[Project, ServiceType]:
    """Refuse terms that break any rule; the refusal carries every problem found."""
    found = problems(owner, data, now, amending)
    if found:
        raise _refusal(found)
    project = db.session.get(Project, data.project_id)
    service = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == data.service_code))
    assert project is not None and service is not None  # noqa: S101  # problems() checked both
    return project, service


def _apply(request: SelectionRequest, data: RequestInput, service: ServiceType,
           owner: Organisation) -> None:
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
    request.on_upheld = methods.on_upheld_of(data.method, data.on_upheld)
    request.signup_closes_at = data.signup_closes_at or timeutil.now()  # direct: no window
    request.external_kind = data.external_kind
    request.external_label = external_source_name(data.external_kind)
    procedures.of(request).apply_terms(request, data)
    avoid = [AvoidEntry(agency_org_id=admitted_agency(a).id, reason=r.strip())  # type: ignore[union-attr]
             for a, r in data.avoid]
    roles = {u.id: label for u, label in eligible_witnesses(owner)}
    witnesses = [Witness(position=i, user_id=uid,
                         label=witness_label(i, db.session.get(User, uid), roles[uid]))  # type: ignore[arg-type]
                 for i, uid in enumerate(data.witness_ids)]
    # The old rows go first, in their own flush: the unit of work inserts before it deletes,
    # and a kept or reordered witness would collide with its old row on (request, person) and
    # (request, position).
    request.avoid.clear()
    request.witnesses.clear()
    if request.id is not None:
        db.session.flush()
    request.avoid = avoid
    request.witnesses = witnesses


def save_draft(owner: Organisation, data: RequestInput, user: User,
               request: SelectionRequest | None = None) -> SelectionRequest:
    """Create or update a draft; drafts are private to the owner."""
    now = timeutil.now()
    _project, service = _check(owner, data, now)
    if request is None:
        request = SelectionRequest(public_id=_placeholder(), owner_org_id=owner.id,
                                   tenant_id=owner.tenant_id,
                                   state=RequestState.DRAFT.value, version=1, created_at=now,
                                   created_by_id=user.id)
        db.session.add(request)
    elif request.owner_org_id != owner.id or request.state != RequestState.DRAFT:
        raise SelectionError(None, N_("只有草稿可以这样修改。"))
    _apply(request, data, service, owner)
    db.session.flush()
    if request.public_id.startswith("tmp-"):
        request.public_id = f"RQ-{request.id:06d}"
    audit.record("owner:request:save-draft", request.public_id, {"title": request.title})
    return request


def publish(owner: Organisation, request: SelectionRequest) -> SelectionRequest:
    """Publish a draft: the public notice and what its procedure starts (a draw's logged
    announcement, quotes sealed to the opening keys, a direct award)."""
    if request.owner_org_id != owner.id or request.state != RequestState.DRAFT:
        raise SelectionError(None, N_("只有本单位的草稿可以发布。"))
    if not may_publish(owner):
        raise SelectionError(None, N_("本单位尚未通过平台运营方核验，暂不能发布。核验通过后即可发布此草稿。"))
    now = timeutil.now()
    data = input_of(request)
    _check(owner, data, now)
    avoid_review.check_before_publishing(request)
    if request.reannounces_id is not None:
        # the failed notice is locked: a withdrawal of it cannot cross this publication
        failed = lock_row(SelectionRequest, request.reannounces_id)
        if failed.state != RequestState.FAILED:
            raise SelectionError(None, N_("原公告 %(id)s 已撤销，不能再重新公告；请新建采购公告。"),
                                 id=failed.public_id)
    procedures.of(request).publish(request, now)
    audit.record("owner:request:publish", request.public_id, {
        "closes": timeutil.iso_z(request.signup_closes_at),
        "reannounces": request.reannounces.public_id if request.reannounces else None})
    db.session.flush()
    events.send(events.RequestPublished(at=now, request_id=request.id,
                                        request_public_id=request.public_id))
    return request


def input_of(request: SelectionRequest) -> RequestInput:
    return RequestInput(
        project_id=request.project_id, service_code=request.service_type.code,
        title=request.title, scope=request.scope,
        qualification_type=request.qualification_type,
        qualification_level=request.qualification_level,
        practitioners=dict(request.practitioners or {}), price_kind=request.price_kind,
        price_fen=request.price_fen, cap_fen=request.cap_fen, floor_fen=request.floor_fen,
        service_days=request.service_days, signing_days=request.signing_days,
        method=request.method, signup_closes_at=request.signup_closes_at,
        external_kind=request.external_kind,
        avoid=[(a.agency.public_id, a.reason) for a in request.avoid],
        witness_ids=[w.user_id for w in request.witnesses],
        direct_agency=request.direct_agency.public_id if request.direct_agency else "",
        on_upheld=request.on_upheld,
        quote_kind=request.quote_kind or quotes.AMOUNT, low_share_bp=request.low_share_bp,
        low_action=request.low_action, credit_threshold=request.credit_threshold,
        shortlist_size=request.shortlist_size,
        **_sheet_input(request),
    )


def _sheet_input(request: SelectionRequest) -> dict[str, Any]:
    if not request.scoring_sheet:
        return {}
    sheet = proposal_scoring.Sheet.from_json(request.scoring_sheet)
    return {"scoring_criteria": sheet.text(), "price_points": sheet.price_points}


# Fields whose change after the first sign-up gives agencies 3 more working days (domain.md).
_EXTENDING = {"price_kind", "price_fen", "cap_fen", "floor_fen", "method", "signup_closes_at",
              "quote_kind", "low_share_bp", "low_action", "credit_threshold", "shortlist_size"}


def amend(owner: Organisation, request: SelectionRequest, data: RequestInput, reason: str,
          user: User) -> Amendment:
    """Amend an open request before it closes (更正公告), with a published reason.

    The draw's announcement covers the terms, so an amendment voids the current lottery (before
    its freeze, which the rules allow) and announces a new one that names it; the agencies
    already signed up stay signed up.  Changing the price, method or window after the first
    sign-up extends the window by 3 working days.
    """
    if request.owner_org_id != owner.id or request.state != RequestState.OPEN:
        raise SelectionError(None, N_("只有报名中的公告可以更正。"))
    now = timeutil.now()
    if now >= request.signup_closes_at:
        raise SelectionError(None, N_("报名已截止，不能再更正。"))
    if not reason.strip() or len(reason) > 500:
        raise SelectionError("reason", N_("请写明更正理由（不超过 500 字）。"))
    logged = event_text(N_("公告更正：%(reason)s") % {"reason": one_line(reason, 400)}, "reason")
    before = input_of(request)
    _project, service = _check(owner, data, now, amending=request)
    changes = {k: [str(getattr(before, k)), str(getattr(data, k))]
               for k in vars(data) if getattr(before, k) != getattr(data, k)}
    if not changes:
        raise SelectionError(None, N_("没有任何改动。"))
    has_signups = any(s.active for s in request.signups)
    closes = data.signup_closes_at or request.signup_closes_at  # problems() requires one
    if has_signups and {k for k in changes} & _EXTENDING:
        extended = local_day_start(current_calendar(request.tenant_id).add_working_days(
            local_date(closes), 3)) + (closes - local_day_start(local_date(closes)))
        data.signup_closes_at = extended
        changes["signup_closes_at"] = [str(before.signup_closes_at), str(extended)]
    _apply(request, data, service, owner)
    request.version += 1
    amendment = Amendment(request=request, version=request.version, reason=reason.strip(),
                          changes=changes, at=now, by_id=user.id)
    db.session.add(amendment)
    procedures.of(request).amended(request, logged)
    audit.record("owner:request:amend", request.public_id, {"version": request.version,
                                                            "reason": reason.strip()})
    return amendment


# --- after a failure: re-announce or withdraw ------------------------------------------------

def successor(request: SelectionRequest, *, published: bool = False) -> SelectionRequest | None:
    """The re-announcement (重新公告) of a failed request, a draft or published; with
    ``published``, only a published one (what the public may see)."""
    q = sa.select(SelectionRequest).where(SelectionRequest.reannounces_id == request.id)
    if published:
        q = q.where(SelectionRequest.state != RequestState.DRAFT.value)
    return db.session.scalars(q.order_by(SelectionRequest.id).limit(1)).first()


def reannounce_input(failed: SelectionRequest) -> RequestInput:
    """The failed request's terms for its re-announcement: the same terms, a window of the
    minimum length from today, closing at the same time of day (the owner may change all)."""
    data = input_of(failed)
    days = settings.effective("SIGNUP_MIN_WORKING_DAYS", None, failed.tenant_id)
    old = failed.signup_closes_at
    day = current_calendar(failed.tenant_id).add_working_days(timeutil.today_local(), days)
    data.signup_closes_at = local_day_start(day) + (old - local_day_start(local_date(old)))
    return data


def start_reannouncement(owner: Organisation, failed: SelectionRequest, data: RequestInput,
                         user: User) -> SelectionRequest:
    """Re-announce a failed request (流标后重新公告): a new draft with the terms given, naming the
    failed request.  Published like any draft; then each notice links to the other.

    Who may call: the owner organisation's administrator or delegates.  Changes: a new draft;
    at most one re-announcement per failed request."""
    if failed.owner_org_id != owner.id:
        raise SelectionError(None, N_("只有本单位的公告可以重新公告。"))
    failed = lock_row(SelectionRequest, failed.id)
    if failed.state != RequestState.FAILED:
        raise SelectionError(None, N_("只有流标的公告可以重新公告。"))
    existing = successor(failed)
    if existing is not None:
        raise SelectionError(None, N_("该公告已有重新公告 %(id)s。"), id=existing.public_id)
    request = save_draft(owner, data, user)
    request.reannounces_id = failed.id
    audit.record("owner:request:reannounce", failed.public_id, {"draft": request.public_id})
    return request


def withdraw(owner: Organisation, request: SelectionRequest, user: User,
             reason: str) -> SelectionRequest:
    """Withdraw a published request (撤销) with a public reason, before any draw: while sign-up
    is open, or after it failed (流标).

    Who may call: the owner organisation's administrator or delegates.  Changes: the request
    is cancelled; an open lottery gets a ``void`` decided by the owner's account (before the
    freeze, lottery-v1.md §7 rule 7; after it only a regulator may void, so a closed request
    cannot be withdrawn here), an unopened sealed bid a ``void`` in the bid log (its quotes
    stay sealed); every registrant is notified."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise SelectionError("reason", N_("请写明撤销理由（不超过 500 字），理由将公开。"))
    if request.owner_org_id != owner.id:
        raise SelectionError(None, N_("只有本单位的公告可以撤销。"))
    lottery = draw.current_lottery(request)
    if lottery is not None:  # the close and sign-ups take this lock first, so do we
        lottery = lock_row(Lottery, lottery.id)
    request = lock_row(SelectionRequest, request.id)
    state = request.state
    if state == RequestState.FAILED:
        later = successor(request, published=True)
        if later is not None:
            raise SelectionError(None, N_("该公告已重新公告为 %(id)s，不能再撤销。"), id=later.public_id)
    elif state == RequestState.CLOSED:
        raise SelectionError(None, N_("报名已截止、名单已冻结：此后只有监管部门可以作废本次摇号，业主不能撤销。"))
    elif state == RequestState.SELECTED:
        raise SelectionError(None, N_("已选出中选机构，不能撤销；对结果有异议的，请向监管部门反映。"))
    elif state == RequestState.CANCELLED:
        raise SelectionError(None, N_("该公告已撤销。"))
    elif state != RequestState.OPEN:
        raise SelectionError(None, N_("草稿尚未发布，无需撤销。"))
    at = timeutil.now()
    if state == RequestState.OPEN:
        at = procedures.of(request).withdraw_open(request, lottery, reason, user)
    request.state = RequestState.CANCELLED.value
    request.cancelled_at, request.cancelled_by_id, request.cancel_reason = at, user.id, reason
    db.session.flush()
    events.send(events.RequestWithdrawn(at=at, request_id=request.id,
                                        request_public_id=request.public_id, reason=reason))
    audit.record("owner:request:withdraw", request.public_id, {"reason": reason, "was": state})
    return request


def registrants(request: SelectionRequest) -> set[int]:
    """The agencies taking part: signed up and not withdrawn, or holding a quote."""
    signed = db.session.scalars(sa.select(SignUp.agency_org_id).where(
        SignUp.request_id == request.id, SignUp.withdrawn_at.is_(None)))
    quoted = db.session.scalars(sa.select(Bid.agency_org_id).where(Bid.request_id == request.id))
    return {*signed, *quoted}
