"""Regulator pages of sealed-bid openings (开标): opening keys, the requests awaiting their
opening, and the page where a key holder presents its key.

The key file never leaves the holder's computer: ``static/js/opening-key.js`` reads it in the
browser, opens the holder's own shares (``shares.json``) and posts only those.

An opening is its request's tenant's matter: a regulator outside the request's scope finds
no such opening (404); the province reads it and may not present (403); the holders are the
covering regulators' (market.selection.opening.keys_for).
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, jsonify, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.datastructures import FileStorage

from market import timeutil
from market.accounts import scope
from market.accounts.auth import access, require_org
from market.accounts.models import OrgKind
from market.db import db
from market.forms import errors_on_top, show_error
from market.selection import opening, procedures
from market.selection.errors import SelectionError
from market.selection.forms import OpeningKeyForm, PresentKeyForm, RetireKeyForm
from market.selection.models import RequestState, SelectionRequest
from market.selection.quotes import current_bids
from market.selection.scope import request_subject

bp = Blueprint("openings", __name__, url_prefix="/regulator")

MAX_SHARES_FILE = 2_000_000


def _request(public_id: str, act: scope.Act = scope.Act.READ) -> SelectionRequest:
    """The sealed request, if the regulator's scope lets it ``act`` on it (404 outside the
    scope, 403 for an act that is another regulator's)."""
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id,
        SelectionRequest.method.in_(opening.SEALED_METHODS),
        SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        abort(404)
    scope.require(require_org(), request_subject(req), act)
    return req


@bp.route("/openings")
@access(OrgKind.REGULATOR)
def index() -> str:
    now = timeutil.now()
    org = require_org()
    for req in opening.awaiting_requests(now, org):
        procedures.advance(req)  # an opening whose deadline passed lapses before it is listed
    return render_template("regulator/openings.html",
                           awaiting=opening.awaiting_requests(now, org),
                           upcoming=opening.upcoming_requests(now, org), opening=opening,
                           mine=opening.my_key(current_user), now=now,
                           keys=opening.keys_in(scope.list_scope(org).tenant_id),
                           threshold=opening.threshold())


def _page(req: SelectionRequest, form: PresentKeyForm, status: int = 200) -> tuple[str, int]:
    mine = opening.my_key(current_user)
    held = [k for k in opening.keys_of(req) if k.holder_id == current_user.id]
    presented = {p.key_id: p for p in opening.presentations(req)}
    to_present = [k for k in held if k.key_id not in presented]
    return render_template(
        "regulator/opening.html", req=req, form=form, opening=opening, mine=mine, held=held,
        keys=opening.keys_of(req), presented=presented, bids=current_bids(req),
        to_present=to_present, show_form=bool(to_present) and opening.awaiting(req),
        now=timeutil.now()), status


