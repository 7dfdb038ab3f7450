"""The regulator's console (监管): sanctions, complaints, draw audit, fairness, clocks."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts.models import Organisation, OrgKind
from market.auth import access, current_org
from market.catalogue.models import ServiceType
from market.db import db
from market.forms import show_error
from market.regulator import complaints, draws, fairness_data, sanctions
from market.regulator.errors import RuleError
from market.regulator.forms import CheckpointForm, DecideForm, SanctionForm
from market.regulator.svg import observed_vs_expected
from market.templating import service_name
from market.timeutil import today_local
from market.transparency import log

bp = Blueprint("regulator", __name__, url_prefix="/regulator")


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else str(v) for v in row])
    return Response("\ufeff" + out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f"attachment; filename={name}.csv"})


@bp.route("")
@access(OrgKind.REGULATOR)
def index() -> ResponseReturnValue:
    today = today_local()
    open_complaints = [c for c in complaints.listing() if not c.decided]
    return render_template(
        "regulator/index.html", open_complaints=open_complaints,
        overdue=[c for c in open_complaints if complaints.overdue(c, today)],
        active=[s for s in sanctions.all_sanctions() if s.active_on(today)],
        checkpoint=log.latest_checkpoint(), kinds=sanctions.KIND_LABELS)


@bp.route("/sanctions")
@access(OrgKind.REGULATOR)
def sanction_list() -> ResponseReturnValue:
    kind = request.args.get("kind") or None
    rows = sanctions.all_sanctions(kind if kind in sanctions.KIND_LABELS else None)
    if request.args.get("format") == "csv":
        return csv_response("sanctions", ["agency", "kind", "starts_on", "ends_on", "reason",
                                          "legal_basis", "issued_at"],
                            ([s.agency.public_id, s.kind, s.starts_on, s.ends_on, s.reason,
                              s.legal_basis, s.issued_at.isoformat()] for s in rows))
    return render_template("regulator/sanctions.html", rows=rows, kind=kind, today=today_local(),
                           labels=sanctions.KIND_LABELS)


@bp.route("/sanctions/new", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def new_sanction() -> ResponseReturnValue:
    form = SanctionForm()
    if request.method == "GET" and request.args.get("agency"):
        form.agency.data = request.args["agency"]
    if form.validate_on_submit():
        agency = db.session.scalar(sa.select(Organisation).where(
            Organisation.public_id == (form.agency.data or "").strip()))
        try:
            sanctions.issue(agency, form.kind.data or "", form.reason.data or "",
                            form.legal_basis.data or "", form.starts_on.data, form.ends_on.data,
                            current_user, current_org())
        except RuleError as error:
            show_error(form, error)
        else:
            flash(_("处罚已发布。"), "success")
            return redirect(url_for("regulator.sanction_list"))
    return render_template("regulator/sanction_form.html", form=form), \
        400 if form.errors else 200


@bp.route("/complaints")
@access(OrgKind.REGULATOR)
def complaint_list() -> ResponseReturnValue:
    state = request.args.get("state") or None
    rows = complaints.listing(state if state in complaints.STATE_LABELS else None)
    if request.args.get("format") == "csv":
        return csv_response("complaints", ["id", "subject", "filer", "state", "filed_at",
                                           "due_on", "decided_at"],
                            ([c.public_id, f"{c.subject_kind}:{c.subject_id}", c.filer.name,
                              c.state, c.filed_at.isoformat(), c.due_on,
                              c.decided_at.isoformat() if c.decided_at else ""] for c in rows))
    return render_template("regulator/complaints.html", rows=rows, state=state,
                           labels=complaints.STATE_LABELS, today=today_local(),
                           overdue=complaints.overdue)


@bp.route("/complaints/<public_id>", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def complaint(public_id: str) -> ResponseReturnValue:
    row = complaints.by_public_id(public_id)
    if row is None:
        abort(404)
    form = DecideForm()
    action = request.form.get("action")
    failed = False
    if form.validate_on_submit() and action in ("review", "uphold", "reject"):
        try:
            if action == "review":
                complaints.start_review(row, current_user)
            else:
                complaints.decide(row, current_user, action == "uphold", form.outcome.data or "")
        except RuleError as error:
            failed = True
            show_error(form, error)
        else:
            flash(_("已保存。"), "success")
            return redirect(url_for("regulator.complaint", public_id=row.public_id))
    return render_template("regulator/complaint.html", row=row, form=form,
                           labels=complaints.STATE_LABELS, subjects=complaints.SUBJECT_LABELS,
                           overdue=complaints.overdue(row)), 400 if form.errors or failed else 200


@bp.route("/draws", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def draw_audit() -> ResponseReturnValue:
    form = CheckpointForm()
    result = None
    if form.validate_on_submit():
        result = draws.check_saved_checkpoint(form.note.data or "")
    rows = draws.statuses()
    if request.args.get("format") == "csv":
        return csv_response("draws", ["lottery", "request", "state", "verified", "check",
                                      "reason"],
                            ([r.lottery_id, r.request_public_id, r.state,
                              "" if r.ok is None else ("ok" if r.ok else "fail"), r.check,
                              r.reason] for r in rows))
    replay = None
    if request.args.get("replay") == "1":
        from market.transparency.audit import run_audit

        replay = run_audit()
    return render_template("regulator/draws.html", rows=rows, form=form, result=result,
                           checkpoint=log.latest_checkpoint(), replay=replay), \
        400 if form.errors else 200


@bp.route("/fairness")
@access(OrgKind.REGULATOR)
def fairness() -> ResponseReturnValue:
    report = fairness_data.report()
    ids = {a.agency for s in report.services for a in s.agencies}
    names = fairness_data.names(ids)
    if request.args.get("format") == "csv":
        return csv_response("fairness", ["service", "agency", "entered", "wins", "expected",
                                         "p_value", "flagged"],
                            ([s.service, a.agency, a.entered, a.wins, f"{a.expected:.4f}",
                              f"{a.p_value:.6g}", int(a.flagged)]
                             for s in report.services for a in s.agencies))
    services = {t.code: service_name(t) for t in db.session.scalars(
        sa.select(ServiceType).where(ServiceType.code.in_([s.service for s in report.services])))}
    charts = {s.service: observed_vs_expected(
        [(names.get(a.agency, a.agency), a.wins, a.expected, a.flagged) for a in s.agencies],
        _("%(service)s：实际中选次数与期望次数", service=services.get(s.service, s.service)))
        for s in report.services}
    return render_template("regulator/fairness.html", report=report, names=names, charts=charts,
                           services=services)


@bp.route("/clocks")
@access(OrgKind.REGULATOR)
def clocks() -> ResponseReturnValue:
    """The console's clocks section is the overdue lists and the intermediary share of
    approval time per agency and service type (:func:`market.approvals.views.regulator`)."""
    return redirect(url_for("approvals.regulator"))
