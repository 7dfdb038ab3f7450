"""Owner pages: projects, the guided request form, publish, amend (项目业主)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from market import timeutil
from market.accounts.auth import (
    access,
    current_membership,
    require_org,
    require_reach,
    within_reach,
)
from market.accounts.models import Role
from market.catalogue import choices as catalogue_choices
from market.catalogue.models import ServiceType
from market.db import db
from market.domain import quotes
from market.domain.calendar import local_date
from market.domain.fees import format_yuan
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.forms import ActionForm, keep_offered, show_error
from market.selection import assignments, avoid_review, opening
from market.selection import award as award_ops
from market.selection import quotes as sealed_quotes
from market.selection import requests as ops
from market.selection.draw import LOTTERY_METHODS, current_lottery
from market.selection.eligibility import eligible_on, off_catalogue, request_facts
from market.selection.errors import SelectionError
from market.selection.external import SCHEDULE_UNKNOWN, preview_external
from market.selection.forms import (
    AmendForm,
    AssignForm,
    CancelForm,
    ChooseForm,
    ProjectForm,
    RequestForm,
)
from market.selection.helpers import local_to_utc, parse_avoid, utc_to_local, yuan_to_fen
from market.selection.models import Method, Project, RequestState, SelectionRequest
from market.selection.procedures import advance, advance_many
from market.selection.procedures import lottery as credit_merit
from market.settings import service as settings
from market.templating import grade, service_name

bp = Blueprint("owner", __name__, url_prefix="/owner")



def _own_request(public_id: str) -> SelectionRequest:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id))
    if req is None or not within_reach(req.owner_org_id, req.project_id):
        abort(404)  # another organisation's request, or a project not assigned to you
    return req


def _own_project(public_id: str) -> Project:
    project: Project | None = db.session.scalar(sa.select(Project).where(
        Project.public_id == public_id))
    if project is None or not within_reach(project.owner_org_id, project.id):
        abort(404)
    return project


@bp.route("/projects", methods=["GET", "POST"])
@access("owner")
def projects() -> ResponseReturnValue:
    org = require_org()
    form = ProjectForm()
    if form.is_submitted():
        valid = form.validate()
        investment = yuan_to_fen(form.investment.data)
        if form.investment.data and (investment is None or investment < 0):
            # after the edge's message about the character (superscript, invisible), not over it
            if not form.investment.errors:
                form.investment.errors = [_("请填写以万元为单位的数字，最多两位小数。")]
            valid = False
        # every problem of every field at once, each next to its field
        _show(form, ops.project_problems(
            code=form.code.data or "", fund_source=form.fund_source.data or "",
            investment_fen=(investment or 0) * 10_000))
        if valid and not any(f.errors for f in form):
            try:
                ops.create_project(org, name=form.name.data or "", code=form.code.data or "",
                                   fund_source=form.fund_source.data or "",
                                   investment_fen=(investment or 0) * 10_000,
                                   location=form.location.data or "",
                                   by=current_membership())
            except SelectionError as error:
                _show(form, error.problems or [error])
            else:
                flash(_("项目已登记。"), "success")
                return redirect(url_for("owner.projects"))
    rows = db.session.scalars(sa.select(Project).where(
        require_reach().where(Project.owner_org_id, Project.id)).order_by(Project.id.desc())).all()
    return render_template("selection/owner_projects.html", form=form, projects=rows), \
        400 if form.is_submitted() else 200


def _project_page(project: Project, form: AssignForm | None = None,
                  status: int = 200) -> ResponseReturnValue:
    membership = current_membership()
    admin = membership is not None and membership.role == Role.OWNER_ADMIN.value
    delegates = assignments.delegates_of(project.owner_org_id) if admin else []
    assigned = assignments.assignees(project)
    if admin and form is None:
        form = AssignForm()
    if form is not None:
        form.delegates.choices = [SelectChoice(m.id, f"{m.user.name}（{m.user.email}）")
                                  for m in delegates]
        if not form.is_submitted():
            form.delegates.data = [m.id for m in assigned]
    rows = db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.project_id == project.id).order_by(SelectionRequest.id.desc())).all()
    return render_template("selection/owner_project.html", project=project, requests=rows,
                           assigned=assigned, form=form if admin else None), status


@bp.route("/projects/<public_id>")
@access("owner")
def project(public_id: str) -> ResponseReturnValue:
    """One project: its facts, its requests and the delegates it is assigned to; the
    administrator assigns it here."""
    return _project_page(_own_project(public_id))


@bp.route("/projects/<public_id>/delegates", methods=["POST"])
@access(Role.OWNER_ADMIN)
def project_delegates(public_id: str) -> ResponseReturnValue:
    """The administrator (采购管理人) assigns the project to its delegates, or takes it back."""
    project = _own_project(public_id)
    form = AssignForm()
    form.delegates.choices = [SelectChoice(m.id, m.user.name)
                              for m in assignments.delegates_of(project.owner_org_id)]
    if form.validate_on_submit():
        try:
            added, removed = assignments.set_assignees(project, form.delegates.data or [],
                                                       by=current_user)
        except SelectionError as error:
            form.delegates.errors = [_(error.message, **error.params)]
        else:
            flash(_("已更新项目的采购受托人：分派 %(added)s 人，收回 %(removed)s 人。",
                    added=added, removed=removed), "success")
            return redirect(url_for("owner.project", public_id=public_id))
    return _project_page(project, form, 400)


@bp.route("/requests")
@access("owner")
def requests() -> str:
    rows = db.session.scalars(sa.select(SelectionRequest).where(
        require_reach().where(SelectionRequest.owner_org_id, SelectionRequest.project_id))
        .order_by(SelectionRequest.id.desc())).all()
    advance_many(rows)
    return render_template("selection/owner_requests.html", requests=rows)


def _catalogue_choices(attribute: str, current: list[str]) -> list[SelectChoice]:
    """Every type the catalogue lists under ``attribute`` (qualification_types or
    practitioner_types), each marked with the service types that list it, so the page can
    offer only the chosen service's types; ``current`` values the catalogue no longer lists
    (older free-text requirements) stay visible as they are, marked, to be chosen again."""
    services: dict[str, list[str]] = {}
    for st in db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)):
        for t in getattr(st, attribute) or []:
            services.setdefault(t, []).append(st.code)
    choices = [SelectChoice("", _("不要求"))]
    choices += [SelectChoice(t, t, render_kw={"data-services": " ".join(codes)})
                for t, codes in sorted(services.items())]
    choices += [SelectChoice(v, _("%(value)s（不在目录中，请重新选择）", value=v),
                             render_kw={"data-services": ""})
                for v in dict.fromkeys(current) if v and v not in services]
    return choices


def _prepare(form: RequestForm) -> None:
    org = require_org()
    # only the projects within reach: a delegate's choice of another project is not valid
    form.project_id.choices = [SelectChoice(p.id, f"{p.name}（{p.code}）") for p in db.session.scalars(
        sa.select(Project).where(require_reach().where(Project.owner_org_id, Project.id))
        .order_by(Project.id.desc()))]
    form.service_code.choices = [SelectChoice(s.code, service_name(s)) for s in db.session.scalars(
        catalogue_choices.types_used(org.tenant_id))]
    form.qualification_level.choices = [SelectChoice("", _("不限"))] + [
        SelectChoice(v, grade(v)) for v in QUALIFICATION_LEVELS]
    form.witnesses.choices = [SelectChoice(u.id, f"{u.name}（{_(label)}）")
                              for u, label in ops.eligible_witnesses(org)]
    _requirement_choices(form)


def _requirement_choices(form: RequestForm) -> None:
    """The requirement selects' choices, with what the form holds now (see
    :func:`_catalogue_choices`); one empty practitioner row more once all are filled."""
    form.qualification_type.choices = _catalogue_choices(
        "qualification_types", [form.qualification_type.data or ""])
    rows = form.practitioners
    kinds = _catalogue_choices("practitioner_types", [r.form.kind.data or "" for r in rows])
    if all(r.form.kind.data for r in rows) and len(rows) < min(rows.max_entries or 20,
                                                               len(kinds) - 1):
        rows.append_entry()
    for row in rows:
        row.form.kind.choices = kinds


def _practitioners(form: RequestForm) -> dict[str, int] | None:
    """The practitioner rows as {type: count}; None (errors next to the rows) when a row
    is half filled or a type is repeated."""
    result: dict[str, int] = {}
    ok = True
    for row in form.practitioners:
        kind, count = (row.form.kind.data or "").strip(), row.form.count.data
        if not kind and count is None and not row.form.count.errors:
            continue
        if not kind:
            row.form.kind.errors = [*row.form.kind.errors, _("请选择执业资格类型。")]
            ok = False
        elif count is None and not row.form.count.errors:
            row.form.count.errors = [*row.form.count.errors, _("请填写人数。")]
            ok = False
        elif kind in result:
            row.form.kind.errors = [*row.form.kind.errors, _("同一类型请只写一行。")]
            ok = False
        elif count is not None:
            result[kind] = count
    return result if ok else None


def _input(form: RequestForm) -> tuple[ops.RequestInput, bool]:
    """What the owner typed as the operation's input, and whether every field parsed (the
    ones that did not have their error already; the input then holds a neutral value)."""
    ok = True
    practitioners = _practitioners(form)
    if practitioners is None:
        ok = False
    avoid = parse_avoid(form.avoid.data) or []
    money = {}
    for name in ("price", "cap", "floor"):
        field = getattr(form, name)
        money[name] = yuan_to_fen(field.data)
        if field.data and money[name] is None:
            if not field.errors:  # the edge already named the character it refused
                field.errors = [_("请填写以元为单位的金额，最多两位小数。")]
            ok = False
    low_share = None
    if form.low_share.data:
        low_share = quotes.parse_rate(form.low_share.data)
        if low_share is None:
            if not form.low_share.errors:
                form.low_share.errors = [_("请填写百分比，最多两位小数，如 20。")]
            ok = False
    closes = local_to_utc(form.signup_closes_at.data)
    if closes is None and form.method.data == "direct":

        closes = timeutil.now()  # direct selection has no window
    return ops.RequestInput(
        project_id=form.project_id.data or 0, service_code=form.service_code.data or "",
        title=form.title.data or "", scope=form.scope.data or "",
        qualification_type=form.qualification_type.data or None,
        qualification_level=form.qualification_level.data or None,
        practitioners=practitioners or {}, price_kind=form.price_kind.data or "",
        price_fen=money["price"], cap_fen=money["cap"], floor_fen=money["floor"],
        service_days=form.service_days.data or 0, signing_days=form.signing_days.data or 0,
        method=form.method.data or "", signup_closes_at=closes,
        external_kind=form.external_kind.data or "",
        avoid=avoid, witness_ids=list(form.witnesses.data or []),
        direct_agency=(form.direct_agency.data or "").strip(),
        on_upheld=form.on_upheld.data or "",
        quote_kind=form.quote_kind.data or quotes.AMOUNT, low_share_bp=low_share,
        low_action=form.low_action.data or None, credit_threshold=form.credit_threshold.data,
        shortlist_size=form.shortlist_size.data,
        scoring_criteria=form.scoring_criteria.data or "",
        price_points=form.price_points.data), ok


def _initial(data: ops.RequestInput) -> dict[str, object]:
    """The form's fields filled from saved terms (editing a draft, amending a notice,
    re-announcing a failed one)."""
    money = {name: format_yuan(value).replace(",", "") if value is not None else ""
             for name, value in (("price", data.price_fen), ("cap", data.cap_fen),
                                 ("floor", data.floor_fen))}
    return {
        "project_id": data.project_id, "service_code": data.service_code,
        "title": data.title, "scope": data.scope,
        "qualification_type": data.qualification_type or "",
        "qualification_level": data.qualification_level or "",
        "practitioners": [{"kind": k, "count": v} for k, v in data.practitioners.items()],
        "price_kind": data.price_kind, **money,
        "service_days": data.service_days, "signing_days": data.signing_days,
        "method": data.method,
        "signup_closes_at": utc_to_local(data.signup_closes_at) if data.signup_closes_at else None,
        "external_kind": data.external_kind,
        "avoid": "\n".join(f"{a} {r}" for a, r in data.avoid),
        "witnesses": data.witness_ids, "direct_agency": data.direct_agency,
        "on_upheld": data.on_upheld,
        "quote_kind": data.quote_kind,
        "low_share": quotes.format_rate(data.low_share_bp).rstrip("%")
        if data.low_share_bp is not None else "",
        "low_action": data.low_action or "", "credit_threshold": data.credit_threshold,
        "shortlist_size": data.shortlist_size,
        "scoring_criteria": data.scoring_criteria, "price_points": data.price_points,
    }


def _show(form: RequestForm, found: list[ops.Problem] | list[SelectionError]) -> None:
    """Each problem next to its field (a practitioner problem next to its row), unless that
    field already shows an error; problems of no field on top of the page."""
    for problem in found:
        message = _(problem.message, **(problem.params or {}))
        target = None
        if problem.field == "practitioners":
            rows = list(form.practitioners)
            kind = (problem.params or {}).get("value")
            row = next((r for r in rows if r.form.kind.data == kind), rows[0] if rows else None)
            if row is not None:
                part = (problem.params or {}).get("part")
                target = row.form.count if part == "count" else row.form.kind
        elif problem.field:
            target = getattr(form, problem.field, None)
        if target is None or not hasattr(target, "errors"):
            flash(message, "error")
        elif not target.errors:
            target.errors = [message]


def _submit(form: RequestForm, save: Callable[[ops.RequestInput], SelectionRequest],
            done: str, amending: SelectionRequest | None = None) -> ResponseReturnValue | None:
    """Parse the guided form, call ``save``; a redirect to the request when it worked, None
    (render the form again with every error of every step next to its field, input kept)
    when it did not."""
    if not form.is_submitted():
        return None
    valid = form.validate()
    data, parsed = _input(form)
    found = ops.problems(require_org(), data, timeutil.now(), amending)
    if not (valid and parsed) or found:
        _show(form, found)
        return None
    try:
        req = save(data)
    except SelectionError as error:
        _show(form, error.problems or [error])
        return None
    flash(done, "success")
    return redirect(url_for("owner.request_detail", public_id=req.public_id))


# The guided form's selects and radio groups.
_CHOICES = ("project_id", "service_code", "qualification_type", "qualification_level",
            "price_kind", "method", "on_upheld", "quote_kind", "low_action", "external_kind")


def _form_page(form: RequestForm, saved: ops.RequestInput | None = None,
               **context: object) -> ResponseReturnValue:
    """The guided form again: 400 when it shows errors (nothing was saved).  A choice the
    page never offered shows the ``saved`` terms the page was loaded with (the form is built
    from the post alone)."""
    if saved is not None and form.is_submitted():
        initial = _initial(saved)
        keep_offered(form, {name: initial[name] for name in _CHOICES})
    _requirement_choices(form)
    failed = form.is_submitted()
    return render_template("selection/request_form.html", form=form, **context), \
        400 if failed else 200


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
    return done or _form_page(form, editing=None)


@bp.route("/requests/<public_id>/edit", methods=["GET", "POST"])
@access("owner")
def edit_request(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    if req.state != RequestState.DRAFT:
        abort(404)
    form = RequestForm(data=_initial(ops.input_of(req))) if request.method == "GET" else RequestForm()
    _prepare(form)
    done = _submit(form, lambda data: ops.save_draft(require_org(), data, current_user, req),
                   _("草稿已保存。"))
    return done or _form_page(form, ops.input_of(req), editing=req)


def _outlook(req: SelectionRequest) -> dict[str, object] | None:
    """How many admitted agencies the request's terms admit now and on the close date (the
    sign-up rule itself), against the minimum the close needs; None once sign-up is over."""
    if req.state not in (RequestState.DRAFT, RequestState.OPEN) or req.method == Method.DIRECT:
        return None
    wanted = request_facts(req)
    today = timeutil.today_local()
    close_day = max(today, local_date(req.signup_closes_at))
    eligible = eligible_on(wanted, [today, close_day], req.tenant_id)
    now, at_close = len(eligible[today]), len(eligible[close_day])
    minimum = settings.effective("MIN_ELIGIBLE_REGISTRANTS", req.published_at, req.tenant_id) \
        if req.method in LOTTERY_METHODS else 1
    return {"now": now, "at_close": at_close, "close_day": close_day, "minimum": minimum,
            "short": min(now, at_close) < minimum, "gaps": off_catalogue(req)}


def _detail(req: SelectionRequest, cancel_form: CancelForm | None = None,
            status: int = 200, choose_form: ChooseForm | None = None) -> ResponseReturnValue:

    awards = award_ops.awards_of(req)
    award = award_ops.current_award(req)
    start = award_ops.contract_from(award) if award is not None else None
    contract = None if award is None else {
        "notice_ends": award_ops.publicity_end(award),
        "pending_objection": award_ops.has_pending_objection(award),
        "from": start, "started": start is not None and timeutil.now() >= start}
    return render_template(
        "selection/owner_request.html", req=req, lottery=current_lottery(req),
        outlook=_outlook(req), cancel_form=cancel_form or CancelForm(formdata=None),
        successor=ops.successor(req), awards=awards, award=award, contract=contract,
        award_ops_changes=award_ops.changes(req, awards), **_sealing_context(req),
        planned=_planned_source(req), avoid=avoid_review.status(req),
        shortlist=credit_merit.shortlist_of(req),
        # agencies do not sign up for a sealed round: they submit a quote or a proposal
        sealed_count=len(sealed_quotes.current_bids(req)) if req.method in opening.SEALED_METHODS
        else None,
        choose_form=choose_form or ChooseForm(formdata=None)), status


def _sealing_context(req: SelectionRequest) -> dict[str, object]:
    """How a sealed bid's quotes are sealed, and whether enough opening keys exist to publish."""
    keys = len(opening.keys_for(req))
    return {"sealing": opening.status(req), "key_count": keys, "threshold": opening.threshold(),
            "keys_missing": (req.state == RequestState.DRAFT and req.method in opening.SEALED_METHODS
                             and keys < opening.threshold())}


