"""The operator's account pages: regulators and departments' staff by invitation, and the
queue of owners to activate (运营：监管账户、部门工作人员、业主单位核验)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from market.accounts import (
    activation,
    administration,
    invitations,
    persons,
    second_factor,
    tenants,
)
from market.accounts import operations as ops
from market.accounts.auth import access, require_org
from market.accounts.forms import (
    DepartmentStaffForm,
    DivisionForm,
    OperatorInviteForm,
    RefuseOwnerForm,
    RegulatorForm,
    SecondFactorResetForm,
)
from market.accounts.models import (
    Division,
    Invitation,
    Membership,
    Organisation,
    OrgKind,
    RegulatorKind,
    Role,
    SecondFactor,
    User,
)
from market.accounts.views import ROLE_NAMES
from market.accounts.views_members import invitation_link, mail_after_commit
from market.catalogue.models import Department
from market.catalogue.operations import department_organisation
from market.db import db
from market.forms import ActionForm, keep_offered, show_error
from market.i18n import N_

bp = Blueprint("operator", __name__, url_prefix="/operator")

KIND_NAMES = {
    OrgKind.OWNER.value: _l("项目业主"), OrgKind.AGENCY.value: _l("中介机构"),
    OrgKind.REGULATOR.value: _l("监管单位"), OrgKind.OPERATOR.value: _l("运营方"),
    OrgKind.DEPARTMENT.value: _l("审批部门"),
}


@bp.route("/regulators", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def regulators() -> ResponseReturnValue:
    me = require_org()
    provincial = tenants.is_province(me.tenant_id)
    form = RegulatorForm()
    if form.validate_on_submit():
        kind = RegulatorKind.PROVINCE if provincial else RegulatorKind(
            form.regulator_kind.data or "centre")
        try:
            invitation = invitations.invite_regulator(
                org_name=form.org_name.data or "", email=form.email.data or "",
                inviter=current_user, tenant_id=me.tenant_id, kind=kind)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            mail_after_commit(invitation)
            flash(_("已向 %(email)s 发出监管账户邀请。对方接受后即成为监管人员。",
                    email=invitation.email), "success")
            return redirect(url_for("operator.regulators"))
    keep_offered(form, {"regulator_kind": "centre"})  # a kind never offered: the default
    rows = db.session.execute(
        sa.select(Membership, Organisation)
        .join(Organisation)
        .where(Organisation.kind == OrgKind.REGULATOR.value,
               Organisation.tenant_id == me.tenant_id)
        .order_by(Organisation.name, Membership.id)
    ).all()
    pending = [(i, invitation_link(i), invitations.is_open(i))
               for i in invitations.pending_for_kind(OrgKind.REGULATOR)
               if i.organisation.tenant_id == me.tenant_id]
    return render_template("operator/regulators.html", form=form, rows=rows,
                           pending=pending, provincial=provincial,
                           kinds=REGULATOR_KIND_NAMES), 400 if form.errors else 200


@bp.route("/invitations/<int:invitation_id>/revoke", methods=["POST"])
@access(OrgKind.OPERATOR)
def revoke_invitation(invitation_id: int) -> Response:
    invitation = db.session.get(Invitation, invitation_id)
    kinds = (OrgKind.REGULATOR.value, OrgKind.DEPARTMENT.value)
    if invitation is None or invitation.organisation.kind not in kinds or \
            invitation.organisation.tenant_id != require_org().tenant_id:
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
    matters where no approval system is linked; invited by the operator.

    Each department belongs to a tenant (``Department.tenant_id``, given by the provincial
    operator on the catalogue's department page); an operator manages its own tenant only
    (market.accounts.scope), the provincial operator included: it is offered its tenant's
    departments, and another tenant's is refused (400, next to the field, nothing changed);
    another tenant's staff and invitations are not shown."""
    me = require_org()
    form = DepartmentStaffForm()
    depts = db.session.scalars(sa.select(Department).where(Department.tenant_id == me.tenant_id)
                               .order_by(Department.name)).all()
    form.department_id.choices = [(d.id, d.name) for d in depts]
    if form.validate_on_submit():
        dept = db.session.get(Department, form.department_id.data)
        try:
            if dept is None or dept.tenant_id != me.tenant_id:
                raise ops.AccountError("department_id", N_("请选择本地的审批部门。"))
            staff_org = department_organisation(dept)
            if staff_org.tenant_id != me.tenant_id:
                # the provincial operator gave it to another tenant while this request waited
                raise ops.AccountError("department_id", N_("该审批部门由其他地区的运营方管理。"))
            invitation = invitations.invite(staff_org, email=form.email.data or "",
                                            role=Role.DEPARTMENT_STAFF, inviter=current_user)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            mail_after_commit(invitation)
            flash(_("已向 %(email)s 发出部门工作人员邀请。对方接受后即可登记%(dept)s的办件。",
                    email=invitation.email, dept=dept.name), "success")
            return redirect(url_for("operator.department_staff"))
    # a refused choice the page never offered shows as loaded (its first department)
    keep_offered(form, {"department_id": depts[0].id if depts else None})
    rows = db.session.execute(
        sa.select(Membership, Organisation, Department)
        .join(Organisation, Membership.organisation_id == Organisation.id)
        .join(Department, Department.organisation_id == Organisation.id)
        .where(Organisation.tenant_id == me.tenant_id)
        .order_by(Department.name, Membership.id)
    ).all()
    pending = [(i, invitation_link(i), invitations.is_open(i))
               for i in invitations.pending_for_kind(OrgKind.DEPARTMENT)
               if i.organisation.tenant_id == me.tenant_id]
    return render_template("operator/department_staff.html", form=form, rows=rows,
                           pending=pending), 400 if form.errors else 200


