"""Quotes, awards, objections, and the public request API (密封报价、中选确认、异议、公告接口)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import selectinload

from market import timeutil
from market.accounts import scope
from market.accounts.auth import ANYONE, USER, access, current_org, current_role, require_org
from market.db import db
from market.domain import quotes as quote_rules
from market.downloads import json_download
from market.forms import ActionForm, errors_on_top, show_error
from market.selection import award as ops
from market.selection import bidlog, procedures, quotes, sealed
from market.selection.errors import SelectionError
from market.selection.forms import BidForm, DecideForm, DeclineForm, ExplainForm, ObjectionForm
from market.selection.helpers import yuan_to_fen
from market.selection.models import (
    Award,
    AwardState,
    Bid,
    Lottery,
    Method,
    Objection,
    ObjectionState,
    RequestState,
    SelectionRequest,
)
from market.selection.requests import successor
from market.selection.scope import (
    division_ids,
    newest_published,
    published,
    request_subject,
    within,
)
from market.selection.views_agency import requests_page
from market.storage import UploadError, path_for, send_upload, store_file
from market.web.openapi import ApiError, Page, PageQuery, endpoint, error_response, param

bp = Blueprint("awards", __name__)


def _request(public_id: str) -> SelectionRequest:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id, SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        abort(404)
    return req


# --- agency: quotes --------------------------------------------------------------------------

@bp.route("/agency/requests/<public_id>/bid", methods=["POST"])
@access("agency")
def bid(public_id: str) -> ResponseReturnValue:
    """Submit or replace a sealed quote; the amount is sealed before anything is stored."""
    req = _request(public_id)
    form = BidForm()
    by_rate = req.quote_kind == quote_rules.RATE
    if not form.validate_on_submit():
        return _refused_bid(req, form, _("请填写下浮率（%）。") if by_rate else
                            _("请填写报价（元）。"))
    amount = rate = None
    if by_rate:
        rate = quote_rules.parse_rate(form.amount.data or "")
        if rate is None:
            return _refused_bid(req, form, _("请填写下浮率（百分比，最多两位小数，如 12.5）。"))
    else:
        amount = yuan_to_fen(form.amount.data)
        if amount is None:
            return _refused_bid(req, form, _("请填写以元为单位的金额，最多两位小数。"))
    procedures.advance(req)
    try:
        sealed.submit(req, require_org(), current_user, amount, rate)
    except SelectionError as error:
        show_error(form, error)
        return requests_page(form, req.id), 400
    flash(_("报价已密封提交。请下载并保存报价回执（含承诺值，不含金额）。"), "success")
    return redirect(url_for("awards.my_bids"))


def _refused_bid(req: SelectionRequest, form: BidForm, message: str) -> ResponseReturnValue:
    """The open requests page again, the quote's problem next to its box, what was typed kept."""
    form.amount.errors = [message]
    return requests_page(form, req.id), 400


@bp.route("/agency/bids")
@access("agency")
def my_bids() -> str:
    org = require_org()
    rows = db.session.scalars(sa.select(Bid).where(Bid.agency_org_id == org.id)
                              .order_by(Bid.id.desc())).all()
    return render_template("selection/agency_bids.html", bids=rows)


@bp.route("/agency/bids/<int:bid_id>/receipt.json")
@access("agency")
def bid_receipt(bid_id: int) -> ResponseReturnValue:
    row = db.session.get(Bid, bid_id)
    if row is None or row.agency_org_id != require_org().id:
        abort(404)
    body = json.dumps(row.receipt, ensure_ascii=False, indent=1, sort_keys=True)
    return json_download(body, f"bid-receipt-{row.id}.json")


# --- agency: awards --------------------------------------------------------------------------

@bp.route("/agency/awards")
@access("agency")
def my_awards() -> str:
    return _awards_page(ExplainForm())


