"""Approval case pages (办件), the project timeline and the regulator's view of time.

A department's staff (部门工作人员) record the events of their department's cases, through
:mod:`market.approvals.staff` (the case-event API's rules); owners open a case to prepare an
application (申报准备) and read their cases, clocks and notices but record no event;
regulators read everything.  Another organisation's case or project, or another department's
case, is a 404.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from market import timeutil
from market.accounts import scope
from market.accounts.auth import access, current_role, require_org, require_reach, within_reach
from market.accounts.models import Division, Organisation, Role
from market.accounts.scope import list_scope
from market.approvals import forms, ingest, staff, timeline
from market.approvals import operations as ops
from market.approvals.models import ApprovalCase, CaseEvent, Suspension
from market.catalogue.models import ApprovalMatter, ServiceType
from market.clocks import store as clocks
from market.clocks.board import urgent
from market.db import db
from market.domain.timeline import PRIORITY, Bucket
from market.engagements.forms import CaseForm
from market.engagements.models import Engagement, EngagementState
from market.forms import ActionForm
from market.selection.models import Project
from market.templating import service_name

bp = Blueprint("approvals", __name__)


@bp.app_template_global()
def engagement_suspensions(engagement_id: int) -> list[Suspension]:
    """The approval suspensions linked to an engagement, for its page (templates/engagements/
    detail.html): the engagement area sits below this one and does not read them itself."""
    return list(db.session.scalars(sa.select(Suspension).where(
        Suspension.engagement_id == engagement_id)))


CASE_STATES = {
    "preparing": _l("申报准备"),
    "accepted": _l("已受理，计时中"),
    "suspended": _l("挂起"),
    "running": _l("计时中"),
    "decided": _l("已办结"),
    "withdrawn": _l("已撤回"),
}
B = Bucket
BUCKETS = {
    B.APPROVAL: _l("审批用时（受理后计时）"),
    B.SPECIAL_INTERMEDIARY: _l("特别程序：中介服务"),
    B.SPECIAL_OTHER: _l("特别程序：其他"),
    B.SERVICE_LATE: _l("中介服务（逾期）"),
    B.SERVICE_OK: _l("中介服务（承诺时限内）"),
    B.OWNER_REVIEW: _l("业主验收成果"),
    B.OWNER_CORRECTION: _l("业主补正材料"),
    B.OWNER_MATERIALS: _l("业主提供资料"),
    B.OWNER_SIGNING: _l("签订合同"),
    B.ACCEPTANCE: _l("受理审查"),
    B.SELECTION: _l("选取中介机构"),
    B.WAITING: _l("其他/等待（无记录事项）"),
}


@bp.app_context_processor
def case_words() -> dict[str, Any]:
    return {"case_states": CASE_STATES, "bucket_names": BUCKETS}


def _staff() -> ingest.Staff | None:
    if current_role() != Role.DEPARTMENT_STAFF:
        return None
    return staff.staff(current_user, require_org())


def _require_staff() -> ingest.Staff:
    who = _staff()
    if who is None:
        abort(403)  # a department organisation not (or no longer) linked to its department
    return who


def _visible(public_id: str) -> ApprovalCase:
    case: ApprovalCase | None = db.session.scalar(sa.select(ApprovalCase).where(
        ApprovalCase.public_id == public_id))
    if case is None:
        abort(404)
    role = current_role()
    if role == Role.DEPARTMENT_STAFF:
        who = _staff()
        if who is None or case.matter.department_id != who.department_id:
            abort(404)
    elif role == Role.REGULATOR:
        scope.require(require_org(), _owner_subject(case.owner_org_id), scope.Act.READ)
    elif not within_reach(case.owner_org_id, case.project_id):
        abort(404)
    return case


def _owner_subject(owner_org_id: int) -> scope.Subject:
    """A case or a project as a regulator's scope reads it (market.accounts.scope): the tenant
    of its owner; it concerns no intermediary service type, so no industry regulator
    (行业主管部门) covers it, the centre's supervisor of that tenant and the province do."""
    owner = db.session.get(Organisation, owner_org_id)
    return scope.Subject(owner.tenant_id if owner is not None else None)


