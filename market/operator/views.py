"""The operator's account pages: regulators and departments' staff by invitation, and the
queue of owners to activate (运营：监管账户、部门工作人员、业主单位核验)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from market.accounts import activation, invitations
from market.accounts import operations as ops
from market.accounts.auth import access
from market.accounts.forms import DepartmentStaffForm, RefuseOwnerForm, RegulatorForm
from market.accounts.models import Invitation, Membership, Organisation, OrgKind, Role
from market.accounts.views_members import invitation_link, mail_after_commit
from market.catalogue.models import Department
from market.catalogue.operations import department_organisation
from market.db import db
from market.forms import ActionForm, show_error

bp = Blueprint("operator", __name__, url_prefix="/operator")


@bp.route("/regulators", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def regulators() -> ResponseReturnValue:
    form = RegulatorForm()
    if form.validate_on_submit():
        try:
            invitation = invitations.invite_regulator(
                org_name=form.org_name.data or "", email=form.email.data or "",
                inviter=current_user)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            mail_after_commit(invitation)
            flash(_("已向 %(email)s 发出监管账户邀请。对方接受后即成为监管人员。",
                    email=invitation.email), "success")
            return redirect(url_for("operator.regulators"))
    rows = db.session.execute(
        sa.select(Membership, Organisation)
        .join(Organisation)
        .where(Organisation.kind == OrgKind.REGULATOR.value)
        .order_by(Organisation.name, Membership.id)
    ).all()
    pending = [(i, invitation_link(i), invitations.is_open(i))
               for i in invitations.pending_for_kind(OrgKind.REGULATOR)]
    return render_template("operator/regulators.html", form=form, rows=rows,
                           pending=pending), 400 if form.errors else 200


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(OrgKind.OPERATOR)
def revoke_invitation(invitation_id: int) -> Response:
    invitation = db.session.get(Invitation, invitation_id)
    kinds = (OrgKind.REGULATOR.value, OrgKind.DEPARTMENT.value)
    if invitation is None or invitation.organisation.kind not in kinds:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            invitations.revoke(invitation)
        except ops.AccountError as error:
            flash(_(error.message), "error")
        else:
            flash(_("邀请已撤回，链接不再有效。"), "success")
    if invitation.organisation.kind == OrgKind.DEPARTMENT.value:
        return redirect(url_for("operator.department_staff"))
    return redirect(url_for("operator.regulators"))


@bp.route("/department-staff", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def department_staff() -> ResponseReturnValue:
    """The departments' staff (部门工作人员), who record the cases of their department's
    matters where no approval system is linked; invited by the operator."""
    form = DepartmentStaffForm()
    depts = db.session.scalars(sa.select(Department).order_by(Department.name)).all()
    form.department_id.choices = [(d.id, d.name) for d in depts]
    if form.validate_on_submit():
        dept = db.session.get(Department, form.department_id.data)
        if dept is None:  # pragma: no cover - the choices hold only existing departments
            abort(400)
        try:
            invitation = invitations.invite(department_organisation(dept),
                                            email=form.email.data or "",
                                            role=Role.DEPARTMENT_STAFF, inviter=current_user)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            mail_after_commit(invitation)
            flash(_("已向 %(email)s 发出部门工作人员邀请。对方接受后即可登记%(dept)s的办件。",
                    email=invitation.email, dept=dept.name), "success")
            return redirect(url_for("operator.department_staff"))
    rows = db.session.execute(
        sa.select(Membership, Organisation, Department)
        .join(Organisation, Membership.organisation_id == Organisation.id)
        .join(Department, Department.organisation_id == Organisation.id)
        .order_by(Department.name, Membership.id)
    ).all()
    pending = [(i, invitation_link(i), invitations.is_open(i))
               for i in invitations.pending_for_kind(OrgKind.DEPARTMENT)]
    return render_template("operator/department_staff.html", form=form, rows=rows,
                           pending=pending), 400 if form.errors else 200


def _owner_queue(refuse_forms: dict[int, RefuseOwnerForm] | None = None) -> str:
    pending = activation.pending_owners()
    forms = refuse_forms or {}
    return render_template(
        "operator/owners.html", pending=pending, refused=activation.refused_owners(),
        forms={org.id: forms.get(org.id) or RefuseOwnerForm(prefix=f"o{org.id}")
               for org, _user in pending})


@bp.route("/owners")
@access(OrgKind.OPERATOR)
def owners() -> str:
    return _owner_queue()


def _owner_or_404(public_id: str) -> Organisation:
    org = activation.find_owner(public_id)
    if org is None:
        abort(404)
    return org


@bp.route("/owners/<public_id>/activate", methods=["POST"])
@access(OrgKind.OPERATOR)
def activate_owner(public_id: str) -> Response:
    org = _owner_or_404(public_id)
    if ActionForm().validate_on_submit():
        try:
            activation.activate_owner(org)
        except ops.AccountError as error:
            flash(_(error.message), "error")
        else:
            flash(_("已激活%(name)s，现在可以发布采购公告。", name=org.name), "success")
    return redirect(url_for("operator.owners"))


@bp.route("/owners/<public_id>/refuse", methods=["POST"])
@access(OrgKind.OPERATOR)
def refuse_owner(public_id: str) -> ResponseReturnValue:
    org = _owner_or_404(public_id)
    form = RefuseOwnerForm(prefix=f"o{org.id}")
    if form.validate_on_submit():
        try:
            activation.refuse_owner(org, form.reason.data or "")
        except ops.AccountError as error:
            show_error(form, error)
        else:
            flash(_("已不予激活%(name)s，申请人会看到理由。", name=org.name), "success")
            return redirect(url_for("operator.owners"))
    return _owner_queue({org.id: form}), 400
