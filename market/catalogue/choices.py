"""A tenant's choices from the shared catalogue (目录选用): which service types and approval
matters a city or county uses.  The provincial operator keeps the shared catalogue; a city's
or county's operator switches its items on or off for its tenant.  Owners of a tenant publish
requests only for the service types it uses; an approval system reports a new case only for a
matter its owner's tenant uses.  Stored as what a tenant does not use
(:data:`~market.catalogue.models.unused_service_type`), so everything is used until switched
off."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from market.accounts import audit
from market.accounts.models import Division, Organisation, OrgKind, RegulatorKind
from market.catalogue import regulators
from market.catalogue.models import (
    ApprovalMatter,
    ServiceType,
    service_type_regulator,
    unused_approval_matter,
    unused_service_type,
)
from market.catalogue.operations import CatalogueError
from market.db import db, lock_row
from market.i18n import N_


def unused_types(tenant_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(unused_service_type.c.service_type_id).where(
        unused_service_type.c.tenant_id == tenant_id)))


def unused_matters(tenant_id: int) -> set[int]:
    return set(db.session.scalars(sa.select(unused_approval_matter.c.approval_matter_id).where(
        unused_approval_matter.c.tenant_id == tenant_id)))


def types_used(tenant_id: int | None) -> sa.Select[Any]:
    """The service types ``tenant_id`` uses (every one for None), in code order."""
    stmt = sa.select(ServiceType).order_by(ServiceType.code)
    if tenant_id is not None:
        stmt = stmt.where(ServiceType.id.not_in(sa.select(unused_service_type.c.service_type_id)
                                                .where(unused_service_type.c.tenant_id == tenant_id)))
    return stmt


def uses_type(tenant_id: int | None, service_type_id: int) -> bool:
    return tenant_id is None or service_type_id not in unused_types(tenant_id)


def uses_matter(tenant_id: int | None, matter_id: int) -> bool:
    return tenant_id is None or matter_id not in unused_matters(tenant_id)


def overview() -> list[tuple[Division, list[str], list[str]]]:
    """Every tenant with the service types and approval matters it has switched off (names),
    for the provincial operator."""
    off_types: dict[int, list[str]] = {}
    for tenant, name in db.session.execute(
            sa.select(unused_service_type.c.tenant_id, ServiceType.name)
            .join(ServiceType, ServiceType.id == unused_service_type.c.service_type_id)
            .order_by(ServiceType.code)):
        off_types.setdefault(tenant, []).append(name)
    off_matters: dict[int, list[str]] = {}
    for tenant, name in db.session.execute(
            sa.select(unused_approval_matter.c.tenant_id, ApprovalMatter.name)
            .join(ApprovalMatter, ApprovalMatter.id == unused_approval_matter.c.approval_matter_id)
            .order_by(ApprovalMatter.code)):
        off_matters.setdefault(tenant, []).append(name)
    return [(d, off_types.get(d.id, []), off_matters.get(d.id, [])) for d in db.session.scalars(
        sa.select(Division).where(Division.tenant.is_(True)).order_by(Division.code))]


def choose(tenant_id: int, types: Iterable[int], matters: Iterable[int]) -> tuple[int, int]:
    """A city's or county's operator chooses the service types and approval matters its
    tenant uses (the others are switched off for it).  Refuses (nothing stored) the province,
    which is no tenant and keeps the shared catalogue, and ids the catalogue does not hold.
    Writes the choice and an audit event; returns how many types and matters are off."""
    division = lock_row(Division, tenant_id)
    if division is None or not division.tenant:
        raise CatalogueError("service_type_ids", N_("全省共用的服务目录由省级运营方维护；"
                                                   "选用目录的是各市、县（区）。"))
    wanted_types, wanted_matters = set(types), set(matters)
    all_types = set(db.session.scalars(sa.select(ServiceType.id)))
    all_matters = set(db.session.scalars(sa.select(ApprovalMatter.id)))
    if not wanted_types <= all_types:
        raise CatalogueError("service_type_ids", N_("请从目录中选择中介服务事项。"))
    if not wanted_matters <= all_matters:
        raise CatalogueError("matter_ids", N_("请从目录中选择审批事项。"))
    off_types, off_matters = all_types - wanted_types, all_matters - wanted_matters
    before = (unused_types(tenant_id), unused_matters(tenant_id))
    db.session.execute(sa.delete(unused_service_type).where(
        unused_service_type.c.tenant_id == tenant_id))
    db.session.execute(sa.delete(unused_approval_matter).where(
        unused_approval_matter.c.tenant_id == tenant_id))
    if off_types:
        db.session.execute(sa.insert(unused_service_type), [
            {"tenant_id": tenant_id, "service_type_id": i} for i in sorted(off_types)])
    if off_matters:
        db.session.execute(sa.insert(unused_approval_matter), [
            {"tenant_id": tenant_id, "approval_matter_id": i} for i in sorted(off_matters)])
    codes = {r.id: r.code for r in db.session.execute(sa.select(ServiceType.id, ServiceType.code))}
    matter_codes = {r.id: r.code for r in db.session.execute(
        sa.select(ApprovalMatter.id, ApprovalMatter.code))}
    audit.record("operator:catalogue:choose", division.code, {
        "types_off": sorted(codes[i] for i in off_types),
        "matters_off": sorted(matter_codes[i] for i in off_matters),
        "types_off_before": sorted(codes[i] for i in before[0] if i in codes),
        "matters_off_before": sorted(matter_codes[i] for i in before[1] if i in matter_codes)})
    return len(off_types), len(off_matters)


def regulator_field(service_type_id: int) -> str:
    """The name of the form field that picks a service type's industry regulator."""
    return f"regulator_{service_type_id}"


