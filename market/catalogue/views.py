"""Operator pages for the service catalogue: service types, approval matters, approving
departments, and each tenant's choices.

The catalogue is one for the province (全省共用一套服务目录): service types, approval matters
and approving departments are shared (a department's code and name are unique across the
province, and the shared approval matters name it; its tenant says only whose operator
staffs it, and the provincial operator sets it too), so only the provincial operator
edits them (:func:`market.accounts.scope.keeps_shared`); a city's or county's operator reads
them, gets the pages without forms, and 403 on a POST.  What a tenant keeps itself is its
choice of the catalogue's entries (``/operator/catalogue-choices``)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload
from wtforms import SelectChoice, SelectField

from market.accounts import scope
from market.accounts.auth import access, require_org
from market.accounts.models import Division, Organisation, OrgKind
from market.catalogue import choices, regulators
from market.catalogue import operations as ops
from market.catalogue.forms import (
    ApprovalMatterForm,
    ChoicesForm,
    DepartmentForm,
    ServiceTypeForm,
)
from market.catalogue.models import ApprovalMatter, Department, ServiceType
from market.db import db
from market.domain import contract
from market.forms import keep_offered, show_error
from market.templating import service_name

bp = Blueprint("catalogue", __name__, url_prefix="/operator")


# What each placeholder of a contract template (market.domain.contract.FIELDS) stands for.
CONTRACT_FIELDS = {
    "owner": _l("项目业主（甲方）名称"), "owner_code": _l("项目业主统一社会信用代码"),
    "agency": _l("中介机构（乙方）名称"), "agency_code": _l("中介机构统一社会信用代码"),
    "project": _l("项目名称"), "project_code": _l("投资项目代码"),
    "service": _l("中介服务事项"), "scope": _l("服务范围和内容（采购公告）"),
    "deliverables": _l("服务成果"), "fee_yuan": _l("服务费（元，两位小数）"),
    "service_days": _l("承诺服务时限（工作日）"), "notice": _l("采购公告编号"),
    "engagement": _l("委托编号"), "signing_due": _l("签约期限"),
}

def _regulator_choices() -> list[SelectChoice]:
    rows = db.session.execute(sa.select(Organisation.id, Organisation.name).where(
        Organisation.kind == OrgKind.REGULATOR.value).order_by(Organisation.name)).all()
    return [SelectChoice(0, _("（未指定）")), *(SelectChoice(i, n) for i, n in rows)]


def _keeper() -> bool:
    """Whether the operator keeps the shared catalogue; a POST from any other is refused
    before its form is read."""
    keeper = scope.keeps_shared(require_org())
    if request.method == "POST" and not keeper:
        abort(403)
    return keeper


def _read_only() -> dict[str, object]:
    """What the catalogue's templates need to say who may edit it."""
    return {"keeper": _keeper(), "keeper_name": scope.shared_keeper_name()}


def _service_type_page(existing: ServiceType | None) -> ResponseReturnValue:
    shown = _read_only()
    form = ServiceTypeForm(obj=None)
    form.regulator_id.choices = _regulator_choices()
    if existing is not None and not form.is_submitted():
        form.code.data, form.name.data, form.name_en.data = (
            existing.code, existing.name, existing.name_en)
        form.regulator_id.data = existing.regulator_id or 0
        form.qualification_types.data = "\n".join(existing.qualification_types or [])
        form.practitioner_types.data = "\n".join(existing.practitioner_types or [])
        form.deliverables.data = existing.deliverables or ""
        form.contract_template.data = existing.contract_template or ""
    if form.validate_on_submit():
        try:
            row = ops.save_service_type(existing, ops.ServiceTypeData(
                code=form.code.data or "", name=form.name.data or "",
                name_en=form.name_en.data or "", regulator_id=form.regulator_id.data or None,
                qualification_types=ops.split_lines(form.qualification_types.data or ""),
                practitioner_types=ops.split_lines(form.practitioner_types.data or ""),
                deliverables=form.deliverables.data or "",
                contract_template=form.contract_template.data or ""))
        except ops.CatalogueError as error:
            show_error(form, error)
        else:
            flash(_("已保存中介服务事项 %(code)s。", code=row.code), "success")
            return redirect(url_for("catalogue.service_types"))
    keep_offered(form, {"regulator_id": existing.regulator_id or 0 if existing else 0})
    rows = db.session.scalars(sa.select(ServiceType).options(
        selectinload(ServiceType.regulator), selectinload(ServiceType.approval_matters))
        .order_by(ServiceType.code)).all()
    return render_template("catalogue/service_types.html", form=form, rows=rows,
                           existing=existing,
                           contract_fields={n: CONTRACT_FIELDS[n] for n in contract.FIELDS},
                           standard_contract=contract.STANDARD, **shown), \
        400 if form.errors else 200