@bp.route("/openings/<public_id>", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def opening_page(public_id: str) -> ResponseReturnValue:
    """The opening of one sealed bid: who holds its keys, who presented; the holder presents."""
    form = PresentKeyForm()
    req = _request(public_id, scope.Act.DECIDE if form.is_submitted() else scope.Act.READ)
    procedures.advance(req)
    if not form.is_submitted():
        return _page(req, form)
    if not form.validate():
        return _page(req, form, 400)
    text = (form.shares.data or "").strip()
    upload: FileStorage | None = form.shares_file.data
    if not text and upload is not None and upload.filename:
        raw = upload.read(MAX_SHARES_FILE + 1)
        if len(raw) > MAX_SHARES_FILE:
            form.shares_file.errors = [_("文件太大，这不是份额文件。")]
            return _page(req, form, 400)
        text = raw.decode("utf-8", errors="replace")
    if not text:
        form.shares.errors = [_("请选择您的开标密钥文件。")]
        return _page(req, form, 400)
    try:
        opened = procedures.present_key(req, current_user, text)
    except SelectionError as error:
        show_error(form, error)
        if error.field == "shares" and form.shares_file.data is not None and not form.shares.data:
            form.shares_file.errors, form.shares.errors = form.shares.errors, []
        return _page(req, form, 400)
    if opened:
        flash(_("已开标：全部报价已公开，密钥份额已从平台删除。"), "success")
        return redirect(url_for("lotteries.notice", public_id=public_id))
    if req.opening_error:  # enough keys, but a stored quote or share does not open
        flash(_("密钥已出示，但开标中止：%(error)s", error=req.opening_error), "error")
        return redirect(url_for("openings.opening_page", public_id=public_id))
    flash(_("已出示密钥。还需要其他持有人出示密钥才能开标；您出示的份额将在开标后删除。"), "success")
    return redirect(url_for("openings.opening_page", public_id=public_id))


@bp.route("/openings/<public_id>/shares.json")
@access(OrgKind.REGULATOR)
def wrapped_shares(public_id: str) -> ResponseReturnValue:
    """This holder's sealed shares of the request's quotes, from the opening time on only.
    They open with the holder's private key alone (in the browser or the offline tool)."""
    req = _request(public_id, scope.Act.DECIDE)
    procedures.advance(req)
    held = [k for k in opening.keys_of(req) if k.holder_id == current_user.id]
    if not held or not opening.awaiting(req):
        abort(404)
    response = jsonify(opening.request_document(req, held[0]))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{req.public_id}-{held[0].key_id}-sealed-shares.json"')
    return response


@bp.route("/keys", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def keys() -> ResponseReturnValue:
    """Opening keys: register one's own (generated in the browser or offline), see everyone's."""
    form = OpeningKeyForm()
    status = 200
    if form.is_submitted():
        status = 400
        if form.validate():
            try:
                key = opening.register_key(current_user, form.public_key.data or "")
            except SelectionError as error:
                show_error(form, error)
            else:
                flash(_("开标密钥 %(key)s 已登记。请妥善保存密钥文件：平台没有它的副本，丢失后无法用它开标。",
                        key=key.key_id), "success")
                return redirect(url_for("openings.keys"))
    return _keys_page(form, RetireKeyForm(formdata=None), None), status


def _keys_page(form: OpeningKeyForm, retire_form: RetireKeyForm, retire_for: str | None) -> str:
    """The keys page; ``retire_for``: the key whose retirement was refused, shown with
    ``retire_form``'s errors next to its reason and what was typed."""
    mine = opening.my_key(current_user)
    org = require_org()
    # the keys of the regulator's tenant (the province reads them all)
    rows = opening.keys_in(scope.list_scope(org).tenant_id, opening.all_keys())
    return render_template(
        "regulator/opening_keys.html", form=form, mine=mine, rows=rows, opening=opening,
        manages={k.key_id for k in rows if opening.manages(current_user, org, k)},
        retire_form=retire_form, retire_for=retire_for, threshold=opening.threshold(),
        active=[k for k in rows if k.retired_at is None],
        needed={k.key_id: opening.needed_by(k) for k in rows},
        retired_mine=[k for k in rows if k.holder_id == current_user.id and k.retired_at
                      and opening.needed_by(k)])


@bp.route("/keys/<key_id>/retire", methods=["POST"])
@access(OrgKind.REGULATOR)
def retire(key_id: str) -> ResponseReturnValue:
    key = opening.key_by_id(key_id)
    if key is None or not opening.manages(current_user, require_org(), key):
        abort(404)  # another tenant's key is not this regulator's to know of
    form = RetireKeyForm()
    if form.validate_on_submit():
        try:
            opening.retire_key(current_user, key, form.reason.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("开标密钥 %(key)s 已停用：新的密封报价不再加密到它。", key=key_id), "success")
            return redirect(url_for("openings.keys"))
    # refused: the page again, the reason kept and the problem next to it (on a phone a
    # message on top of the page is out of sight)
    if key.retired_at is not None:
        errors_on_top(form)
    return _keys_page(OpeningKeyForm(formdata=None), form, key_id), 400