def tenant_regulators(tenant_id: int) -> list[tuple[int, str]]:
    """The tenant's own industry regulators (行业主管部门), (id, name), by name."""
    return [(i, n) for i, n in db.session.execute(
        sa.select(Organisation.id, Organisation.name).where(
            Organisation.kind == OrgKind.REGULATOR.value,
            Organisation.regulator_kind == RegulatorKind.INDUSTRY.value,
            Organisation.tenant_id == tenant_id).order_by(Organisation.name))]


def assign_regulators(tenant_id: int, wanted: dict[int, int | None]) -> None:
    """A city's or county's operator says which of its tenant's industry regulators
    (行业主管部门) regulates each service type of ``wanted`` (None: none) in its tenant.
    Refuses (nothing stored) the province, a service type the catalogue does not hold and a
    regulator that is not an industry regulator of this tenant (another city's, a service
    centre supervisor, an agency), next to the type's field.  Replaces the tenant's rows for
    those types and writes an audit event (the codes and regulators before and after)."""
    division = lock_row(Division, tenant_id)
    if division is None or not division.tenant:
        raise CatalogueError("service_type_ids", N_("全省共用的服务目录由省级运营方维护；"
                                                   "选用目录的是各市、县（区）。"))
    codes = {r.id: r.code for r in db.session.execute(sa.select(ServiceType.id, ServiceType.code))}
    own = dict(tenant_regulators(tenant_id))
    for type_id, regulator in sorted(wanted.items()):
        if type_id not in codes:
            raise CatalogueError("service_type_ids", N_("请从目录中选择中介服务事项。"))
        if regulator is not None and regulator not in own:
            raise CatalogueError(regulator_field(type_id),
                                 N_("请选择本地的行业主管部门。"))
    before = regulators.tenant_mapping(tenant_id)
    if wanted:
        db.session.execute(sa.delete(service_type_regulator).where(
            service_type_regulator.c.tenant_id == tenant_id,
            service_type_regulator.c.service_type_id.in_(sorted(wanted))))
        db.session.execute(sa.insert(service_type_regulator), [
            {"tenant_id": tenant_id, "service_type_id": t, "regulator_id": r}
            for t, r in sorted(wanted.items())])
    changed = {codes[t]: {"before": before.get(t), "after": r}
               for t, r in sorted(wanted.items()) if before.get(t) != r}
    audit.record("operator:catalogue:regulators", division.code, {"changed": changed})