@bp.route("/approvals/")
@access("owner", "regulator", "department")
def index() -> str:
    who = _staff()
    if who is not None:
        cases = staff.cases(who)
    elif current_role() == Role.DEPARTMENT_STAFF:
        cases = []
    else:
        q = sa.select(ApprovalCase).order_by(ApprovalCase.id.desc()).limit(500)
        if current_role() != Role.REGULATOR:
            q = q.where(require_reach().where(ApprovalCase.owner_org_id,
                                              ApprovalCase.project_id))
        else:  # the cases the regulator's scope covers (_owner_subject)
            within = list_scope(require_org())
            if within.regulator_id is not None:
                q = q.where(sa.false())
            elif within.tenant_id is not None:
                q = q.where(ApprovalCase.owner_org_id.in_(sa.select(Organisation.id).where(
                    Organisation.tenant_id == within.tenant_id)))
        cases = list(db.session.scalars(q))
    return render_template("approvals/index.html", cases=cases, staff=who, views={
        c.id: clocks.view(ops.case_clock(c)) for c in cases if c.clock_id})  # type: ignore[arg-type]


def _case_form() -> CaseForm:
    form = CaseForm()
    # only the projects within reach: a delegate's choice of another project is not valid
    form.project_id.choices = [SelectChoice(p.id, f"{p.name}（{p.public_id}）") for p in
                               db.session.scalars(sa.select(Project).where(
                                   require_reach().where(Project.owner_org_id, Project.id))
                                   .order_by(Project.id.desc()))]
    form.matter_id.choices = [SelectChoice(m.id, _("%(name)s（%(department)s，承诺 %(n)s 个工作日）",
                                                   name=m.name, department=m.department,
                                                   n=m.committed_days))
                              for m in db.session.scalars(sa.select(ApprovalMatter).order_by(
                                  ApprovalMatter.name))]
    return form


@bp.route("/approvals/new", methods=["GET", "POST"])
@access("owner")
def new() -> ResponseReturnValue:
    form = _case_form()
    if form.validate_on_submit():
        project = db.session.get(Project, form.project_id.data)
        matter = db.session.get(ApprovalMatter, form.matter_id.data)
        if project is None or matter is None:
            abort(400)
        try:
            case = ops.open_case(require_org(), project, matter)
        except ops.ApprovalError as error:
            getattr(form, error.field or "project_id").errors.append(
                _(error.message, **error.params))
        else:
            flash(_("已开始申报准备。审批部门收件、受理后，审批时限开始计算。"), "success")
            return redirect(url_for("approvals.detail", public_id=case.public_id))
        return render_template("approvals/new.html", form=form), 400
    return render_template("approvals/new.html", form=form), 400 if form.errors else 200


def _special_form(case: ApprovalCase) -> forms.SpecialForm:
    """The special-procedure form with the project's engagements still running to link."""
    special = forms.SpecialForm(prefix="special")
    special.engagement_id.choices = [SelectChoice("", _("（不由中介服务承担）"))] + [
        SelectChoice(e.public_id, f"{e.public_id} {service_name(e.service_type)} · "
                     f"{e.agency.name}")
        for e in db.session.scalars(sa.select(Engagement).where(
            Engagement.project_id == case.project_id,
            Engagement.state.notin_((EngagementState.ACCEPTED.value,
                                     EngagementState.CANCELLED.value))).order_by(Engagement.id))]
    return special


def _staff_forms(case: ApprovalCase) -> dict[str, Any]:
    return {"accept_form": forms.AcceptForm(prefix="accept"), "special_form": _special_form(case),
            "extend_form": forms.ExtendForm(prefix="extend"),
            "outcome_form": forms.OutcomeForm(prefix="outcome")}


def _render(case: ApprovalCase, status: int = 200, **given: Any) -> ResponseReturnValue:
    clock = ops.case_clock(case)
    who = _staff()
    staff_forms = _staff_forms(case) if who is not None else {}
    staff_forms.update(given)
    events = db.session.scalars(sa.select(CaseEvent).where(
        CaseEvent.case_id == case.id).order_by(CaseEvent.id)).all()
    return render_template(
        "approvals/detail.html", case=case, view=clocks.view(clock) if clock else None,
        blocking=ops.blocking(case), suspension=ops.open_suspension(case),
        window=ingest.correction_window(case), now=timeutil.now(), staff=who,
        events=events, missing=_service_names(ingest.missing_preconditions(case))
        if case.state == "preparing" else [],
        special_words=forms.SPECIAL_REASON_WORDS, event_words=EVENT_WORDS,
        **staff_forms), status


