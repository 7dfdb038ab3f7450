"""Owner pages: projects, the guided request form, publish, amend (项目业主)."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from market.auth import access, require_org
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.forms import ActionForm, show_error
from market.selection import requests as ops
from market.selection.draw import advance, current_lottery
from market.selection.errors import SelectionError
from market.selection.forms import AmendForm, ProjectForm, RequestForm
from market.selection.helpers import (
    local_to_utc,
    parse_avoid,
    parse_counts,
    utc_to_local,
    yuan_to_fen,
)
from market.selection.models import Project, RequestState, SelectionRequest
from market.templating import grade, service_name

bp = Blueprint("owner", __name__, url_prefix="/owner")



def _own_request(public_id: str) -> SelectionRequest:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id))
    if req is None or req.owner_org_id != require_org().id:
        abort(404)  # another organisation's request does not exist for you
    return req


@bp.route("/projects", methods=["GET", "POST"])
@access("owner")
def projects() -> ResponseReturnValue:
    org = require_org()
    form = ProjectForm()
    if form.validate_on_submit():
        investment = yuan_to_fen(form.investment.data)
        if investment is None or investment < 0:
            form.investment.errors = [_("请填写以万元为单位的数字，最多两位小数。")]
        else:
            try:
                ops.create_project(org, name=form.name.data or "", code=form.code.data or "",
                                   fund_source=form.fund_source.data or "",
                                   investment_fen=investment * 10_000,
                                   location=form.location.data or "")
            except SelectionError as error:
                show_error(form, error)
            else:
                flash(_("项目已登记。"), "success")
                return redirect(url_for("owner.projects"))
    rows = db.session.scalars(sa.select(Project).where(Project.owner_org_id == org.id)
                              .order_by(Project.id.desc())).all()
    return render_template("selection/owner_projects.html", form=form, projects=rows)


@bp.route("/requests")
@access("owner")
def requests() -> str:
    org = require_org()
    rows = db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.owner_org_id == org.id).order_by(SelectionRequest.id.desc())).all()
    for r in rows:
        advance(r)
    return render_template("selection/owner_requests.html", requests=rows)


def _prepare(form: RequestForm) -> None:
    org = require_org()
    form.project_id.choices = [SelectChoice(p.id, f"{p.name}（{p.code}）") for p in db.session.scalars(
        sa.select(Project).where(Project.owner_org_id == org.id).order_by(Project.id.desc()))]
    form.service_code.choices = [SelectChoice(s.code, service_name(s)) for s in db.session.scalars(
        sa.select(ServiceType).order_by(ServiceType.code))]
    form.qualification_level.choices = [SelectChoice("", _("不限"))] + [
        SelectChoice(v, grade(v)) for v in QUALIFICATION_LEVELS]
    form.witnesses.choices = [SelectChoice(u.id, f"{u.name}（{_(label)}）")
                              for u, label in ops.eligible_witnesses(org)]


def _input(form: RequestForm) -> ops.RequestInput | None:
    ok = True
    practitioners = parse_counts(form.practitioners.data)
    if practitioners is None:
        form.practitioners.errors = [_("每行写“证书类别 人数”，如：注册环评工程师 2")]
        ok = False
    avoid = parse_avoid(form.avoid.data)
    money = {}
    for name in ("price", "cap", "floor"):
        field = getattr(form, name)
        money[name] = yuan_to_fen(field.data)
        if field.data and money[name] is None:
            field.errors = [_("请填写以元为单位的金额，最多两位小数。")]
            ok = False
    closes = local_to_utc(form.signup_closes_at.data)
    if closes is None and form.method.data == "direct":
        from market import timeutil

        closes = timeutil.now()  # direct selection has no window
    elif closes is None:
        form.signup_closes_at.errors = [_("请选择报名截止时间。")]
        ok = False
    if not ok or closes is None or avoid is None:
        return None
    return ops.RequestInput(
        project_id=form.project_id.data, service_code=form.service_code.data or "",
        title=form.title.data or "", scope=form.scope.data or "",
        qualification_type=form.qualification_type.data or None,
        qualification_level=form.qualification_level.data or None,
        practitioners=practitioners or {}, price_kind=form.price_kind.data or "",
        price_fen=money["price"], cap_fen=money["cap"], floor_fen=money["floor"],
        service_days=form.service_days.data or 0, signing_days=form.signing_days.data or 0,
        method=form.method.data or "", signup_closes_at=closes,
        external_kind=form.external_kind.data or "", external_issue=form.external_issue.data or "",
        avoid=avoid, witness_ids=list(form.witnesses.data or []),
        direct_agency=(form.direct_agency.data or "").strip())


def _fill(form: RequestForm, req: SelectionRequest) -> None:
    data = ops.input_of(req)
    form.project_id.data = data.project_id
    form.service_code.data = data.service_code
    form.title.data, form.scope.data = data.title, data.scope
    form.qualification_type.data = data.qualification_type or ""
    form.qualification_level.data = data.qualification_level or ""
    form.practitioners.data = "\n".join(f"{k} {v}" for k, v in data.practitioners.items())
    form.price_kind.data = data.price_kind
    from market.domain.fees import format_yuan

    for name, value in (("price", data.price_fen), ("cap", data.cap_fen), ("floor", data.floor_fen)):
        getattr(form, name).data = format_yuan(value).replace(",", "") if value is not None else ""
    form.service_days.data, form.signing_days.data = data.service_days, data.signing_days
    form.method.data = data.method
    form.signup_closes_at.data = utc_to_local(data.signup_closes_at)
    form.external_kind.data, form.external_issue.data = data.external_kind, data.external_issue
    form.avoid.data = "\n".join(f"{a} {r}" for a, r in data.avoid)
    form.witnesses.data = data.witness_ids
    form.direct_agency.data = data.direct_agency


def _submit(form: RequestForm, save: Callable[[ops.RequestInput], SelectionRequest],
            done: str) -> ResponseReturnValue | None:
    """Parse the guided form, call ``save``; a redirect to the request when it worked, None
    (render the form again, errors next to the fields, input kept) when it did not."""
    if not form.validate_on_submit():
        return None
    data = _input(form)
    if data is None:
        return None
    try:
        req = save(data)
    except SelectionError as error:
        show_error(form, error)
        return None
    flash(done, "success")
    return redirect(url_for("owner.request_detail", public_id=req.public_id))


@bp.route("/requests/new", methods=["GET", "POST"])
@access("owner")
def new_request() -> ResponseReturnValue:
    form = RequestForm()
    _prepare(form)
    if not form.project_id.choices:
        flash(_("请先登记项目，再发布采购公告。"), "error")
        return redirect(url_for("owner.projects"))
    done = _submit(form, lambda data: ops.save_draft(require_org(), data, current_user),
                   _("草稿已保存，请预览后发布。"))
    return done or render_template("selection/request_form.html", form=form, editing=None)


@bp.route("/requests/<public_id>/edit", methods=["GET", "POST"])
@access("owner")
def edit_request(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    if req.state != RequestState.DRAFT:
        abort(404)
    form = RequestForm()
    _prepare(form)
    if request.method == "GET":
        _fill(form, req)
    done = _submit(form, lambda data: ops.save_draft(require_org(), data, current_user, req),
                   _("草稿已保存。"))
    return done or render_template("selection/request_form.html", form=form, editing=req)


@bp.route("/requests/<public_id>")
@access("owner")
def request_detail(public_id: str) -> str:
    req = _own_request(public_id)
    advance(req)
    return render_template("selection/owner_request.html", req=req,
                           lottery=current_lottery(req), preview=ops.input_of(req))


@bp.route("/requests/<public_id>/publish", methods=["POST"])
@access("owner")
def publish(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    if ActionForm().validate_on_submit():
        try:
            ops.publish(require_org(), req)
        except SelectionError as error:
            flash(_(error.message, **error.params), "error")
            return redirect(url_for("owner.request_detail", public_id=public_id))
        flash(_("公告已发布，报名开始。"), "success")
    return redirect(url_for("owner.request_detail", public_id=public_id))


@bp.route("/requests/<public_id>/amend", methods=["GET", "POST"])
@access("owner")
def amend(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    if req.state != RequestState.OPEN:
        abort(404)
    form = AmendForm()
    _prepare(form)
    if request.method == "GET":
        _fill(form, req)
    def save(data: ops.RequestInput) -> SelectionRequest:
        ops.amend(require_org(), req, data, form.reason.data or "", current_user)
        return req

    done = _submit(form, save, _("更正公告已发布。"))
    return done or render_template("selection/request_form.html", form=form, editing=req,
                                   amending=True)