def _awards_page(explain_form: ExplainForm, explain_for: int | None = None,
                 decline_form: DeclineForm | None = None, decline_for: int | None = None) -> str:
    """The agency's awards; ``explain_for``: the award whose written explanation was refused,
    shown with ``explain_form``'s errors and what was typed; ``decline_for`` likewise for a
    refused decline and ``decline_form``."""
    org = require_org()
    rows = db.session.scalars(sa.select(Award).where(Award.agency_org_id == org.id)
                              .options(selectinload(Award.request))
                              .order_by(Award.id.desc())).all()
    procedures.advance_many(list({a.request_id: a.request for a in rows}.values()))
    history = {a.request_id: ops.changes(a.request) for a in rows}
    return render_template("selection/agency_awards.html", awards=rows, ops=ops,
                           history=history,
                           decline_form=decline_form or DeclineForm(formdata=None),
                           decline_for=decline_for,
                           explain_form=explain_form, explain_for=explain_for,
                           now=timeutil.now())


def _award(award_id: int) -> Award:
    row = db.session.get(Award, award_id)
    if row is None or row.agency_org_id != require_org().id:
        abort(404)  # another organisation's award does not exist for you
    return row


@bp.route("/agency/awards/<int:award_id>/confirm", methods=["POST"])
@access("agency_admin")
def confirm(award_id: int) -> ResponseReturnValue:
    row = _award(award_id)  # 404 for another organisation's award, as decline does

    if ActionForm().validate_on_submit():
        procedures.advance(row.request)
        try:
            ops.confirm(row, require_org())
        except SelectionError as error:
            flash(_(error.message, **error.params), "error")
        else:
            flash(_("已确认中选。中选公示期满且没有待处理的异议后开始签订合同，合同签订时限自那时起算。"), "success")
    return redirect(url_for("awards.my_awards"))


@bp.route("/agency/awards/<int:award_id>/explain", methods=["POST"])
@access("agency_admin")
def explain(award_id: int) -> ResponseReturnValue:
    """An abnormally low quote's written explanation (异常低价说明), before confirming."""
    row = _award(award_id)
    form = ExplainForm()
    if not form.validate_on_submit():
        return _awards_page(form, row.id), 400
    procedures.advance(row.request)
    try:
        sealed.explain_low(row, require_org(), current_user, form.text.data or "")
    except SelectionError as error:
        show_error(form, error)
        return _awards_page(form, row.id), 400
    flash(_("书面说明已提交并公开，现在可以确认中选。"), "success")
    return redirect(url_for("awards.my_awards"))


@bp.route("/agency/awards/<int:award_id>/decline", methods=["POST"])
@access("agency_admin")
def decline(award_id: int) -> ResponseReturnValue:
    row = _award(award_id)
    form = DeclineForm()
    if form.validate_on_submit():
        procedures.advance(row.request)
        try:
            procedures.decline(row, require_org(), current_user, form.reason.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("已放弃中选，中选资格已依次递补给下一名候补。"), "success")
            return redirect(url_for("awards.my_awards"))
    # refused: the page again, the reason kept and the problem next to it
    if row.state != AwardState.OFFERED:
        errors_on_top(form)
    return _awards_page(ExplainForm(formdata=None), None, form, row.id), 400


# --- objections ------------------------------------------------------------------------------

@bp.route("/notices/<public_id>/objection", methods=["GET", "POST"])
@access("agency")
def objection(public_id: str) -> ResponseReturnValue:
    """A registrant files an objection (异议) during the result notice."""
    req = _request(public_id)
    procedures.advance(req)
    form = ObjectionForm()
    if form.validate_on_submit():
        org = require_org()
        try:
            ops.check_objection(req, org, form.text.data or "")
            upload_id = None
            if form.attachment.data and getattr(form.attachment.data, "filename", ""):
                upload = store_file(form.attachment.data, field="attachment",
                                    uploaded_by_id=current_user.id, organisation_id=org.id)
                upload_id = upload.id
            ops.file_objection(req, org, current_user, form.text.data or "", upload_id)
        except SelectionError as error:
            show_error(form, error)
        except UploadError as error:
            form.attachment.errors = [_(error.message, **error.params)]
        else:
            flash(_("异议已提交，监管部门处理后将公开结果。"), "success")
            return redirect(url_for("lotteries.notice", public_id=public_id))
    return render_template("selection/objection_form.html", req=req, form=form,
                           award=ops.current_award(req),
                           days=int(current_app.config["OBJECTION_WORKING_DAYS"])), \
        400 if form.is_submitted() else 200