@bp.route("/approvals/<public_id>")
@access("owner", "regulator", "department")
def detail(public_id: str) -> ResponseReturnValue:
    return _render(_visible(public_id))


@bp.route("/approvals/receive", methods=["GET", "POST"])
@access("department")
def receive() -> ResponseReturnValue:
    """Staff: record an application the department received (收件)."""
    who = _require_staff()
    form = forms.ApplicationForm()
    form.matter_id.choices = [SelectChoice(m.id, m.name)
                              for m in staff.matters(who)]
    if request.method == "GET":
        form.project_code.data = form.project_code.data or request.args.get("project", "")[:32]
    if form.validate_on_submit():
        matter = db.session.get(ApprovalMatter, form.matter_id.data)
        if matter is None:  # pragma: no cover - the choices hold only existing matters
            abort(400)
        try:
            case = staff.receive_application(who, form.project_code.data or "", matter,
                                             form.case_no.data, joint=bool(form.joint.data))
        except ingest.CaseEventError as error:
            _show(form, error)
        else:
            flash(_("已登记收件。请在五个工作日内受理或一次告知需补正的全部内容。"), "success")
            return redirect(url_for("approvals.detail", public_id=case.public_id))
    return render_template("approvals/receive.html", form=form,
                           department=staff.department(who)), 400 if form.errors else 200


# Where each refusal of the rules belongs on the staff's forms.
_FIELD_OF = {
    "unknown_project": "project_code", "case_exists": "case_no", "already_accepted": "mode",
    "precondition_missing": "mode", "in_correction": "mode",
    "expected_days_required": "expected_days", "reason_required": "reason",
    "unknown_engagement": "engagement_id", "engagement_finished": "engagement_id",
    "extension_too_long": "days", "approved_by_required": "approved_by",
    "extension_reason_required": "extension_reason", "outcome_required": "outcome",
}


def _service_names(codes: list[str]) -> list[str]:
    """Service types by their names in the page's language (the rules name them by code)."""
    by_code = {st.code: st for st in db.session.scalars(
        sa.select(ServiceType).where(ServiceType.code.in_(codes)))}
    return [service_name(by_code[c]) if c in by_code else c for c in codes]


# The refusals whose API wording names the API's fields, in the words of the staff's forms.
_STAFF_WORDS = {
    "unknown_project": _l("没有这个项目代码的项目，请核对后重新填写。"),
    "in_correction": _l("办件在补正中：登记申请人补正完成后，才能受理。"),
    "expected_days_required": _l("请填写预计需要的工作日数（正整数，不超过法定上限）。"),
    "reason_required": _l("请选择特别程序的法定事由（《行政许可法》第四十五条）。"),
    "unknown_engagement": _l("本项目没有这个委托，请从列表中选择。"),
    "outcome_required": _l("请选择办理结果：准予许可或不予许可。"),
}


def _show(form: Any, error: ingest.CaseEventError, case: ApprovalCase | None = None) -> None:
    """The refusal next to its field (in the user's language: ingest translated it, and the
    ones that name the API's fields are said in the form's words), or on top of the page;
    what the staff member typed stays."""
    message = str(_STAFF_WORDS[error.code]) if error.code in _STAFF_WORDS else error.message
    if error.code == "precondition_missing" and case is not None:
        # the API names the services by code and the acceptance modes by their field values
        message = _("以下受理条件还没有通过验收的中介服务成果：%(missing)s。可以选择容缺受理或"
                    "告知承诺受理。", missing="、".join(
                        _service_names(ingest.missing_preconditions(case))))
    field = getattr(form, _FIELD_OF.get(error.code, ""), None) if form is not None else None
    if field is not None:
        field.errors = [*field.errors, message]
    else:
        flash(message, "error")


