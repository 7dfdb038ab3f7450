"""Catalogue operations: the provincial operator maintains the shared catalogue (service
types, approval matters, approving departments; the views refuse any other operator).  Each writes
its audit event in the same transaction; a refused change raises :class:`CatalogueError`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from market.accounts import audit, tenants
from market.accounts.models import Division, Organisation, OrgKind
from market.accounts.operations import create_organisation
from market.catalogue.models import (
    ApprovalMatter,
    Department,
    Need,
    ServiceType,
    approval_matter_service_type,
)
from market.db import db, lock_row
from market.domain import contract
from market.domain.codes import DEPARTMENT_CODE_RE, derived_department_code
from market.i18n import N_
from market.refusal import Refused

CODE_RE = re.compile(r"[A-Z][A-Z0-9_-]{1,31}", re.ASCII)


class CatalogueError(Refused):
    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field, self.message, self.params = field, message, params


def split_lines(text: str) -> list[str]:
    """One entry per line (or separated by 、/，/;), trimmed, duplicates dropped, order kept."""
    seen: dict[str, None] = {}
    for part in re.split(r"[\n\r;；、，,]+", text or ""):
        part = part.strip()
        if part:
            seen[part[:100]] = None
    return list(seen)


def _code(field: str, code: str, model: Any, current_id: int | None) -> str:
    code = (code or "").strip().upper()
    if not CODE_RE.fullmatch(code):
        raise CatalogueError(field, N_("代码须为 2–32 位大写字母、数字、- 或 _，以字母开头。"))
    clash = db.session.scalar(sa.select(model.id).where(model.code == code))
    if clash is not None and clash != current_id:
        raise CatalogueError(field, N_("该代码已被使用。"))
    return code


@dataclass(frozen=True)
class ServiceTypeData:
    code: str
    name: str
    name_en: str
    regulator_id: int | None
    qualification_types: list[str]
    practitioner_types: list[str]
    deliverables: str = ""
    contract_template: str = ""  # empty: the catalogue's standard text


def save_service_type(existing: ServiceType | None, data: ServiceTypeData) -> ServiceType:
    """The provincial operator creates or edits a service type (中介服务事项).  Its
    ``regulator_id`` is the provincial default industry regulator: it regulates the type in
    its own tenant until that tenant's operator maps the type, and nowhere else
    (market.catalogue.regulators)."""
    code = _code("code", data.code, ServiceType, existing.id if existing else None)
    name = (data.name or "").strip()
    if not name:
        raise CatalogueError("name", N_("请填写此项。"))
    if data.regulator_id is not None:
        reg = db.session.get(Organisation, data.regulator_id)
        if reg is None or reg.kind != OrgKind.REGULATOR.value:
            raise CatalogueError("regulator_id", N_("请选择监管单位。"))
    template = (data.contract_template or "").replace("\r\n", "\n").strip()
    problem = contract.check(template)
    if problem is not None and problem.malformed:
        raise CatalogueError("contract_template", N_(
            "合同范本中的花括号须成对使用，字段写作 {字段名}；需要花括号本身时写 {{ 或 }}。"))
    if problem is not None:
        raise CatalogueError("contract_template", N_("合同范本中有平台不认识的字段：%(names)s。"),
                             names="、".join(problem.unknown))
    row = existing or ServiceType()
    before = _service_type_state(row) if existing else None
    row.code, row.name, row.name_en = code, name[:100], (data.name_en or "").strip()[:100]
    row.regulator_id = data.regulator_id
    row.qualification_types = list(data.qualification_types)
    row.practitioner_types = list(data.practitioner_types)
    row.deliverables = (data.deliverables or "").strip()[:500]
    row.contract_template = template
    if existing is None:
        db.session.add(row)
    db.session.flush()
    audit.record("operator:service-type:" + ("update" if existing else "create"), code,
                 {"before": before, "after": _service_type_state(row)})
    return row


def _service_type_state(row: ServiceType) -> dict[str, Any]:
    return {"code": row.code, "name": row.name, "name_en": row.name_en,
            "regulator_id": row.regulator_id,
            "qualification_types": list(row.qualification_types or []),
            "practitioner_types": list(row.practitioner_types or []),
            "deliverables": row.deliverables or "",
            "contract_template": row.contract_template or ""}


@dataclass(frozen=True)
class DepartmentData:
    code: str
    name: str
    # the tenant it belongs to (a city, a county or the province): its operator staffs it
    tenant_id: int | None = None


def department_places() -> list[Division]:
    """The places a department may belong to: the province, then each tenant (by code)."""
    root = tenants.province()
    return [*([root] if root is not None else []), *tenants.tenants()]


def save_department(existing: Department | None, data: DepartmentData) -> Department:
    """The provincial operator creates or edits an approving department (审批部门): its code (the one
    approval systems and machine clients use), its name (both unique) and the tenant it
    belongs to (所属地区: the province or a tenant), whose operator alone staffs it.  A
    department given to another tenant takes its staff organisation along (its members and
    pending invitations are then that tenant's operator's to manage), in the same
    transaction."""
    code = (data.code or "").strip().upper()
    if not DEPARTMENT_CODE_RE.fullmatch(code):
        raise CatalogueError("code", N_("部门代码须为 2–32 位大写字母、数字、- 或 _，以字母或数字开头。"))
    current = existing.id if existing else None
    clash = db.session.scalar(sa.select(Department.id).where(Department.code == code))
    if clash is not None and clash != current:
        raise CatalogueError("code", N_("该代码已被使用。"))
    name = (data.name or "").strip()
    if not name:
        raise CatalogueError("name", N_("请填写此项。"))
    clash = db.session.scalar(sa.select(Department.id).where(Department.name == name[:200]))
    if clash is not None and clash != current:
        raise CatalogueError("name", N_("已有同名的审批部门。"))
    place = next((d for d in department_places() if d.id == data.tenant_id), None)
    if place is None:
        raise CatalogueError("tenant_id", N_("请选择本省或在本平台开通的市、县（区）。"))
    if existing is not None:
        existing = lock_row(Department, existing.id)  # against a staffing under way
    row = existing or Department()
    before = _department_state(row) if existing else None
    moved = existing is not None and existing.tenant_id != place.id
    row.code, row.name, row.tenant_id = code, name[:200], place.id
    if existing is None:
        db.session.add(row)
    db.session.flush()
    after = _department_state(row)
    if moved and row.organisation_id is not None:
        staff = db.session.get(Organisation, row.organisation_id)
        if staff is not None:
            staff.tenant_id = place.id
            db.session.flush()
            after["organisation"] = staff.public_id  # moved along with the department
    audit.record("operator:department:" + ("update" if existing else "create"), code,
                 {"before": before, "after": after})
    return row


def _department_state(row: Department) -> dict[str, Any]:
    tenant = db.session.get(Division, row.tenant_id) if row.tenant_id is not None else None
    return {"code": row.code, "name": row.name, "tenant": tenant.code if tenant else None}


def department_named(name: str, code: str | None = None, tenant_id: int | None = None
                     ) -> Department:
    """The department of this name, created (with ``code``, or the code derived from the name
    as the migration derived them) when there is none, in ``tenant_id`` (the home tenant when
    None: the loaders' data is one city's).  For loaders of catalogue data (the demo, tests);
    operators use :func:`save_department`."""
    name = name.strip()
    row = db.session.scalar(sa.select(Department).where(Department.name == name))
    if row is None:
        row = save_department(None, DepartmentData(
            code or derived_department_code(name), name,
            tenant_id if tenant_id is not None else tenants.home_tenant().id))
    return row


@dataclass(frozen=True)
class ApprovalMatterData:
    code: str
    name: str
    department_id: int | None
    statutory_days: int | None
    committed_days: int | None
    service_type_ids: list[int]
    # Of service_type_ids, those needed during review (审查中); the others are acceptance
    # conditions (受理条件).
    in_process_ids: list[int] = field(default_factory=list)


def save_approval_matter(existing: ApprovalMatter | None, data: ApprovalMatterData
                         ) -> ApprovalMatter:
    """The provincial operator creates or edits an approval matter (审批事项): its code, its department,
    its statutory and committed limits (working days), the service types it needs and, per
    service type, whether its report is an acceptance condition (受理条件) or needed during
    review."""
    code = _code("code", data.code, ApprovalMatter, existing.id if existing else None)
    name = (data.name or "").strip()
    if not name:
        raise CatalogueError("name", N_("请填写此项。"))
    department = db.session.get(Department, data.department_id) \
        if data.department_id is not None else None
    if department is None:
        raise CatalogueError("department_id", N_("请选择审批部门。"))
    if data.statutory_days is None or not 1 <= data.statutory_days <= 365:
        raise CatalogueError("statutory_days", N_("法定时限应为 1 到 365 个工作日。"))
    if data.committed_days is None or not 1 <= data.committed_days <= 365:
        raise CatalogueError("committed_days", N_("承诺时限应为 1 到 365 个工作日。"))
    if data.committed_days > data.statutory_days:
        raise CatalogueError("committed_days", N_("承诺时限不能长于法定时限。"))
    types = list(db.session.scalars(sa.select(ServiceType).where(
        ServiceType.id.in_(data.service_type_ids)))) if data.service_type_ids else []
    if len(types) != len(set(data.service_type_ids)):
        raise CatalogueError("service_type_ids", N_("请选择已有的中介服务事项。"))
    if not set(data.in_process_ids) <= set(data.service_type_ids):
        raise CatalogueError("in_process_ids", N_("只能勾选本事项需要的中介服务事项。"))
    row = existing or ApprovalMatter()
    before = _matter_state(row) if existing else None
    row.code, row.name, row.department = code, name[:200], department
    row.statutory_days, row.committed_days = data.statutory_days, data.committed_days
    row.service_types = sorted(types, key=lambda t: t.code)
    if existing is None:
        db.session.add(row)
    db.session.flush()
    link = approval_matter_service_type
    for t in types:
        need = Need.IN_PROCESS if t.id in data.in_process_ids else Need.PRECONDITION
        db.session.execute(sa.update(link).where(
            link.c.approval_matter_id == row.id, link.c.service_type_id == t.id).values(
            need=need.value))
    audit.record("operator:approval-matter:" + ("update" if existing else "create"), code,
                 {"before": before, "after": _matter_state(row)})
    return row


def needs_of(matter_ids: list[int]) -> dict[tuple[int, int], str]:
    """(matter id, service type id) -> ``precondition`` or ``in_process``."""
    if not matter_ids:
        return {}
    link = approval_matter_service_type
    rows = db.session.execute(sa.select(
        link.c.approval_matter_id, link.c.service_type_id, link.c.need).where(
        link.c.approval_matter_id.in_(matter_ids)))
    return {(m, t): need for m, t, need in rows}


def _matter_state(row: ApprovalMatter) -> dict[str, Any]:
    needs = needs_of([row.id]) if row.id is not None else {}
    return {"code": row.code, "name": row.name,
            "department": row.department.code if row.department else None,
            "statutory_days": row.statutory_days, "committed_days": row.committed_days,
            "service_types": {t.code: needs.get((row.id, t.id), Need.PRECONDITION.value)
                              for t in row.service_types}}


def department_organisation(department: Department) -> Organisation:
    """Operator of the department's tenant: the organisation of ``department`` (kind
    ``department``) whose members are its staff (部门工作人员); created and linked, in the
    department's tenant, the first time it is needed.  Named after the department with 审批部门
    added: the same body is often a regulator organisation too (the industry regulator of a
    service type), and organisation names are unique."""
    # two operators of its tenant staffing it at once: the second waits and finds the first's;
    # the provincial operator giving it to another tenant meanwhile: the caller sees the
    # organisation's new tenant
    department = lock_row(Department, department.id)
    if department.organisation_id is not None:
        org = db.session.get(Organisation, department.organisation_id)
        if org is not None:
            return org
    org = create_organisation(OrgKind.DEPARTMENT, f"{department.name}（审批部门）",
                              tenant_id=department.tenant_id)
    department.organisation_id = org.id
    db.session.flush()
    audit.record("operator:department:organisation", department.code,
                 {"organisation": org.public_id})
    return org


def department_of(org: Organisation | None) -> Department | None:
    """The department whose staff act for ``org`` (None for any other organisation)."""
    if org is None or org.kind != OrgKind.DEPARTMENT.value:
        return None
    return db.session.scalar(sa.select(Department).where(Department.organisation_id == org.id))
