"""The regulator's console (监管): sanctions and their credit repair, owners' breaches,
complaints, draw audit, fairness, clocks."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market import storage
from market.accounts import scope
from market.accounts.auth import access, current_org, require_org
from market.accounts.models import OrgKind, RegulatorKind
from market.agencies.scope import register_subject
from market.catalogue.models import ServiceType
from market.credit.models import Sanction
from market.credit.sanctions import KIND_LABELS, SEVERITY_LABELS
from market.db import db
from market.domain import credit_repair
from market.downloads import csv_response
from market.forms import show_error
from market.i18n import N_
from market.regulator import breaches, complaints, draws, fairness_data, sanctions
from market.regulator.errors import RuleError
from market.regulator.forms import (
    AgencySearchForm,
    BreachForm,
    CheckpointForm,
    DecideForm,
    RepairForm,
    SanctionForm,
)
from market.regulator.svg import observed_vs_expected
from market.selection import opening
from market.templating import service_name
from market.timeutil import today_local
from market.transparency import log
from market.transparency.audit import run_audit

bp = Blueprint("regulator", __name__, url_prefix="/regulator")

# An agency's admission status, as the regulator reads it next to a sanction.
AGENCY_STATUS = {"pending": N_("未入驻"), "admitted": N_("已入驻"), "rejected": N_("入驻未通过"),
                 "active": N_("正常")}


@bp.route("")
@access(OrgKind.REGULATOR)
def index() -> ResponseReturnValue:
    today = today_local()
    open_complaints = [c for c in complaints.listing(org=current_org()) if not c.decided]
    return render_template(
        "regulator/index.html", open_complaints=open_complaints,
        openings=opening.awaiting_requests(org=current_org()), opening=opening,
        my_opening_key=opening.my_key(current_user),
        overdue=[c for c in open_complaints if complaints.overdue(c, today)],
        active=[s for s in sanctions.listing(current_org()) if s.active_on(today)],
        checkpoint=log.latest_checkpoint(), kinds=KIND_LABELS)


@bp.route("/sanctions")
@access(OrgKind.REGULATOR)
def sanction_list() -> ResponseReturnValue:
    kind = request.args.get("kind") or None
    rows = sanctions.listing(require_org(), kind if kind in KIND_LABELS else None)
    if request.args.get("format") == "csv":
        # credit_class: the class of 失信信息 as the rule names it; published_until: the last
        # day public pages show it
        return csv_response("sanctions", ["agency", "kind", "starts_on", "ends_on", "reason",
                                          "legal_basis", "issued_at", "repaired_on",
                                          "repair_decision", "repair_reason", "credit_class",
                                          "published_until"],
                            ([s.agency.public_id, s.kind, s.starts_on, s.ends_on, s.reason,
                              s.legal_basis, s.issued_at.isoformat(), s.repaired_on or "",
                              s.repair_decision or "", s.repair_reason or "",
                              credit_repair.TERMS[s.publication.severity],
                              s.published_until] for s in rows))
    return render_template("regulator/sanctions.html", rows=rows, kind=kind, today=today_local(),
                           labels=KIND_LABELS, severities=SEVERITY_LABELS)


@bp.route("/sanctions/new", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def new_sanction() -> ResponseReturnValue:
    """Issue a sanction in three steps, none needing script: find the agency (a search on the
    server), fill in the sanction next to the agency's current record, confirm what it will do.
    Only the confirmation (``action=confirm``) stores it; every step checks it again."""
    if request.method == "GET" and not request.args.get("agency"):
        search = AgencySearchForm(request.args)
        found = None
        if request.args.get("q") is not None and search.validate():
            found = [(a, sanctions.record_of(a)) for a in sanctions.find_agencies(search.q.data)]
        return render_template("regulator/sanction_pick.html", search=search, found=found,
                               limit=sanctions.SEARCH_LIMIT, labels=KIND_LABELS,
                               statuses=AGENCY_STATUS), 400 if search.errors else 200
    form = SanctionForm()
    if request.method == "GET":
        form.agency.data = request.args["agency"]
    agency = sanctions.agency_by_public_id(form.agency.data or "")
    if agency is None:
        search = AgencySearchForm()
        search.q.errors = [_("没有找到这家中介机构，请重新搜索并选择。")]
        return render_template("regulator/sanction_pick.html", search=search, found=None,
                               limit=sanctions.SEARCH_LIMIT, labels=KIND_LABELS,
                               statuses=AGENCY_STATUS), 400
    org = require_org()
    scope.require(org, register_subject(agency), scope.Act.SANCTION)
    record = sanctions.record_of(agency)
    action = request.form.get("action")
    local_ok = org.regulator_kind != RegulatorKind.PROVINCE.value
    reach = {"can_local": local_ok, "division_name": org.tenant.name}
    if request.method == "POST" and action != "edit" and form.validate_on_submit():
        values = (agency, form.kind.data or "", form.reason.data or "",
                  form.legal_basis.data or "", form.starts_on.data, form.ends_on.data)
        try:
            if action == "confirm":
                sanctions.issue(*values, current_user, org, local=bool(form.local.data))
            else:
                effect = sanctions.preview(*values)
        except RuleError as error:
            show_error(form, error)
        else:
            if action == "confirm":
                flash(_("处罚已发布。"), "success")
                return redirect(url_for("regulator.sanction_list"))
            return render_template("regulator/sanction_confirm.html", form=form,
                                   record=record, effect=effect, labels=KIND_LABELS,
                                   severities=SEVERITY_LABELS,
                                   statuses=AGENCY_STATUS, **reach)
    return render_template("regulator/sanction_form.html", form=form, record=record,
                           labels=KIND_LABELS, statuses=AGENCY_STATUS, **reach), \
        400 if form.errors else 200


@bp.route("/sanctions/<int:sanction_id>/repair", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def repair_sanction(sanction_id: int) -> ResponseReturnValue:
    """Record a credit repair (信用修复) decision that ends a sanction's effect early."""
    row = db.session.get(Sanction, sanction_id)
    if row is None:
        abort(404)
    scope.require(require_org(), sanctions.sanction_subject(row), scope.Act.SANCTION)
    form = RepairForm()
    if request.method == "GET":
        form.repaired_on.data = today_local()
    elif form.validate_on_submit():
        try:
            sanctions.repair(row, form.repaired_on.data, form.decision.data or "",
                             form.reason.data or "", current_user)
        except RuleError as error:
            show_error(form, error)
        else:
            flash(_("信用修复已记录并公开。"), "success")
            return redirect(url_for("regulator.sanction_list"))
    return render_template("regulator/repair.html", row=row, form=form, labels=KIND_LABELS,
                           severities=SEVERITY_LABELS,
                           earliest=row.publication.earliest_repair,
                           today=today_local()), 400 if form.errors else 200


