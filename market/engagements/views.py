"""Engagement pages (委托): list, the engagement with its clocks and history, and its actions.

Views parse input, call one operation and render; the access wrapper commits.  Another
organisation's engagement is a 404, whatever the action.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import joinedload

from billing.integration import backend, release_if_paid
from market import storage
from market.accounts import scope
from market.accounts.audit import AuditEvent
from market.accounts.auth import access, current_reach, current_role, require_org, within_reach
from market.accounts.models import Organisation, Role
from market.accounts.scope import list_scope
from market.clocks import store as clocks
from market.clocks.board import Board, urgent
from market.clocks.models import Clock, ClockEntry
from market.db import db
from market.engagements import operations as ops
from market.engagements.forms import (
    AnswerForm,
    CancelForm,
    ContractForm,
    DeliverableForm,
    ExtensionForm,
    MaterialsForm,
    ReturnForm,
)
from market.engagements.models import Deliverable, Engagement
from market.forms import ActionForm
from market.selection.scope import request_subject
from market.web.openapi import MAX_PAGE

bp = Blueprint("engagements", __name__, url_prefix="/engagements")

STATE_NAMES = {
    "signing": _l("待签合同"),
    "in_service": _l("服务中"),
    "in_review": _l("待验收"),
    "accepted": _l("已验收"),
    "cancelled": _l("已取消"),
}
CLOCK_STATES = {
    "not_started": _l("未开始"),
    "normal": _l("正常"),
    "warning": _l("即将到期"),
    "overdue": _l("已逾期"),
    "paused": _l("暂停计时"),
    "stopped": _l("已结束"),
}
CLOCK_KINDS = {
    "signing": _l("签约时限"),
    "service": _l("服务时限"),
    "review": _l("验收时限"),
    "case": _l("审批时限"),
}
PAUSE_REASONS = {
    "materials": _l("等待业主补充资料"),
    "review": _l("业主验收中"),
    "intermediary": _l("中介服务"),
    "expert_review": _l("专家评审"),
    "correction": _l("申请人补正"),
    "hearing": _l("听证"),
    # the other special procedures of 行政许可法 第四十五条, as an approval system reports them
    "tendering": _l("招标"),
    "auction": _l("拍卖"),
    "inspection": _l("检验"),
    "testing": _l("检测"),
    "quarantine": _l("检疫"),
    "appraisal": _l("鉴定"),
}
# The audit events an engagement's history shows (market.accounts.audit tags), in words.
AUDIT_NAMES = {
    "system:engagement:create": _l("中选结果确认，生成委托"),
    "owner:contract:upload": _l("业主上传合同"),
    "agency:contract:upload": _l("中介机构上传合同"),
    "owner:contract:confirm": _l("业主确认合同"),
    "agency:contract:confirm": _l("中介机构确认合同"),
    "agency:materials:ask": _l("中介机构要求补充资料"),
    "owner:materials:answer": _l("业主补充资料"),
    "agency:deliverable:submit": _l("中介机构提交服务成果"),
    "owner:deliverable:accept": _l("业主验收通过"),
    "owner:deliverable:return": _l("业主退回服务成果"),
    "owner:engagement:extend": _l("业主同意延长服务时限"),
    "owner:engagement:cancel": _l("业主取消委托"),
    "system:engagement:unsigned": _l("签约期限届满未签订合同，委托取消，视为放弃中选"),
    "system:engagement:void": _l("中选结果作废，委托取消"),
    "owner:rating:create": _l("业主提交服务评价"),
    "agency:rating:reply": _l("中介机构回复评价"),
    "party:complaint:file": _l("提交投诉"),
    "supervision:warning": _l("电子监察：逾期预警"),
    "supervision:yellow": _l("电子监察：黄牌督办"),
    "supervision:red": _l("电子监察：红牌"),
}
EVENT_NAMES = {
    "start": _l("开始计时"),
    "pause": _l("暂停"),
    "resume": _l("恢复计时"),
    "extend": _l("延期"),
    "stop": _l("结束计时"),
}


@bp.app_context_processor
def clock_words() -> dict[str, Any]:
    return {"clock_states": CLOCK_STATES, "clock_kinds": CLOCK_KINDS,
            "pause_reasons": PAUSE_REASONS, "engagement_states": STATE_NAMES,
            "audit_names": AUDIT_NAMES,
            "clock_board": _clock_board}


DASHBOARD_CLOCKS = 10  # the dashboard shows this many, most urgent first, and links to the rest
CLOCKS_PER_PAGE = 20


def _board(limit: int) -> Board | None:
    """The ``limit`` most urgent open clocks the current organisation sees (a regulator: those
    its scope covers, market.accounts.scope), with their count; None for an organisation that
    has none."""
    org = require_org()
    if current_role() == Role.REGULATOR:
        return urgent(limit=limit, within=list_scope(org))
    if org.kind in ("owner", "agency"):
        # An award whose result notice has just ended gets its engagement (and its signing
        # clock, started at the notice's end) before the board is read: the end of a notice is
        # a time, not a write, so no event announces it (``flask clocks tick`` also makes them).
        ops.sync_from_awards(org.id)
        return urgent(org.id, org.kind, limit=limit, reach=current_reach())
    return None


def _clock_board() -> dict[str, Any]:
    """The dashboard's clock list for the current organisation (see dashboard/clocks.html)."""
    board = _board(DASHBOARD_CLOCKS)
    if board is None:
        return {"rows": [], "total": 0, "counts": None, "regulator": False}
    return {"rows": board.rows, "total": board.total, "counts": board.counts,
            "regulator": current_role() == Role.REGULATOR}


