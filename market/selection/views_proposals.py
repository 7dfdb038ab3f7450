"""Proposal selection pages (方案择优 / 比选): an agency submits its proposal and quote, the
owner records the panel's scores and publishes them, and the opened files are served to the
people who may read them."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import scope
from market.accounts.auth import access, current_org, current_role, require_org, within_reach
from market.accounts.models import Role
from market.db import db
from market.domain.fees import parse_yuan
from market.domain.proposal_scoring import MIN_SCORERS
from market.forms import ActionForm, show_error
from market.selection import procedures
from market.selection.errors import SelectionError
from market.selection.forms import ProposalForm, ScorerForm
from market.selection.helpers import yuan_to_fen
from market.selection.models import Method, Proposal, RequestState, SelectionRequest
from market.selection.procedures import proposals as ops
from market.selection.quotes import my_bid
from market.selection.scope import request_subject
from market.storage import send_upload

bp = Blueprint("proposals", __name__)


def _proposal_request(public_id: str) -> SelectionRequest:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id, SelectionRequest.method == Method.PROPOSALS.value,
        SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        abort(404)
    return req


def _own(public_id: str) -> SelectionRequest:
    req = _proposal_request(public_id)
    if not within_reach(req.owner_org_id, req.project_id):
        abort(404)  # another organisation's request, or a project not assigned to you
    return req


# --- agency ------------------------------------------------------------------------------------

@bp.route("/agency/requests/<public_id>/proposal", methods=["GET", "POST"])
@access("agency")
def submit(public_id: str) -> ResponseReturnValue:
    """Submit or replace a proposal and its quote; both are sealed before anything is kept."""
    req = _proposal_request(public_id)
    procedures.advance(req)
    form = ProposalForm()
    status = 200
    if form.is_submitted():
        status = 400
        amount = yuan_to_fen(form.amount.data)
        if form.validate() and amount is None:
            form.amount.errors = [_("请填写以元为单位的金额，最多两位小数。")]
        elif not form.errors:
            try:
                ops.submit(req, require_org(), current_user, amount, request.files.get("file"))
            except SelectionError as error:
                show_error(form, error)
            else:
                flash(_("方案和报价已密封提交。请下载并保存回执（含承诺值和方案文件的哈希值，不含金额）。"),
                      "success")
                return redirect(url_for("awards.my_bids"))
    return render_template("selection/proposal_form.html", req=req, form=form,
                           bid=my_bid(req, require_org())), status


# --- owner: the panel's scores -----------------------------------------------------------------

def _points(req: SelectionRequest) -> tuple[dict[int, list[int]], list[str]]:
    """The points typed for every valid proposal and criterion (``p-<bid>-<i>``), in tenths;
    and the fields that are not a number with at most one decimal."""
    sheet = ops.sheet_of(req)
    points: dict[int, list[int]] = {}
    bad: list[str] = []
    for bid in ops.valid_bids(req):
        row = []
        for i in range(len(sheet.criteria) if sheet else 0):
            name = f"p-{bid.id}-{i}"
            text = (request.form.get(name) or "").strip()
            fen = parse_yuan(text) if text else None
            if fen is None or fen % 10:
                bad.append(name)
                row.append(-1)
            else:
                row.append(fen // 10)
        points[bid.id] = row
    return points, bad


def _scores_page(req: SelectionRequest, form: ScorerForm, status: int = 200,
                 bad: list[str] | None = None) -> ResponseReturnValue:
    return render_template("selection/proposal_scores.html", req=req, form=form,
                           sheet=ops.sheet_of(req), rows=ops.proposals_of(req),
                           valid=ops.valid_bids(req), scorers=ops.scorers(req),
                           results=ops.results(req), bad=set(bad or []),
                           typed=request.form if request.method == "POST" else {},
                           action=ActionForm(), min_scorers=MIN_SCORERS), status


@bp.route("/owner/requests/<public_id>/scores", methods=["GET", "POST"])
@access("owner")
def scores(public_id: str) -> ResponseReturnValue:
    """The opened proposals, the scorers recorded so far, and the form for one more."""
    req = _own(public_id)
    procedures.advance(req)
    form = ScorerForm()
    if not form.is_submitted():
        return _scores_page(req, form)
    points, bad = _points(req)
    if not form.validate() or bad:
        if bad:
            flash(_("分值须为数字，最多一位小数；标红的格子需要改正。"), "error")
        return _scores_page(req, form, 400, bad)
    try:
        ops.record_scorer(req, require_org(), current_user, form.name.data or "", points)
    except SelectionError as error:
        show_error(form, error)
        return _scores_page(req, form, 400)
    flash(_("已录入评委 %(name)s 的评分。", name=form.name.data), "success")
    return redirect(url_for("proposals.scores", public_id=public_id))


@bp.route("/owner/requests/<public_id>/scores/<int:scorer_id>/remove", methods=["POST"])
@access("owner")
def remove_scorer(public_id: str, scorer_id: int) -> ResponseReturnValue:
    req = _own(public_id)
    if ActionForm().validate_on_submit():
        try:
            ops.remove_scorer(req, require_org(), scorer_id)
        except SelectionError as error:
            flash(_(error.message, **error.params), "error")
            return _scores_page(req, ScorerForm(formdata=None), 400)
        flash(_("已删除该评委的评分。"), "success")
    return redirect(url_for("proposals.scores", public_id=public_id))


@bp.route("/owner/requests/<public_id>/scores/publish", methods=["POST"])
@access("owner")
def publish(public_id: str) -> ResponseReturnValue:
    req = _own(public_id)
    if ActionForm().validate_on_submit():
        try:
            ops.publish_scores(req, require_org(), current_user)
        except SelectionError as error:
            flash(_(error.message, **error.params), "error")
            return _scores_page(req, ScorerForm(formdata=None), 400)
        flash(_("评审结果已公布。"), "success")
    return redirect(url_for("lotteries.notice", public_id=public_id))


# --- the opened files --------------------------------------------------------------------------

@bp.route("/proposals/<int:proposal_id>/file")
@access("owner", "agency", "regulator")
def file(proposal_id: int) -> ResponseReturnValue:
    """An opened proposal's file: for the request's owner, the agency that submitted it and the
    regulators, and only after the opening (before it no plaintext exists to serve)."""
    row = db.session.get(Proposal, proposal_id)
    org = current_org()
    if row is None or row.opened_upload is None or org is None:
        abort(404)
    req = row.bid.request
    if current_role() == Role.REGULATOR:
        scope.require(org, request_subject(req), scope.Act.READ)
    elif not (org.id == row.bid.agency_org_id or within_reach(req.owner_org_id, req.project_id)):
        abort(404)
    return send_upload(row.opened_upload)