@bp.route("/service-types", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def service_types() -> ResponseReturnValue:
    return _service_type_page(None)


@bp.route("/service-types/<code>", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def edit_service_type(code: str) -> ResponseReturnValue:
    row = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == code))
    if row is None:
        abort(404)
    return _service_type_page(row)


def _matter_page(existing: ApprovalMatter | None) -> ResponseReturnValue:
    shown = _read_only()
    form = ApprovalMatterForm()
    types = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).all()
    form.service_type_ids.choices = [SelectChoice(t.id, service_name(t)) for t in types]
    form.in_process_ids.choices = form.service_type_ids.choices
    departments = db.session.scalars(sa.select(Department).order_by(Department.name)).all()
    form.department_id.choices = [SelectChoice(0, _("（请选择）")),
                                  *(SelectChoice(d.id, d.name) for d in departments)]
    if existing is not None and not form.is_submitted():
        form.code.data, form.name.data, form.department_id.data = (
            existing.code, existing.name, existing.department_id)
        form.statutory_days.data, form.committed_days.data = (
            existing.statutory_days, existing.committed_days)
        form.service_type_ids.data = [t.id for t in existing.service_types]
        needs = ops.needs_of([existing.id])
        form.in_process_ids.data = [t.id for t in existing.service_types
                                    if needs.get((existing.id, t.id)) == "in_process"]
    if form.validate_on_submit():
        try:
            row = ops.save_approval_matter(existing, ops.ApprovalMatterData(
                code=form.code.data or "", name=form.name.data or "",
                department_id=form.department_id.data or None,
                statutory_days=form.statutory_days.data,
                committed_days=form.committed_days.data,
                service_type_ids=list(form.service_type_ids.data or []),
                in_process_ids=list(form.in_process_ids.data or [])))
        except ops.CatalogueError as error:
            show_error(form, error)
        else:
            flash(_("已保存审批事项 %(code)s。", code=row.code), "success")
            return redirect(url_for("catalogue.approval_matters"))
    keep_offered(form, {"department_id": existing.department_id if existing else 0})
    rows = db.session.scalars(sa.select(ApprovalMatter).options(
        selectinload(ApprovalMatter.service_types), selectinload(ApprovalMatter.department))
        .order_by(ApprovalMatter.code)).all()
    return render_template("catalogue/approval_matters.html", form=form, rows=rows,
                           existing=existing, needs=ops.needs_of([m.id for m in rows]),
                           has_departments=bool(departments), **shown), \
        400 if form.errors else 200