def _owner_queue(refuse_forms: dict[int, RefuseOwnerForm] | None = None) -> str:
    tenant = require_org().tenant_id
    pending = activation.pending_owners(tenant)
    forms = refuse_forms or {}
    return render_template(
        "operator/owners.html", pending=pending,
        refused=activation.refused_owners(tenant_id=tenant),
        forms={org.id: forms.get(org.id) or RefuseOwnerForm(prefix=f"o{org.id}")
               for org, _user in pending},
        id_numbers={org.id: persons.id_number_shown(org) for org, _user in pending
                    if org.person})


@bp.route("/owners")
@access(OrgKind.OPERATOR)
def owners() -> str:
    return _owner_queue()


def _owner_or_404(public_id: str) -> Organisation:
    org = activation.find_owner(public_id)
    if org is None or org.tenant_id != require_org().tenant_id:
        abort(404)  # another tenant's owners are its operator's
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


def _accounts_page(form: OperatorInviteForm | None = None, status: int = 200) -> ResponseReturnValue:
    if form is None:
        form = _invite_form()
    query = request.args.get("q", "")[:100]
    kind = request.args.get("kind", "")
    kind = kind if kind in {k.value for k in OrgKind} else ""
    page = request.args.get("page", "1")
    found = administration.users(query, kind,
                                 int(page) if page.isdigit() and len(page) < 7 else 1,
                                 tenant_id=require_org().tenant_id)
    member_rows = db.session.execute(
        sa.select(Membership, Organisation).join(Organisation)
        .where(Membership.user_id.in_([u.id for u in found.users]))
        .order_by(Organisation.name)).all()
    orgs: dict[int, list[tuple[Membership, Organisation]]] = {}
    for m, org in member_rows:
        orgs.setdefault(m.user_id, []).append((m, org))
    with_factor = set(db.session.scalars(sa.select(SecondFactor.user_id).where(
        SecondFactor.user_id.in_([u.id for u in found.users]))))
    return render_template("operator/accounts.html", found=found, orgs=orgs, form=form,
                           query=query, kind=kind, role_names=ROLE_NAMES,
                           kinds=KIND_NAMES, with_factor=with_factor), status


def _invite_form() -> OperatorInviteForm:
    form = OperatorInviteForm()
    form.role.choices = [(r.value, ROLE_NAMES[r]) for r in Role]
    return form