def _event_fields(kind: str, case: ApprovalCase) -> tuple[Any, str | None, dict[str, Any]]:
    """The submitted form of one kind of staff event, with the event's type and fields; the
    type is None when the form does not validate (its errors are on it)."""
    if kind == "accept":
        accept = forms.AcceptForm(prefix="accept")
        if not accept.validate_on_submit():
            return accept, None, {}
        mode = accept.mode.data or ""
        return accept, mode, {"expected_days": accept.expected_days.data
                              if mode == "tolerated_acceptance" else None}
    if kind == "special":
        special = _special_form(case)
        if not special.validate_on_submit():
            return special, None, {}
        linked = special.engagement_id.data or None
        return special, "special_procedure_started", {
            "reason": special.reason.data, "engagement_id": linked,
            "expected_days": None if linked else special.expected_days.data}
    if kind == "extend":
        extend = forms.ExtendForm(prefix="extend")
        if not extend.validate_on_submit():
            return extend, None, {}
        return extend, "extended", {"days": extend.days.data,
                                    "approved_by": extend.approved_by.data,
                                    "extension_reason": extend.extension_reason.data}
    if kind == "decide":
        outcome = forms.OutcomeForm(prefix="outcome")
        if not outcome.validate_on_submit():
            return outcome, None, {}
        return outcome, "decided", {"outcome": outcome.outcome.data}
    if not ActionForm().validate_on_submit():
        abort(400)
    return None, SIMPLE_EVENTS[kind], {}


EVENT_WORDS = {
    "applied": _l("收件"), "returned_for_correction": _l("一次告知补正"),
    "resubmitted": _l("申请人补正"), "accepted": _l("受理"),
    "tolerated_acceptance": _l("容缺受理"), "pledge_acceptance": _l("告知承诺受理"),
    "special_procedure_started": _l("特别程序开始"), "special_procedure_ended": _l("特别程序结束"),
    "extended": _l("延长审批时限"), "decided": _l("办结"), "withdrawn": _l("撤回"),
}
SIMPLE_EVENTS = {"return": "returned_for_correction", "resubmit": "resubmitted",
                 "resume": "special_procedure_ended", "withdraw": "withdrawn"}
EVENT_FORMS = {"accept": "accept_form", "special": "special_form", "extend": "extend_form",
               "decide": "outcome_form"}
DONE = {
    "returned_for_correction": _l("已一次告知需补正的全部内容；补正期间不计入审批时限。"),
    "resubmitted": _l("已登记补正材料。"),
    "accepted": _l("已受理，审批时限开始计算。"),
    "tolerated_acceptance": _l("已容缺受理，审批时限开始计算。"),
    "pledge_acceptance": _l("已告知承诺受理，审批时限开始计算。"),
    "special_procedure_started": _l("特别程序已开始，已生成书面告知。"),
    "special_procedure_ended": _l("特别程序已结束，审批时限恢复计算。"),
    "extended": _l("已延长审批时限。"),
    "decided": _l("已办结。"),
    "withdrawn": _l("办件已撤回。"),
}


@bp.route("/approvals/<public_id>/events/<kind>", methods=["POST"])
@access("department")
def record_event(public_id: str, kind: str) -> ResponseReturnValue:
    """Staff: record one event of a case of the department (补正, 受理, 特别程序, 恢复, 延长,
    办结, 撤回), with the case-event API's rules."""
    if kind not in EVENT_FORMS and kind not in SIMPLE_EVENTS:
        abort(404)
    case = _visible(public_id)
    who = _require_staff()
    form, event_type, fields = _event_fields(kind, case)
    given = {EVENT_FORMS[kind]: form} if kind in EVENT_FORMS else {}
    if event_type is None:
        return _render(case, 400, **given)
    try:
        staff.record(who, case, event_type, **fields)
    except ingest.CaseEventError as error:
        _show(form, error, case)
        return _render(case, 400, **given)
    flash(str(DONE[event_type]), "success")
    return redirect(url_for("approvals.detail", public_id=case.public_id))