@bp.route("/approval-matters", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def approval_matters() -> ResponseReturnValue:
    return _matter_page(None)


@bp.route("/approval-matters/<code>", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def edit_approval_matter(code: str) -> ResponseReturnValue:
    row = db.session.scalar(sa.select(ApprovalMatter).where(ApprovalMatter.code == code))
    if row is None:
        abort(404)
    return _matter_page(row)


def _department_page(existing: Department | None) -> ResponseReturnValue:
    """The approving departments, and the provincial operator's form for one: its code, its
    name and the tenant it belongs to (所属地区), whose operator alone staffs it."""
    shown = _read_only()
    form = DepartmentForm()
    places = ops.department_places()
    form.tenant_id.choices = [SelectChoice(d.id, d.name) for d in places]
    # a new department is the province's until given to a city or county
    stored = existing.tenant_id if existing is not None else (places[0].id if places else 0)
    if not form.is_submitted():
        form.tenant_id.data = stored
        if existing is not None:
            form.code.data, form.name.data = existing.code, existing.name
    if form.validate_on_submit():
        try:
            row = ops.save_department(existing, ops.DepartmentData(
                code=form.code.data or "", name=form.name.data or "",
                # a form without the field (an older client) keeps the department where it is
                tenant_id=form.tenant_id.data if form.tenant_id.raw_data else stored))
        except ops.CatalogueError as error:
            show_error(form, error)
        else:
            flash(_("已保存审批部门 %(code)s。", code=row.code), "success")
            return redirect(url_for("catalogue.departments"))
    keep_offered(form, {"tenant_id": stored})
    rows = db.session.execute(sa.select(Department, sa.func.count(ApprovalMatter.id))
                              .outerjoin(ApprovalMatter, ApprovalMatter.department_id ==
                                         Department.id)
                              .options(selectinload(Department.tenant))
                              .group_by(Department.id).order_by(Department.code)).all()
    return render_template("catalogue/departments.html", form=form, rows=rows,
                           existing=existing, **shown), 400 if form.errors else 200


@bp.route("/departments", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def departments() -> ResponseReturnValue:
    return _department_page(None)


@bp.route("/departments/<code>", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def edit_department(code: str) -> ResponseReturnValue:
    row = db.session.scalar(sa.select(Department).where(Department.code == code))
    if row is None:
        abort(404)
    return _department_page(row)


def _choices_form(tenant_id: int | None, used: list[ServiceType]) -> ChoicesForm:
    """The choices form, with one industry regulator field per service type the tenant uses:
    none or one of the tenant's own industry regulators (another's is refused by the
    operation, next to its field)."""
    if tenant_id is None:
        return ChoicesForm()
    options = [SelectChoice(0, _("（无）")), *(SelectChoice(i, n) for i, n in
                                              choices.tenant_regulators(tenant_id))]
    fields = {choices.regulator_field(t.id): SelectField(service_name(t), coerce=int,
                                                          validate_choice=False)
              for t in used}
    form: ChoicesForm = type("TenantChoicesForm", (ChoicesForm,), fields)()
    for t in used:
        getattr(form, choices.regulator_field(t.id)).choices = options
    return form


@bp.route("/catalogue-choices", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def catalogue_choices() -> ResponseReturnValue:
    """The service types and approval matters of the shared catalogue the operator's tenant
    uses, and the industry regulator (行业主管部门) of its own that regulates each type it
    uses; the provincial operator, who keeps the catalogue, reads each tenant's choices."""
    org = require_org()
    division = db.session.get(Division, org.tenant_id)
    tenant = division is not None and division.tenant
    types = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).all()
    matters = db.session.scalars(sa.select(ApprovalMatter).order_by(ApprovalMatter.code)).all()
    off_types = choices.unused_types(org.tenant_id) if tenant else set()
    used = [t for t in types if t.id not in off_types]
    form = _choices_form(org.tenant_id if tenant else None, used)
    # names only: the codes are the catalogue's keys, not words a person reads
    form.service_type_ids.choices = [SelectChoice(t.id, service_name(t)) for t in types]
    form.matter_ids.choices = [SelectChoice(m.id, m.name) for m in matters]
    if not tenant and form.is_submitted():
        abort(403)  # the province keeps the shared catalogue itself, it has no choice to make
    mapping = regulators.tenant_mapping(org.tenant_id) if tenant else {}
    if tenant and not form.is_submitted():
        off_matters = choices.unused_matters(org.tenant_id)
        form.service_type_ids.data = [t.id for t in used]
        form.matter_ids.data = [m.id for m in matters if m.id not in off_matters]
        for t in used:
            getattr(form, choices.regulator_field(t.id)).data = mapping.get(t.id) or 0
    if tenant and form.validate_on_submit():
        try:
            choices.choose(org.tenant_id, form.service_type_ids.data or [],
                           form.matter_ids.data or [])
            # the types whose field was sent (a form without them changes no mapping)
            picked = {t.id: getattr(form, choices.regulator_field(t.id)) for t in used}
            choices.assign_regulators(org.tenant_id, {
                i: f.data or None for i, f in picked.items() if f.raw_data})
        except ops.CatalogueError as error:
            show_error(form, error)
        else:
            flash(_("已保存本地选用的服务目录。"), "success")
            return redirect(url_for("catalogue.catalogue_choices"))
    # a regulator the page never offered (another city's bureau) shows the one in force
    if tenant:
        keep_offered(form, {choices.regulator_field(t.id): mapping.get(t.id) or 0 for t in used})
    # the province reads every tenant's choices (what each has switched off)
    overview = [] if tenant else choices.overview()
    regulator_fields = [form[choices.regulator_field(t.id)] for t in used] if tenant else []
    return render_template("catalogue/choices.html", form=form, tenant=tenant,
                           where=division.name if division else "", overview=overview,
                           regulator_fields=regulator_fields), \
        400 if form.errors else 200