@bp.route("/accounts", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def accounts() -> ResponseReturnValue:
    """Every organisation's people (账户管理): find, invite, disable and enable."""
    form = _invite_form()
    if form.validate_on_submit():
        try:
            invitation = administration.invite(
                form.organisation.data or "", email=form.email.data or "",
                role=form.role.data or "", by=current_user,
                tenant_id=require_org().tenant_id)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            mail_after_commit(invitation)
            flash(_("已向 %(email)s 发出邀请（%(org)s）。对方接受后即成为成员。",
                    email=invitation.email, org=invitation.organisation.name), "success")
            return redirect(url_for("operator.accounts"))
        return _accounts_page(form, 400)
    if form.is_submitted():
        return _accounts_page(form, 400)
    return _accounts_page(form)


@bp.route("/accounts/<int:user_id>/active", methods=["POST"])
@access(OrgKind.OPERATOR)
def set_account_active(user_id: int) -> Response:
    """Disable (停用) or enable (启用) an account; the form's ``active`` says which."""
    user = db.session.get(User, user_id)
    if user is None or not administration.in_tenant(user, require_org().tenant_id):
        abort(404)
    if ActionForm().validate_on_submit():
        wanted = request.form.get("active") == "1"
        try:
            administration.set_active(user, wanted, by=current_user)
        except ops.AccountError as error:
            flash(_(error.message), "error")
        else:
            flash(_("已启用 %(name)s 的账户。", name=user.name) if wanted else
                  _("已停用 %(name)s 的账户，其登录会话已全部结束。", name=user.name), "success")
    return redirect(url_for("operator.accounts", q=request.args.get("q", "")[:100] or None))


@bp.route("/accounts/<int:user_id>/second-factor", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    """Reset a person's second factor (重置动态口令), after a confirmation page asking why."""
    user = db.session.get(User, user_id)
    if user is None or not administration.in_tenant(user, require_org().tenant_id):
        abort(404)
    form = SecondFactorResetForm()
    if form.validate_on_submit():
        try:
            second_factor.reset(user, form.reason.data or "", by=current_user)
        except ops.AccountError as error:
            show_error(form, error)
        else:
            flash(_("已重置 %(name)s 的动态口令，其登录会话已全部结束。对方下次登录时重新启用。",
                    name=user.name), "success")
            return redirect(url_for("operator.accounts", q=user.email))
    status = 400 if form.is_submitted() else 200
    return render_template("operator/second_factor_reset.html", form=form, person=user,
                           factor=second_factor.factor_of(user)), status


REGULATOR_KIND_NAMES = {
    RegulatorKind.CENTRE.value: _l("服务中心监督"),
    RegulatorKind.INDUSTRY.value: _l("行业主管部门"),
    RegulatorKind.PROVINCE.value: _l("省级监管"),
}

LEVEL_NAMES = {"province": _l("省"), "city": _l("市"), "county": _l("县（区）")}


def _divisions_page(form: DivisionForm, status: int = 200) -> ResponseReturnValue:
    provincial = tenants.is_province(require_org().tenant_id)
    return render_template("operator/divisions.html", form=form, divisions=tenants.tree(),
                           provincial=provincial, levels=LEVEL_NAMES), status


@bp.route("/divisions", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def divisions() -> ResponseReturnValue:
    """The administrative division tree (行政区划): every operator reads it; the provincial
    operator adds divisions and opens cities and counties on the platform."""
    form = DivisionForm()
    if form.is_submitted():
        if not tenants.is_province(require_org().tenant_id):
            abort(403)
        if form.validate():
            try:
                division = tenants.add(form.code.data or "", form.name.data or "",
                                       tenant=bool(form.tenant.data))
            except tenants.DivisionError as error:
                show_error(form, error)
            else:
                flash(_("已添加 %(code)s %(name)s。", code=division.code, name=division.name),
                      "success")
                return redirect(url_for("operator.divisions"))
        return _divisions_page(form, 400)
    return _divisions_page(form)


@bp.route("/divisions/<int:division_id>/tenant", methods=["POST"])
@access(OrgKind.OPERATOR)
def set_tenant(division_id: int) -> Response:
    """The provincial operator opens a city or county on the platform, or stops opening new
    units there; the form's ``tenant`` says which."""
    division = db.session.get(Division, division_id)
    if division is None:
        abort(404)
    if not tenants.is_province(require_org().tenant_id):
        abort(403)
    if ActionForm().validate_on_submit():
        try:
            tenants.set_tenant(division, request.form.get("tenant") == "1")
        except tenants.DivisionError as error:
            flash(_(error.message), "error")
        else:
            flash(_("已更新 %(name)s。", name=division.name), "success")
    return redirect(url_for("operator.divisions"))