@bp.route("/clocks")
@access("owner", "agency", "regulator")
def clocks_page() -> str:
    """Every open clock the organisation sees (时限), most urgent first, a page at a time: the
    dashboard shows the first few and links here."""
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    board = _board(page * CLOCKS_PER_PAGE) or Board([], 0, Counter())
    return render_template("engagements/clocks.html",
                           rows=board.rows[(page - 1) * CLOCKS_PER_PAGE:], total=board.total,
                           page=page, pages=max(1, -(-board.total // CLOCKS_PER_PAGE)))


def _visible(public_id: str) -> Engagement:
    eng: Engagement | None = db.session.scalar(sa.select(Engagement).where(
        Engagement.public_id == public_id))
    if eng is None:
        abort(404)
    if current_role() == Role.REGULATOR:
        # a regulator reads the engagements of the requests its scope covers
        scope.require(require_org(), request_subject(eng.request), scope.Act.READ)
        return eng
    if not _party_of(eng):
        abort(404)
    return eng


def _party_of(eng: Engagement) -> bool:
    """The agency, or the owner's person whose reach covers the engagement's project."""
    return require_org().id == eng.agency_org_id or within_reach(eng.owner_org_id,
                                                                 eng.project_id)


def _party(public_id: str) -> tuple[Engagement, Organisation]:
    eng = _visible(public_id)
    if not _party_of(eng):
        abort(404)
    return eng, require_org()


@bp.route("/")
@access("owner", "agency", "regulator")
def index() -> str:
    org = require_org()
    q = sa.select(Engagement).order_by(Engagement.id.desc())
    if current_role() != Role.REGULATOR:
        ops.sync_from_awards(org.id)
        reach = current_reach()
        q = q.where(Engagement.agency_org_id == org.id if reach is None
                    else reach.where(Engagement.owner_org_id, Engagement.project_id))
    rows = db.session.scalars(q.options(
        joinedload(Engagement.project), joinedload(Engagement.service_type),
        joinedload(Engagement.agency)).limit(500)).all()
    shown = ops.shown_clocks([eng.id for eng in rows])
    seen = clocks.view_many(shown.values())
    views = {eng.id: (shown[eng.id], seen[shown[eng.id].id]) if eng.id in shown else (None, None)
             for eng in rows}
    return render_template("engagements/index.html", engagements=rows, views=views)


def _history(eng: Engagement) -> list[dict[str, Any]]:
    """The engagement's whole history: audit events and clock events, in time order."""
    items: list[dict[str, Any]] = []
    for a in db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.target == eng.public_id).order_by(AuditEvent.id)):
        items.append({"at": a.at, "tag": a.tag, "details": a.details, "clock": None})
    for c, e in db.session.execute(sa.select(Clock, ClockEntry).join(
            ClockEntry, ClockEntry.clock_id == Clock.id).where(Clock.engagement_id == eng.id)):
        items.append({"at": e.at, "tag": None, "clock": c.kind, "event": e})
    items.sort(key=lambda i: (i["at"], i["tag"] is None))
    return items


def _render(eng: Engagement, status: int = 200, **forms: Any) -> ResponseReturnValue:
    org = require_org()
    side = ("owner" if org.id == eng.owner_org_id else
            "agency" if org.id == eng.agency_org_id else "regulator")
    engagement_clocks = list(db.session.scalars(sa.select(Clock).where(
        Clock.engagement_id == eng.id).order_by(Clock.id)))
    summary = None
    if eng.contract_confirmed_at is not None:
        summary = backend().summary(eng.id)
    defaults = {"contract_form": ContractForm(), "materials_form": MaterialsForm(),
                "answer_form": AnswerForm(), "extension_form": ExtensionForm(),
                "deliverable_form": DeliverableForm(), "return_form": ReturnForm(),
                "cancel_form": CancelForm()}
    defaults.update(forms)
    html = render_template(
        "engagements/detail.html", eng=eng, side=side,
        clocks=[(c, clocks.view(c)) for c in engagement_clocks],
        open_materials=ops.open_materials_request(eng), pending=ops.pending_deliverable(eng),
        history=_history(eng), summary=summary, contract_text=ops.contract_text(eng),
        event_names=EVENT_NAMES, **defaults)
    return html, status


@bp.route("/<public_id>")
@access("owner", "agency", "regulator")
def detail(public_id: str) -> ResponseReturnValue:
    return _render(_visible(public_id))


def _fail(eng: Engagement, form: Any, name: str, error: Exception) -> ResponseReturnValue:
    """Show an operation's refusal next to its field, or at the top of the page."""
    message = _(error.message, **error.params)  # type: ignore[attr-defined]
    field = getattr(form, error.field or "", None)  # type: ignore[attr-defined]
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        flash(message, "error")
    return _render(eng, 400, **{name: form})


def _done(eng: Engagement, message: str) -> ResponseReturnValue:
    flash(message, "success")
    return redirect(url_for("engagements.detail", public_id=eng.public_id))


_ERRORS = (ops.EngagementError, storage.UploadError)


@bp.route("/<public_id>/contract", methods=["POST"])
@access("owner", "agency")
def upload_contract(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = ContractForm()
    if not form.validate_on_submit():
        return _render(eng, 400, contract_form=form)
    try:
        ops.upload_contract(eng, org, current_user, form.file.data)
    except _ERRORS as error:
        return _fail(eng, form, "contract_form", error)
    return _done(eng, _("合同已上传，等待对方确认。"))


@bp.route("/<public_id>/contract/confirm", methods=["POST"])
@access("owner", "agency")
def confirm_contract(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ops.confirm_contract(eng, org, current_user)
    except ops.EngagementError as error:
        return _fail(eng, None, "", error)
    return _done(eng, _("合同已确认，服务时限开始计算。"))


@bp.route("/<public_id>/materials", methods=["POST"])
@access("agency")
def ask_materials(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = MaterialsForm()
    if not form.validate_on_submit():
        return _render(eng, 400, materials_form=form)
    try:
        ops.ask_materials(eng, org, current_user, form.what.data or "")
    except ops.EngagementError as error:
        return _fail(eng, form, "materials_form", error)
    return _done(eng, _("已请业主补充资料，服务时限暂停计算。"))


@bp.route("/<public_id>/materials/answer", methods=["POST"])
@access("owner")
def answer_materials(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = AnswerForm()
    if not form.validate_on_submit():
        return _render(eng, 400, answer_form=form)
    try:
        ops.answer_materials(eng, org, current_user, form.answer.data or "", form.file.data)
    except _ERRORS as error:
        return _fail(eng, form, "answer_form", error)
    return _done(eng, _("已答复，服务时限恢复计算。"))


@bp.route("/<public_id>/extension", methods=["POST"])
@access("owner")
def extension(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = ExtensionForm()
    if not form.validate_on_submit():
        return _render(eng, 400, extension_form=form)
    try:
        ops.grant_extension(eng, org, current_user, form.days.data or 0, form.reason.data or "")
    except ops.EngagementError as error:
        return _fail(eng, form, "extension_form", error)
    return _done(eng, _("已同意延期。"))


@bp.route("/<public_id>/deliverables", methods=["POST"])
@access("agency")
def submit_deliverable(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = DeliverableForm()
    if not form.validate_on_submit():
        return _render(eng, 400, deliverable_form=form)
    try:
        ops.submit_deliverable(eng, org, current_user, form.file.data, form.note.data or "")
    except _ERRORS as error:
        return _fail(eng, form, "deliverable_form", error)
    return _done(eng, _("服务成果已提交，等待业主验收。"))


@bp.route("/<public_id>/return", methods=["POST"])
@access("owner")
def return_deliverable(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        return _render(eng, 400, return_form=form)
    try:
        ops.return_deliverable(eng, org, current_user, form.reason.data or "")
    except ops.EngagementError as error:
        return _fail(eng, form, "return_form", error)
    return _done(eng, _("服务成果已退回修改，服务时限恢复计算。"))


@bp.route("/<public_id>/accept", methods=["POST"])
@access("owner")
def accept(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        ops.accept_deliverable(eng, org, current_user)
    except ops.EngagementError as error:
        return _fail(eng, None, "", error)
    return _done(eng, _("服务成果已验收，委托完成。"))


@bp.route("/<public_id>/release", methods=["POST"])
@access("owner")
def release(public_id: str) -> ResponseReturnValue:
    eng, _org = _party(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if eng.owner_org_id != _org.id or not release_if_paid(eng.id):
        flash(_("尚不能结算：须已验收且费用已足额付款。"), "error")
        return _render(eng, 400)
    return _done(eng, _("费用已结算给中介机构，等待中介机构确认收款。"))


@bp.route("/<public_id>/cancel", methods=["POST"])
@access("owner")
def cancel(public_id: str) -> ResponseReturnValue:
    eng, org = _party(public_id)
    form = CancelForm()
    if not form.validate_on_submit():
        return _render(eng, 400, cancel_form=form)
    try:
        ops.cancel(eng, org, current_user, form.reason.data or "")
    except ops.EngagementError as error:
        return _fail(eng, form, "cancel_form", error)
    return _done(eng, _("委托已取消。"))


@bp.route("/<public_id>/files/<int:upload_id>")
@access("owner", "agency", "regulator")
def file(public_id: str, upload_id: int) -> ResponseReturnValue:
    """The contract, a deliverable version or a materials attachment of this engagement."""
    eng = _visible(public_id)
    ids = {d.upload_id for d in db.session.scalars(sa.select(Deliverable).where(
        Deliverable.engagement_id == eng.id))}
    ids |= {m.answer_upload_id for m in eng.materials if m.answer_upload_id}
    if eng.contract_upload_id:
        ids.add(eng.contract_upload_id)
    row = db.session.get(storage.Upload, upload_id) if upload_id in ids else None
    if row is None or not storage.path_for(row.sha256).exists():
        abort(404)
    return storage.send_upload(row)


