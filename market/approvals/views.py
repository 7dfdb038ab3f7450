"""Approval case pages (办件), the project timeline and the regulator's view of time.

Owners record their cases (open, 受理, suspensions, decision); regulators read everything.
Another organisation's case or project is a 404.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice

from market import timeutil
from market.accounts.auth import access, current_role, require_org
from market.accounts.models import Organisation, Role
from market.approvals import ingest, timeline
from market.approvals import operations as ops
from market.approvals.models import ApprovalCase, Suspension
from market.catalogue.models import ApprovalMatter, ServiceType
from market.clocks import store as clocks
from market.clocks.board import urgent
from market.db import db
from market.domain.timeline import PRIORITY, Bucket
from market.engagements.forms import CaseForm, DecideForm, SuspendForm
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


def _visible(public_id: str) -> ApprovalCase:
    case: ApprovalCase | None = db.session.scalar(sa.select(ApprovalCase).where(
        ApprovalCase.public_id == public_id))
    if case is None:
        abort(404)
    if current_role() != Role.REGULATOR and case.owner_org_id != require_org().id:
        abort(404)
    return case


def _own(public_id: str) -> ApprovalCase:
    case = _visible(public_id)
    if case.owner_org_id != require_org().id:
        abort(404)
    return case


@bp.route("/approvals/")
@access("owner", "regulator")
def index() -> str:
    q = sa.select(ApprovalCase).order_by(ApprovalCase.id.desc()).limit(500)
    if current_role() != Role.REGULATOR:
        q = q.where(ApprovalCase.owner_org_id == require_org().id)
    cases = db.session.scalars(q).all()
    return render_template("approvals/index.html", cases=cases, views={
        c.id: clocks.view(ops.case_clock(c)) for c in cases if c.clock_id})  # type: ignore[arg-type]


def _case_form() -> CaseForm:
    org = require_org()
    form = CaseForm()
    form.project_id.choices = [SelectChoice(p.id, f"{p.name}（{p.public_id}）") for p in
                               db.session.scalars(sa.select(Project).where(
                                   Project.owner_org_id == org.id).order_by(Project.id.desc()))]
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
            flash(_("办件已建立。受理后审批时限开始计算。"), "success")
            return redirect(url_for("approvals.detail", public_id=case.public_id))
        return render_template("approvals/new.html", form=form), 400
    return render_template("approvals/new.html", form=form), 400 if form.errors else 200


def _render(case: ApprovalCase, status: int = 200, **forms: Any) -> ResponseReturnValue:
    clock = ops.case_clock(case)
    defaults = {"suspend_form": SuspendForm(), "decide_form": DecideForm()}
    defaults.update(forms)
    return render_template(
        "approvals/detail.html", case=case, view=clocks.view(clock) if clock else None,
        blocking=ops.blocking(case), suspension=ops.open_suspension(case),
        mine=case.owner_org_id == require_org().id, **defaults), status


@bp.route("/approvals/<public_id>")
@access("owner", "regulator")
def detail(public_id: str) -> ResponseReturnValue:
    return _render(_visible(public_id))


def _act(case: ApprovalCase, fn: Any, message: str, form: Any = None,
         name: str = "") -> ResponseReturnValue:
    try:
        fn()
    except ops.ApprovalError as error:
        text = _(error.message, **error.params)
        field = getattr(form, error.field or "", None) if form is not None else None
        if field is not None:
            field.errors = [*field.errors, text]
        else:
            flash(text, "error")
        return _render(case, 400, **({name: form} if form is not None else {}))
    flash(message, "success")
    return redirect(url_for("approvals.detail", public_id=case.public_id))


@bp.route("/approvals/<public_id>/accept", methods=["POST"])
@access("owner")
def accept(public_id: str) -> ResponseReturnValue:
    case = _own(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _act(case, lambda: ops.accept_case(case, current_user),
                _("已登记受理，审批时限开始计算。"))


@bp.route("/approvals/<public_id>/suspend", methods=["POST"])
@access("owner")
def suspend(public_id: str) -> ResponseReturnValue:
    case = _own(public_id)
    form = SuspendForm()
    if not form.validate_on_submit():
        return _render(case, 400, suspend_form=form)
    return _act(case, lambda: ops.suspend(case, current_user, form.reason.data or "",
                                          form.expected_days.data or 0, form.note.data or ""),
                _("办件已挂起，已生成书面告知。"), form, "suspend_form")


@bp.route("/approvals/<public_id>/resume", methods=["POST"])
@access("owner")
def resume(public_id: str) -> ResponseReturnValue:
    case = _own(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _act(case, lambda: ops.resume(case, current_user), _("审批时限恢复计算。"))


@bp.route("/approvals/<public_id>/decide", methods=["POST"])
@access("owner")
def decide(public_id: str) -> ResponseReturnValue:
    case = _own(public_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render(case, 400, decide_form=form)
    return _act(case, lambda: ops.decide(case, current_user, form.decision.data or "",
                                         form.note.data or ""),
                _("办件已办结。"), form, "decide_form")


@bp.route("/approvals/<public_id>/withdraw", methods=["POST"])
@access("owner")
def withdraw(public_id: str) -> ResponseReturnValue:
    case = _own(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return _act(case, lambda: ops.withdraw(case, current_user), _("办件已撤回。"))


@bp.route("/approvals/suspensions/<int:suspension_id>/notice")
@access("owner", "regulator")
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
                           and project.owner_org_id != require_org().id):
        abort(404)
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
    """Overdue engagements and cases, and the city-wide share of intermediary time."""
    now = timeutil.now()
    overdue = urgent(state="overdue", limit=200, now=now)
    split = timeline.city_split(now)
    by_service = _ranking(split.by_service, _names(ServiceType, split.by_service), split.total)
    by_agency = _ranking(split.by_agency, _names(Organisation, split.by_agency), split.total)
    return render_template("approvals/regulator.html", overdue=overdue.rows,
                           overdue_total=overdue.total, split=split,
                           tolerated=ingest.tolerated_overdue(timeutil.today_local()),
                           bars=_bars(split), by_service=by_service, by_agency=by_agency)
