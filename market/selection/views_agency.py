"""Agency pages: open requests (with why not eligible), sign up, withdraw, receipts."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from market import timeutil
from market.accounts.auth import access, require_org
from market.agencies.models import Listing
from market.db import db
from market.domain.calendar import local_date
from market.downloads import json_download
from market.forms import ActionForm, errors_on_top, show_error
from market.selection import draw, procedures, quotes
from market.selection.award import LIVE, current_of
from market.selection.eligibility import REASON_TEXT, reasons_many
from market.selection.errors import SelectionError
from market.selection.forms import BidForm, WithdrawForm
from market.selection.models import AvoidEntry, Award, RequestState, SelectionRequest, SignUp

bp = Blueprint("agency_selection", __name__, url_prefix="/agency")



def _open_request(public_id: str) -> SelectionRequest:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id, SelectionRequest.state != RequestState.DRAFT))
    if req is None:
        abort(404)
    return req


@bp.route("/requests")
@access("agency")
def open_requests() -> str:
    """Open requests for the services this agency lists, and for each whether it may sign up
    (and if not, every reason)."""
    return requests_page(BidForm())


def requests_page(bid_form: BidForm, bid_for: int | None = None) -> str:
    """The open requests page; ``bid_for``: the request whose quote was refused, shown with
    ``bid_form``'s errors and what was typed."""
    org = require_org()
    services = set(db.session.scalars(sa.select(Listing.service_type_id).where(
        Listing.organisation_id == org.id)))
    rows = db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.state == RequestState.OPEN.value)
        .options(selectinload(SelectionRequest.avoid).joinedload(AvoidEntry.agency),
                 joinedload(SelectionRequest.owner), joinedload(SelectionRequest.service_type))
        .order_by(SelectionRequest.signup_closes_at)).all()
    today = timeutil.today_local()
    procedures.advance_many(rows)
    still_open = [req for req in rows if req.state == RequestState.OPEN]
    shown = {req.id for req in still_open}
    mine = {}  # each request's newest sign-up of this agency
    for signup in db.session.scalars(sa.select(SignUp).where(
            SignUp.request_id.in_(shown), SignUp.agency_org_id == org.id).order_by(SignUp.id)):
        mine[signup.request_id] = signup
    why_not = reasons_many(org, still_open, today)
    bids = quotes.my_bids(still_open, org)
    items = [{"req": req, "listed": req.service_type_id in services, "signup": mine.get(req.id),
              "reasons": [REASON_TEXT[r] for r in why_not[req.id]], "bid": bids.get(req.id)}
             for req in still_open]
    items.sort(key=lambda i: (not i["listed"], bool(i["reasons"])))
    if bid_for is not None and bid_for not in shown:
        for message in bid_form.amount.errors:  # its request is no longer open: on top
            flash(message, "error")
    return render_template("selection/agency_requests.html", items=items,
                           withdraw_form=WithdrawForm(), bid_form=bid_form, bid_for=bid_for)


@bp.route("/requests/<public_id>/signup", methods=["POST"])
@access("agency")
def sign_up(public_id: str) -> ResponseReturnValue:
    req = _open_request(public_id)
    if ActionForm().validate_on_submit():
        procedures.advance(req)
        try:
            draw.sign_up(req, require_org(), current_user)
        except SelectionError as error:
            flash(_(error.message, **error.params), "error")
            return redirect(url_for("agency_selection.open_requests"))
        flash(_("报名成功。请下载并保存报名回执。"), "success")
    return redirect(url_for("agency_selection.signups"))


@bp.route("/requests/<public_id>/withdraw", methods=["POST"])
@access("agency")
def withdraw(public_id: str) -> ResponseReturnValue:
    req = _open_request(public_id)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            draw.withdraw(req, require_org(), current_user, form.reason.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("已退出报名。"), "success")
            return redirect(url_for("agency_selection.signups"))
    # refused: the page again, the reason kept and the problem next to it
    shown = req.state == RequestState.OPEN.value and any(
        s.active for s in db.session.scalars(sa.select(SignUp).where(
            SignUp.request_id == req.id, SignUp.agency_org_id == require_org().id)))
    if not shown:
        errors_on_top(form)
    return _signups_page(form, req.id), 400


@bp.route("/signups")
@access("agency")
def signups() -> str:
    return _signups_page(WithdrawForm(formdata=None), None)


def _signups_page(withdraw_form: WithdrawForm, withdraw_for: int | None) -> str:
    """The agency's sign-ups; ``withdraw_for``: the request whose withdrawal was refused,
    shown with ``withdraw_form``'s errors next to its reason and what was typed."""
    org = require_org()
    rows = db.session.scalars(sa.select(SignUp).where(SignUp.agency_org_id == org.id)
                              .order_by(SignUp.id.desc())).all()
    return render_template("selection/agency_signups.html", signups=rows,
                           results=_results({s.request_id for s in rows}),
                           withdraw_form=withdraw_form, withdraw_for=withdraw_for,
                           today=local_date(timeutil.now()))


def _results(request_ids: set[int]) -> dict[int, tuple[Award | None, bool]]:
    """Per request: the award as it stands now (None: nobody holds it) and whether it changed
    hands since the first offer, from one query over all the requests' awards."""
    awards: dict[int, list[Award]] = {}
    for a in db.session.scalars(sa.select(Award).where(Award.request_id.in_(request_ids))
                                .order_by(Award.id)):
        awards.setdefault(a.request_id, []).append(a)
    return {rid: (current_of(rows), any(a.state not in LIVE for a in rows))
            for rid, rows in awards.items()}


@bp.route("/signups/<int:signup_id>/receipt.json")
@access("agency")
def receipt(signup_id: int) -> ResponseReturnValue:
    """The sign-up receipt to keep: the register event, its inclusion proof, the checkpoint."""
    signup = db.session.get(SignUp, signup_id)
    if signup is None or signup.agency_org_id != require_org().id or signup.receipt is None:
        abort(404)
    body = json.dumps(signup.receipt, ensure_ascii=False, indent=1, sort_keys=True)
    return json_download(body, f"receipt-{signup.lottery_id}-{signup.id}.json")