@bp.route("/objections/<int:objection_id>/attachment")
@access(USER)
def objection_attachment(objection_id: int) -> ResponseReturnValue:
    """The attachment: for the objecting agency, the request's owner and regulators."""
    row = db.session.get(Objection, objection_id)
    org = current_org()
    allowed = row is not None and row.upload is not None and (
        current_role() == "regulator" or (org is not None and org.id in (
            row.agency_org_id, row.request.owner_org_id)))
    if not allowed or row is None or not path_for(row.upload.sha256).exists():
        abort(404)
    return send_upload(row.upload)


@bp.route("/regulator/objections")
@access("regulator")
def objections() -> str:
    return _objections_page()


def _objections_page(form: DecideForm | None = None, decide_for: int | None = None) -> str:
    """The objections of the regulator's scope, pending first; ``decide_for``: the objection
    whose decision was refused, shown with ``form``'s errors and what was chosen and typed."""
    rows = db.session.scalars(within(
        sa.select(Objection).join(SelectionRequest, SelectionRequest.id == Objection.request_id),
        current_org()).order_by(
        (Objection.state == ObjectionState.PENDING.value).desc(), Objection.id.desc())).all()
    # each objection counts in its request's tenant's calendar (objection_due's default)
    blank = DecideForm(formdata=None)
    return render_template("selection/regulator_objections.html", rows=rows,
                           form=form or blank, blank=blank, decide_for=decide_for,
                           dues={o.id: ops.objection_due(o) for o in rows},
                           today=timeutil.today_local(),
                           days=int(current_app.config["OBJECTION_WORKING_DAYS"]))


@bp.route("/regulator/objections/<int:objection_id>", methods=["POST"])
@access("regulator")
def decide(objection_id: int) -> ResponseReturnValue:
    row = db.session.get(Objection, objection_id)
    if row is None:
        abort(404)
    scope.require(current_org(), request_subject(row.request), scope.Act.DECIDE)
    form = DecideForm()
    if form.validate_on_submit():
        try:
            procedures.decide_objection(row, current_user, form.decision.data == "uphold",
                                        form.reason.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("异议处理结果已公开。") if form.decision.data == "reject"
                  else _("异议成立：中选结果已作废，已按公告递补下一名候补。")
                  if row.request.on_upheld == "next" and row.request.method != "direct"
                  else _("异议成立：本次选取已作废，公告已重新发布。"), "success")
            return redirect(url_for("awards.objections"))
    # refused: the page again, the choice and reason kept and the problem next to them
    if row.state != ObjectionState.PENDING.value:
        errors_on_top(form)  # decided meanwhile: its form is gone from the page
    return _objections_page(form, row.id), 400


# --- the bid log -----------------------------------------------------------------------------

@bp.route("/transparency/bids/checkpoint")
@access(ANYONE)
def bids_checkpoint() -> ResponseReturnValue:
    cp = bidlog.latest_checkpoint()
    if cp is None:
        abort(404)
    return Response(cp.note, mimetype="text/plain; charset=utf-8")


@bp.route("/transparency/bids/log")
@access(ANYONE)
def bids_log() -> ResponseReturnValue:
    size = bidlog.size()
    start = request.args.get("start", 0, type=int) or 0
    end = min(size, request.args.get("end", size, type=int) or size)
    if start < 0 or start > end:

        return error_response(400, "bad_request", _("start: 须满足 0 ≤ start ≤ end"))
    body = b"".join(leaf + b"\n" for leaf in bidlog.leaves(start, min(end, start + 10_000)))
    return Response(body, mimetype="application/jsonl")


