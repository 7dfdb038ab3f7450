"""Relations (关联关系): an agency declares its own; the operator and regulators record more;
regulators see the agencies that look related and are not yet (疑似关联)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market.accounts import scope
from market.accounts.auth import access, require_org
from market.accounts.models import Organisation, OrgKind, Role
from market.agencies import relations
from market.agencies.forms import RecordRelationForm, RelationForm
from market.agencies.models import RelationSource
from market.agencies.operations import AgencyError
from market.agencies.scope import admission_subject, register_subject
from market.agencies.views import _org, bp
from market.db import db
from market.forms import show_error


@bp.route("/agency/relations", methods=["GET", "POST"])
@access(Role.AGENCY_ADMIN)
def my_relations() -> ResponseReturnValue:
    """The agency's relations, and its declaration of another (申报关联关系)."""
    org = _org()
    form = RelationForm()
    if form.validate_on_submit():
        try:
            relations.declare(org, current_user, form.other_credit_code.data or "",
                              form.other_name.data or "", form.kind.data or "",
                              form.note.data or "")
        except AgencyError as error:
            show_error(form, error)
        else:
            flash(_("关联关系已申报。"), "success")
            return redirect(url_for("agencies.my_relations"))
    return render_template("agencies/relations.html", form=form,
                           rows=relations.involving(org), org=org,
                           words=relations.KIND_WORDS), 400 if form.errors else 200


def _outside_scope(form: RecordRelationForm) -> bool:
    """A relation is the register's (province-wide): an industry regulator records one only
    for an agency listing a service type it regulates, an operator only for an agency
    admitted in its own tenant (market.accounts.scope)."""
    ref = (form.agency.data or "").strip().upper()
    agency = db.session.scalar(sa.select(Organisation).where(
        sa.or_(Organisation.public_id == ref, Organisation.credit_code == ref),
        Organisation.kind == OrgKind.AGENCY.value))
    org = require_org()
    if agency is None:
        return False
    if org.kind == OrgKind.OPERATOR.value:
        if scope.covers(org, admission_subject(agency), scope.Act.DECIDE):
            return False
        form.agency.errors = [*form.agency.errors, _("该中介机构不是在本地入驻的。")]
        return True
    if scope.covers(org, register_subject(agency), scope.Act.SANCTION):
        return False
    form.agency.errors = [*form.agency.errors, _("该中介机构不在您的监管范围内。")]
    return True


def _record(source: RelationSource, endpoint: str, template: str, **extra: object
            ) -> ResponseReturnValue:
    form = RecordRelationForm()
    if not form.is_submitted():  # "record" from a flagged pair fills the form in
        form.agency.data = request.args.get("agency", "")
        form.other_credit_code.data = request.args.get("other", "")
        form.kind.data = request.args.get("kind", "legal_representative")
    if form.validate_on_submit() and not _outside_scope(form):
        try:
            relations.record(form.agency.data or "", current_user,
                             form.other_credit_code.data or "", form.other_name.data or "",
                             form.kind.data or "", form.note.data or "", source)
        except AgencyError as error:
            show_error(form, error)
        else:
            flash(_("关联关系已登记。"), "success")
            return redirect(url_for(endpoint))
    org = require_org()
    # an operator keeps the relations of the agencies admitted in its tenant; a regulator
    # reads the register's
    mine = org.tenant_id if org.kind == OrgKind.OPERATOR.value else None
    return render_template(template, form=form, rows=relations.all_relations(mine),
                           words=relations.KIND_WORDS, **extra), 400 if form.errors else 200


@bp.route("/operator/relations", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def operator_relations() -> ResponseReturnValue:
    """The relations of the agencies admitted in the operator's tenant; it records one for
    such an agency."""
    return _record(RelationSource.OPERATOR, "agencies.operator_relations",
                   "agencies/relations_admin.html")


@bp.route("/regulator/relations", methods=["GET", "POST"])
@access(OrgKind.REGULATOR)
def regulator_relations() -> ResponseReturnValue:
    """The agencies that look related (shared legal representative or telephone) with no
    relation recorded, and every relation; a regulator records one."""
    return _record(RelationSource.REGULATOR, "agencies.regulator_relations",
                   "agencies/relations_admin.html", suspected=relations.suspected())