@bp.route("/approvals/suspensions/<int:suspension_id>/notice")
@access("owner", "regulator", "department")
def notice(suspension_id: str) -> str:
    s = db.session.get(Suspension, suspension_id)
    if s is None:
        abort(404)
    _visible(s.case.public_id)
    return render_template("approvals/notice.html", s=s)


def _bars(split: timeline.Split) -> list[dict[str, Any]]:
    """The split as one stacked bar (percent widths) with its legend."""
    out, x = [], 0.0
    for key in PRIORITY:
        label, days = BUCKETS[key], split.days.get(key, 0)
        width = 100 * days / split.total if split.total else 0
        out.append({"key": key, "label": label, "days": days, "x": round(x, 2),
                    "w": round(width, 2), "colour": timeline.BUCKET_COLOURS[key],
                    "pct": round(width, 1)})
        x += width
    return out


@bp.route("/projects/<public_id>/timeline")
@access("owner", "regulator")
def timeline_page(public_id: str) -> str:
    project = db.session.scalar(sa.select(Project).where(Project.public_id == public_id))
    if project is None or (current_role() != Role.REGULATOR
                           and not within_reach(project.owner_org_id, project.id)):
        abort(404)
    if current_role() == Role.REGULATOR:
        scope.require(require_org(), _owner_subject(project.owner_org_id), scope.Act.READ)
    now = timeutil.now()
    split = timeline.project_split(project.id, now)
    lanes, ticks, height = timeline.lanes(project.id, now, split)
    agencies = _names(Organisation, split.by_agency)
    return render_template("approvals/timeline.html", project=project, split=split,
                           bars=_bars(split), lanes=lanes, ticks=ticks, height=height,
                           width=timeline.WIDTH, left=timeline.LEFT, agencies=agencies,
                           priority=[BUCKETS[b] for b in PRIORITY])


def _names(model: Any, keyed: dict[int, Any]) -> dict[int, str]:
    if not keyed:
        return {}
    return {row.id: service_name(row) if isinstance(row, ServiceType) else row.name
            for row in db.session.scalars(sa.select(model).where(model.id.in_(list(keyed))))}


def _ranking(keyed: dict[int, list[int]], names: dict[int, str],
             total: int) -> list[dict[str, Any]]:
    rows = sorted(keyed.items(), key=lambda kv: -(kv[1][0] + kv[1][1]))[:15]
    return [{"name": names.get(k, str(k)), "ok": ok, "late": late,
             "pct": round(100 * (ok + late) / total, 1) if total else 0}
            for k, (ok, late) in rows]


@bp.route("/regulator/overdue")
@access("regulator")
def regulator() -> str:
    """Overdue engagements and cases, and the share of intermediary time in the regulator's
    scope: its tenant's projects (an industry regulator's too: the figures are its tenant's
    totals, no case's details), or the province's with one row per tenant."""
    now = timeutil.now()
    org = require_org()
    within = list_scope(org)
    overdue = urgent(state="overdue", limit=200, now=now, within=within)
    splits = timeline.tenant_splits(now, within.tenant_id)
    split = timeline.Split()
    for part in splits.values():
        split.add(part)
    names: dict[int, str] = {r.id: r.name for r in db.session.execute(
        sa.select(Division.id, Division.name).where(
            Division.id.in_([*splits, org.tenant_id])))}
    per_tenant = ([{"name": names.get(t, str(t)), "total": s.total,
                    "intermediary": s.intermediary, "pct": s.share_bp(s.intermediary) / 100}
                   for t, s in sorted(splits.items(), key=lambda kv: names.get(kv[0], ""))]
                  if within.tenant_id is None else [])
    by_service = _ranking(split.by_service, _names(ServiceType, split.by_service), split.total)
    by_agency = _ranking(split.by_agency, _names(Organisation, split.by_agency), split.total)
    return render_template("approvals/regulator.html", overdue=overdue.rows,
                           overdue_total=overdue.total, split=split, per_tenant=per_tenant,
                           where=names.get(org.tenant_id, ""),
                           tolerated=[(case, _service_names(missing)) for case, missing in
                                      ingest.tolerated_overdue(timeutil.today_local(), within)],
                           bars=_bars(split), by_service=by_service, by_agency=by_agency)