# --- API -------------------------------------------------------------------------------------

@dataclass
class BidOut:
    agency_id: str
    amount_fen: int
    nonce: str = field(metadata={"description": "32 bytes, hex"})
    commitment: str = field(metadata={"description": "sealed-bid/v1 commitment, hex"})


@dataclass
class RequestOut:
    id: str
    method: str = field(metadata={"description": "lottery, sealed_bid, credit_merit, direct or proposals"})
    state: str
    title: str
    service_type: str = field(metadata={"description": "service type code"})
    project: str
    project_code: str
    owner: str
    published_at: str | None
    signup_closes_at: str
    winner: str | None = field(metadata={
        "description": "the agency holding the award now: after a decline or a confirmation "
                       "timeout the alternate it passed to; null when nobody holds it"})
    division: str = field(metadata={
        "description": "the GB/T 2260 code of the city or county (行政区划) whose owner "
                       "published it", "pattern": "^[1-8][0-9]{5}$"})


@dataclass
class AwardChangeOut:
    agency_id: str = field(metadata={"description": "the agency that lost the award"})
    how: str = field(metadata={"description": "declined, timed_out or voided",
                               "enum": ("declined", "timed_out", "voided")})
    reason: str
    at: str
    replacement: str | None = field(metadata={
        "description": "the agency the award passed to; null when none (failed or re-run)"})


@dataclass
class RequestDetailOut(RequestOut):
    scope: str = ""
    price_kind: str = ""
    price_fen: int | None = None
    cap_fen: int | None = None
    floor_fen: int | None = None
    service_days: int = 0
    version: int = 1
    external_source: str = ""
    lotteries: list[str] = field(default_factory=list)
    opened_at: str | None = None
    commitments: list[str] = field(default_factory=list, metadata={
        "description": "sealed bid: the current commitments (before and after the opening)"})
    bids: list[BidOut] | None = field(default=None, metadata={
        "description": "sealed bid, after the opening: every opened quote with its nonce"})
    publicity_ends_at: str | None = None
    confirm_by: str | None = None
    failed_reason: str | None = None
    award_changes: list[AwardChangeOut] = field(default_factory=list, metadata={
        "description": "why the award is not (or no longer) the first one offered, in order"})
    cancelled_at: str | None = None
    cancel_reason: str | None = field(default=None, metadata={
        "description": "the owner's public reason for withdrawing the request (撤销)"})
    reannounces: str | None = field(default=None, metadata={
        "description": "the failed request this one re-announces"})
    reannounced_as: str | None = field(default=None, metadata={
        "description": "the published request that re-announces this failed one"})


@dataclass
class RequestQuery(PageQuery):
    method: str | None = param(None, "filter by method",
                               enum=tuple(m.value for m in Method))
    state: str | None = param(None, "filter by state", enum=tuple(
        s.value for s in RequestState if s != RequestState.DRAFT))
    division: str | None = param(None, "filter by division (GB/T 2260 code): that city's or "
                                 "county's requests, a city's with its counties'; a code "
                                 "that is not a division of this platform is a 400",
                                 pattern="^[1-8][0-9]{5}$")


def _iso(dt: object) -> str | None:
    return timeutil.iso_z(dt) if dt is not None else None  # type: ignore[arg-type]


def _winner(req: SelectionRequest) -> str | None:
    a = ops.current_award(req)
    return a.agency.public_id if a is not None else None


def _out(req: SelectionRequest, winner: str | None) -> RequestOut:
    return RequestOut(id=req.public_id, method=req.method, state=req.state, title=req.title,
                      service_type=req.service_type.code, project=req.project.name,
                      project_code=req.project.code, owner=req.owner.public_id,
                      published_at=_iso(req.published_at),
                      signup_closes_at=timeutil.iso_z(req.signup_closes_at), winner=winner,
                      division=req.tenant.code)