@bp.route("/requests/<public_id>")
@access("owner")
def request_detail(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    advance(req)
    return _detail(req)


@bp.route("/requests/<public_id>/choose", methods=["POST"])
@access("owner")
def choose(public_id: str) -> ResponseReturnValue:
    """Credit merit (信用择优): choose one agency of the short list, with a public reason."""
    req = _own_request(public_id)
    if req.state == RequestState.DRAFT:
        abort(404)
    advance(req)
    form = ChooseForm()
    if form.validate_on_submit():
        try:
            credit_merit.choose(req, require_org(), current_user, form.agency.data or "",
                                form.reason.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("已选定中选机构，中选结果和选定理由已公示。"), "success")
            return redirect(url_for("owner.request_detail", public_id=public_id))
    return _detail(req, status=400, choose_form=form)


@bp.route("/requests/<public_id>/withdraw", methods=["POST"])
@access("owner")
def withdraw(public_id: str) -> ResponseReturnValue:
    """Withdraw (撤销) a published request with a public reason: open, or failed."""
    req = _own_request(public_id)
    if req.state == RequestState.DRAFT:
        abort(404)
    advance(req)  # a close that is due happens first: then only a regulator may void
    form = CancelForm()
    if form.validate_on_submit():
        try:
            ops.withdraw(require_org(), req, current_user, form.reason.data or "")
        except SelectionError as error:
            show_error(form, error)
        else:
            flash(_("公告已撤销，撤销理由已公开，已报名的机构会收到提醒。"), "success")
            return redirect(url_for("owner.request_detail", public_id=public_id))
    return _detail(req, form, 400)


@bp.route("/requests/<public_id>/reannounce", methods=["GET", "POST"])
@access("owner")
def reannounce(public_id: str) -> ResponseReturnValue:
    """Re-announce (重新公告) a failed request: the guided form, filled with its terms."""
    failed = _own_request(public_id)
    if failed.state != RequestState.FAILED:
        abort(404)
    existing = ops.successor(failed)
    if existing is not None:
        flash(_("该公告已有重新公告 %(id)s。", id=existing.public_id), "info")
        target = "owner.edit_request" if existing.state == RequestState.DRAFT \
            else "owner.request_detail"
        return redirect(url_for(target, public_id=existing.public_id))
    form = RequestForm(data=_initial(ops.reannounce_input(failed))) \
        if request.method == "GET" else RequestForm()
    _prepare(form)
    done = _submit(form, lambda data: ops.start_reannouncement(require_org(), failed, data,
                                                               current_user),
                   _("重新公告的草稿已保存，请预览后发布。"))
    return done or _form_page(form, ops.reannounce_input(failed), editing=None,
                              reannouncing=failed)


def _planned_source(req: SelectionRequest) -> tuple[str | None, str | None]:
    """A draft's external source as it would be planned if published now: (label, problem)."""
    if req.state != RequestState.DRAFT or req.method not in LOTTERY_METHODS:
        return None, None

    delay = timedelta(hours=int(current_app.config["EXTERNAL_ENTROPY_MIN_DELAY_HOURS"]))
    entry, year = preview_external(req.external_kind, req.signup_closes_at + delay)
    if entry is None:
        return None, _(SCHEDULE_UNKNOWN, year=year)
    return entry["label"], None


@bp.route("/requests/<public_id>/publish", methods=["POST"])
@access("owner")
def publish(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    if ActionForm().validate_on_submit():
        try:
            ops.publish(require_org(), req)
        except SelectionError as error:
            for problem in error.problems or [error]:
                flash(_(problem.message, **(problem.params or {})), "error")
            return redirect(url_for("owner.request_detail", public_id=public_id))
        flash(_("公告已发布，报名开始。"), "success")
    return redirect(url_for("owner.request_detail", public_id=public_id))


@bp.route("/requests/<public_id>/amend", methods=["GET", "POST"])
@access("owner")
def amend(public_id: str) -> ResponseReturnValue:
    req = _own_request(public_id)
    if req.state != RequestState.OPEN:
        abort(404)
    form = AmendForm(data=_initial(ops.input_of(req))) if request.method == "GET" else AmendForm()
    _prepare(form)

    def save(data: ops.RequestInput) -> SelectionRequest:
        ops.amend(require_org(), req, data, form.reason.data or "", current_user)
        return req

    done = _submit(form, save, _("更正公告已发布。"), amending=req)
    return done or _form_page(form, ops.input_of(req), editing=req, amending=True)
