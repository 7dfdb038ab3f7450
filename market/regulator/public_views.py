"""Public pages (the credit formula, the red and black lists, owners' records, complaint
outcomes) and the parties' complaint pages."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market import storage
from market.accounts import scope
from market.accounts.auth import (
    ANYONE,
    access,
    current_org,
    current_reach,
    current_role,
    require_org,
)
from market.accounts.models import Organisation, OrgKind, Role
from market.credit import score as credit
from market.credit.sanctions import KIND_LABELS, SEVERITY_LABELS, publication_rules
from market.credit.sanctions import published as published_sanctions
from market.db import db
from market.domain import credit_formula as formula
from market.domain.credit_repair import LONGEST_MONTHS, Severity
from market.evaluation.operations import (
    DIMENSION_LABELS,
    LEVEL_LABELS,
    STEP_LABELS,
    level_summary,
    public_ratings,
)
from market.forms import show_error
from market.regulator import breaches, complaints
from market.regulator.errors import RuleError
from market.regulator.forms import ComplaintForm
from market.regulator.models import ComplaintState
from market.timeutil import today_local

bp = Blueprint("credit", __name__)


@bp.app_template_global()
def agency_record(org_id: int) -> dict[str, Any]:
    """What the public profile shows of an agency's sanctions, ratings and credit."""
    today = today_local()
    # Only what is within its publication period: a repair ends it (终止公示, 《信用修复管理
    # 办法》 art. 3) and so does the longest period of its class; regulators keep seeing all.
    rows = published_sanctions(org_id, today)
    inputs, score = credit.explain(org_id)
    return {"active": [s for s in rows if s.active_on(today)],
            "past": [s for s in rows if not s.active_on(today)],
            "kinds": KIND_LABELS, "severities": SEVERITY_LABELS,
            "ratings": public_ratings(org_id),
            "dimensions": DIMENSION_LABELS, "score": score, "red_listed": inputs.red_listed,
            "levels": level_summary(org_id), "level_labels": LEVEL_LABELS,
            "steps": STEP_LABELS,
            "complaints": complaints.decided_about(org_id),
            "states": complaints.STATE_LABELS}


@bp.app_template_global("publication_rules")
def _publication_rules() -> list[tuple[str, str, int, int]]:
    """The classes of sanctions and their publication periods (the forms and pages state
    them from the rule itself)."""
    return publication_rules()


@bp.route("/credit")
@access(ANYONE)
def formula_page() -> ResponseReturnValue:
    return render_template("regulator/formula.html", f=formula, labels=credit.PART_LABELS)


@bp.route("/credit/lists")
@access(ANYONE)
def lists() -> ResponseReturnValue:
    """The red list (守信激励) and the black list (黑名单) as they stand today, with the red
    list's published criteria."""
    red = [db.session.get(Organisation, i) for i in credit.red_list()]
    return render_template("regulator/lists.html", f=formula,
                           red=[(o, credit.score_for(o.id)) for o in red if o is not None],
                           black=credit.black_list(), today=today_local(),
                           longest_serious=LONGEST_MONTHS[Severity.SERIOUS])


@bp.route("/owners/<public_id>")
@access(ANYONE)
def owner_record(public_id: str) -> ResponseReturnValue:
    """An owner's public credit record: the breaches regulators recorded (业主失信记录)."""
    owner = breaches.owner_by_public_id(public_id)
    if owner is None:
        abort(404)
    return render_template("regulator/owner_record.html", owner=owner,
                           rows=breaches.of_owner(owner.id), labels=breaches.KIND_LABELS)


@bp.route("/agency/credit")
@access(OrgKind.AGENCY)
def my_credit() -> ResponseReturnValue:
    org = require_org()
    inputs, score = credit.explain(org.id)
    return render_template("regulator/my_credit.html", org=org, inputs=inputs, score=score,
                           labels=credit.PART_LABELS)


@bp.route("/complaints")
@access(ANYONE)
def outcomes() -> ResponseReturnValue:
    rows = [c for c in complaints.listing()]
    rows.sort(key=lambda c: c.filed_at, reverse=True)
    return render_template("regulator/public_complaints.html", rows=rows,
                           labels=complaints.STATE_LABELS, subjects=complaints.SUBJECT_LABELS)


@bp.route("/complaints/<public_id>")
@access(ANYONE)
def public_complaint(public_id: str) -> ResponseReturnValue:
    row = complaints.by_public_id(public_id)
    if row is None:
        abort(404)
    org = current_org()
    # the filer's name and text, for the filer and the regulators whose scope covers it
    reach = current_reach()
    private = (org is not None and org.id == row.filer_org_id
               and (reach is None or complaints.filer_reaches(row, reach))) or (
        current_role() == Role.REGULATOR.value
        and scope.covers(org, complaints.complaint_subject(row), scope.Act.READ))
    return render_template("regulator/public_complaint.html", row=row, private=private,
                           labels=complaints.STATE_LABELS, subjects=complaints.SUBJECT_LABELS,
                           decided=row.state in (ComplaintState.UPHELD.value,
                                                 ComplaintState.REJECTED.value))


@bp.route("/my/complaints")
@access(OrgKind.OWNER, OrgKind.AGENCY)
def my_complaints() -> ResponseReturnValue:
    org = require_org()
    return render_template("regulator/my_complaints.html", rows=complaints.of_filer(
        org.id, current_reach()),
                           labels=complaints.STATE_LABELS, subjects=complaints.SUBJECT_LABELS)


@bp.route("/my/complaints/new", methods=["GET", "POST"])
@access(OrgKind.OWNER, OrgKind.AGENCY)
def new_complaint() -> ResponseReturnValue:
    org = require_org()
    form = ComplaintForm()
    if request.method == "GET":
        form.subject_kind.data = request.args.get("kind") or form.subject_kind.data
        form.subject_id.data = request.args.get("subject") or form.subject_id.data
    if form.validate_on_submit():
        try:
            # Check the parties first, so nothing is written for a subject the filer is not
            # party to; the files are stored only then.
            complaints.parties(form.subject_kind.data or "", (form.subject_id.data or "").strip(),
                               org, current_reach())
            uploads = [storage.store_file(f, field="files", uploaded_by_id=current_user.id,
                                          organisation_id=org.id)
                       for f in (form.files.data or []) if getattr(f, "filename", "")]
            row = complaints.file(org, current_user, form.subject_kind.data or "",
                                  form.subject_id.data or "", form.text.data or "", uploads,
                                  current_reach())
        except storage.UploadError as error:
            form.files.errors = [*form.files.errors, _(error.message, **error.params)]
        except RuleError as error:
            show_error(form, error)
        else:
            flash(_("投诉已受理，请在期限内等待处理结果。"), "success")
            return redirect(url_for("credit.public_complaint", public_id=row.public_id))
    return render_template("regulator/complaint_form.html", form=form), \
        400 if form.errors else 200