@bp.route("/api/requests")
@access(ANYONE)
@endpoint(query=RequestQuery, response=RequestOut, paged=True, tag="requests")
def api_requests(query: RequestQuery) -> Page[RequestOut]:
    """Published selection requests (采购公告), newest publication first (as the notice
    list: a request drafted long ago and published now is at the top)."""
    q = sa.select(SelectionRequest).where(published())
    if query.method:
        q = q.where(SelectionRequest.method == query.method)
    if query.state:
        q = q.where(SelectionRequest.state == query.state)
    tenant_ids = division_ids(query.division) if query.division else []
    if query.division and not tenant_ids:
        # as /api/agencies: a code that is no division of this platform is a mistake to
        # report, not a filter that matches nothing
        raise ApiError(400, "invalid_parameter", "division: " + _(
            "未知的行政区划代码：%(value)s。", value=query.division))
    if query.division:
        q = q.where(SelectionRequest.tenant_id.in_(tenant_ids))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        q.with_only_columns(SelectionRequest.id).subquery())) or 0
    offset = (query.page - 1) * query.per_page
    listed = (newest_published(q, tenant_ids, query.per_page, offset) if query.division
              else q.order_by(SelectionRequest.published_at.desc(), SelectionRequest.id.desc())
              .limit(query.per_page).offset(offset))
    # what each item names, in one query each rather than one per item
    rows = db.session.scalars(listed.options(
        selectinload(SelectionRequest.service_type), selectinload(SelectionRequest.project),
        selectinload(SelectionRequest.owner), selectinload(SelectionRequest.tenant))).all()
    winners = ops.current_awards(list(rows))
    return Page(items=[_out(r, w.agency.public_id if (w := winners.get(r.id)) else None)
                       for r in rows], total=total, query=query)


@bp.route("/api/requests/<public_id>")
@access(ANYONE)
@endpoint(response=RequestDetailOut, tag="requests", errors=(404,))
def api_request(public_id: str) -> RequestDetailOut:
    """One selection request: the notice fields, the opened quotes of a sealed bid, the winner.

    Before a sealed bid's opening only the commitments are given: no amount exists in clear."""
    req = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id, SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        raise ApiError(404, "not_found", "no such request")
    procedures.advance(req)
    base = _out(req, _winner(req))

    bids = None
    commitments: list[str] = []
    if req.method in (Method.SEALED_BID, Method.PROPOSALS):
        current = quotes.current_bids(req)
        commitments = [b.commitment for b in current]
        if req.opened_at is not None:
            bids = [BidOut(b.agency.public_id, b.amount_fen, b.nonce, b.commitment)
                    for b in current if b.amount_fen is not None and b.nonce is not None]
    a = ops.current_award(req)
    return RequestDetailOut(
        **vars(base), scope=req.scope, price_kind=req.price_kind, price_fen=req.price_fen,
        cap_fen=req.cap_fen, floor_fen=req.floor_fen, service_days=req.service_days,
        version=req.version, external_source=req.external_label,
        lotteries=list(db.session.scalars(sa.select(Lottery.lottery_id).where(
            Lottery.request_id == req.id).order_by(Lottery.id))),
        opened_at=_iso(req.opened_at), commitments=commitments, bids=bids,
        publicity_ends_at=_iso(ops.publicity_end(a)) if a else None,
        confirm_by=_iso(ops.confirm_by(a)) if a and a.state == AwardState.OFFERED else None,
        failed_reason=req.failed_reason,
        award_changes=[AwardChangeOut(c.agency_id, c.how, c.reason, timeutil.iso_z(c.at),
                                      c.to_agency_id) for c in ops.changes(req)],
        cancelled_at=_iso(req.cancelled_at), cancel_reason=req.cancel_reason,
        reannounces=req.reannounces.public_id if req.reannounces else None,
        reannounced_as=later.public_id if (later := successor(req, published=True)) else None)
