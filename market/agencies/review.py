"""Review pages for regulators and operators: the admission queue (overdue first) and the
re-review of qualification and practitioner changes."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import scope
from market.accounts.auth import access, require_org
from market.accounts.models import Organisation, OrgKind
from market.agencies import operations as ops
from market.agencies import relations
from market.agencies.forms import DecisionForm, ReviewForm
from market.agencies.models import AdmissionApplication, Practitioner, Qualification
from market.agencies.scope import admission_subject
from market.db import db
from market.forms import show_error
from market.timeutil import today_local

bp = Blueprint("review", __name__, url_prefix="/review")


@bp.route("/admissions")
@access(OrgKind.REGULATOR, OrgKind.OPERATOR)
def queue() -> ResponseReturnValue:
    today = today_local()
    org = require_org()
    pending = [a for a in ops.pending_applications() if _sees(org, a.organisation_id)]
    overdue = [a for a in pending if ops.is_overdue(a, today)]
    changes = [c for c in ops.pending_changes() if _sees(org, c.organisation_id)]
    return render_template("agencies/review_queue.html", pending=pending, overdue=overdue,
                           changes=changes, today=today)


def _sees(org: Organisation, agency_id: int) -> bool:
    agency = db.session.get(Organisation, agency_id)
    return agency is not None and scope.covers(org, admission_subject(agency), scope.Act.READ)


def _may_review(agency_id: int) -> None:
    """An agency's admission, and the re-review of its qualifications, are for the tenant where
    it applied: its regulators and operator (404 elsewhere, 403 for the province)."""
    agency = db.session.get(Organisation, agency_id)
    if agency is None:
        abort(404)
    subject = admission_subject(agency)
    scope.require(require_org(), subject, scope.Act.READ)
    if request.method == "POST":
        scope.require(require_org(), subject, scope.Act.DECIDE)


@bp.route("/admissions/<int:application_id>", methods=["GET", "POST"])
@access(OrgKind.REGULATOR, OrgKind.OPERATOR)
def application(application_id: int) -> ResponseReturnValue:
    row = db.session.get(AdmissionApplication, application_id)
    if row is None:
        abort(404)
    _may_review(row.organisation_id)
    form = DecisionForm()
    decision = request.form.get("decision")
    if form.validate_on_submit() and decision in ("admit", "reject"):
        try:
            ops.decide_application(row, current_user, admit=decision == "admit",
                                   reasons=form.reasons.data or "")
        except ops.AgencyError as error:
            show_error(form, error)
        else:
            flash(_("已准予入驻。") if decision == "admit" else _("已决定不予入驻。"), "success")
            return redirect(url_for("review.queue"))
    quals = db.session.query(Qualification).filter_by(organisation_id=row.organisation_id).all()
    people = db.session.query(Practitioner).filter_by(organisation_id=row.organisation_id).all()
    return render_template("agencies/review_application.html", row=row, form=form,
                           quals=quals, people=people, today=today_local(),
                           overdue=ops.is_overdue(row),
                           relations=relations.involving(row.organisation),
                           words=relations.KIND_WORDS), 400 if form.errors else 200


_KINDS = {"qualification": Qualification, "practitioner": Practitioner}


@bp.route("/changes/<kind>/<int:row_id>", methods=["GET", "POST"])
@access(OrgKind.REGULATOR, OrgKind.OPERATOR)
def change(kind: str, row_id: int) -> ResponseReturnValue:
    model = _KINDS.get(kind)
    row: Qualification | Practitioner | None = (
        db.session.get(model, row_id) if model else None)  # type: ignore[assignment]
    if row is None:
        abort(404)
    _may_review(row.organisation_id)
    form = ReviewForm()
    decision = request.form.get("decision")
    if form.validate_on_submit() and decision in ("approve", "reject"):
        try:
            ops.review_change(row, current_user, approve=decision == "approve",
                              reason=form.reason.data or "")
        except ops.AgencyError as error:
            show_error(form, error)
        else:
            flash(_("审核结果已保存。"), "success")
            return redirect(url_for("review.queue"))
    return render_template("agencies/review_change.html", row=row, kind=kind, form=form,
                           today=today_local()), 400 if form.errors else 200