@bp.route("/breaches")
@access(OrgKind.REGULATOR)
def breach_list() -> ResponseReturnValue:
    org = require_org()
    rows = [b for b in breaches.listing()
            if scope.covers(org, scope.Subject(b.owner.tenant_id), scope.Act.READ)]
    return render_template("regulator/breaches.html", rows=rows,
                           labels=breaches.KIND_LABELS)


@bp.route("/breaches/new", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def new_breach() -> ResponseReturnValue:
    """Record an owner's breach (业主失信记录) with its evidence file."""
    form = BreachForm()
    if request.method == "GET":
        form.owner.data = request.args.get("owner", "")
        form.engagement.data = request.args.get("engagement", "")
    if form.validate_on_submit():
        owner = breaches.owner_by_public_id(form.owner.data or "")
        if owner is not None and not scope.covers(require_org(), scope.Subject(owner.tenant_id),
                                                  scope.Act.DECIDE):
            owner = None  # another tenant's owner: the tenant's regulators record it
        values = (owner, form.kind.data or "",
                  form.engagement.data or "", form.occurred_on.data, form.facts.data or "",
                  form.evidence.data or "")
        try:
            # the rules first, so no file is stored for a record that would be refused
            breaches.check(*values)
            upload = None
            if getattr(form.evidence_file.data, "filename", ""):
                org = current_org()
                upload = storage.store_file(form.evidence_file.data, field="evidence_file",
                                            uploaded_by_id=current_user.id,
                                            organisation_id=org.id if org else None)
            row = breaches.record(*values, upload, current_user, current_org())
        except storage.UploadError as error:
            form.evidence_file.errors = [*form.evidence_file.errors,
                                         _(error.message, **error.params)]
        except RuleError as error:
            show_error(form, error)
        else:
            flash(_("业主失信记录已发布。"), "success")
            return redirect(url_for("credit.owner_record", public_id=row.owner.public_id))
    return render_template("regulator/breach_form.html", form=form), \
        400 if form.errors else 200


@bp.route("/complaints")
@access(OrgKind.REGULATOR)
def complaint_list() -> ResponseReturnValue:
    state = request.args.get("state") or None
    rows = complaints.listing(state if state in complaints.STATE_LABELS else None,
                              org=require_org())
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
    subject = complaints.complaint_subject(row)
    scope.require(require_org(), subject, scope.Act.READ)
    if request.method == "POST":
        scope.require(require_org(), subject, scope.Act.DECIDE)
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
    refused = False
    if form.validate_on_submit():
        try:
            result = draws.check_saved_checkpoint(form.note.data or "")
        except RuleError as error:
            refused = True
            show_error(form, error)
    rows = draws.statuses()
    if request.args.get("format") == "csv":
        return csv_response("draws", ["lottery", "request", "state", "verified", "check",
                                      "reason"],
                            ([r.lottery_id, r.request_public_id, r.state,
                              "" if r.ok is None else ("ok" if r.ok else "fail"), r.check,
                              r.reason] for r in rows))
    replay = None
    if request.args.get("replay") == "1":
        replay = run_audit()
    return render_template("regulator/draws.html", rows=rows, form=form, result=result,
                           checkpoint=log.latest_checkpoint(), replay=replay), \
        400 if form.errors or refused else 200


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
