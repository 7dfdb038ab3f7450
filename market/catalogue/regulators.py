"""The industry regulators of a service type, tenant by tenant (行业主管部门).

The service catalogue is the province's, its industry regulators are each city's and
county's: the tenant's operator says which of its own industry regulators regulates each
service type it uses (:data:`~market.catalogue.models.service_type_regulator`).  A type the
tenant's operator has not mapped falls back to the type's provincial default
(``ServiceType.regulator_id``), and only in that regulator's own tenant: the default never
grants a regulator anything in another city.

This module is the one place that answers "the industry regulators of type T in tenant X"
(:func:`regulators_of`, :func:`regulator_of`) and "what regulator R regulates"
(:func:`types_regulated_by`, and :func:`regulates` as a filter on rows that carry a tenant
and a service type); market.accounts.scope's ``Subject.regulators`` and ``ListScope`` are
built from them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.catalogue.models import ServiceType, service_type_regulator
from market.db import db

_M = service_type_regulator


def regulates(regulator: Any, tenant: Any, service_type: Any) -> sa.ColumnElement[bool]:
    """The SQL condition that ``regulator`` (an organisation id or a column) is the industry
    regulator of ``service_type`` in ``tenant`` (ids or columns of the row filtered: a list
    joins the mapping on each row's own tenant)."""
    m, d, st, org = _M.alias(), _M.alias(), ServiceType.__table__.alias(), \
        Organisation.__table__.alias()
    # Correlated explicitly: the row's columns may belong to a query two levels up (the draw
    # to-dos ask it inside an EXISTS on the person's memberships), where SQLAlchemy's automatic
    # correlation, which looks one level up only, would add the row's table to each EXISTS as
    # a table of its own and answer "any row of the tenant", not this one.
    mapped = sa.exists().where(m.c.tenant_id == tenant, m.c.service_type_id == service_type,
                               m.c.regulator_id == regulator).correlate_except(m)
    unmapped = ~sa.exists().where(d.c.tenant_id == tenant,
                                  d.c.service_type_id == service_type).correlate_except(d)
    default = sa.exists().where(st.c.id == service_type, st.c.regulator_id == regulator,
                                org.c.id == st.c.regulator_id,
                                org.c.tenant_id == tenant).correlate_except(st, org)
    return sa.or_(mapped, sa.and_(unmapped, default))


def regulators_of_types(type_ids: Iterable[int], tenant_id: int | None = None
                        ) -> frozenset[int]:
    """The industry regulators of any of ``type_ids`` in ``tenant_id`` (None: in every
    tenant, as an agency on the provincial register reads them)."""
    ids = sorted(set(type_ids))
    if not ids:
        return frozenset()
    mapped = sa.select(_M.c.regulator_id).where(_M.c.service_type_id.in_(ids),
                                                _M.c.regulator_id.is_not(None))
    default = (sa.select(ServiceType.regulator_id)
               .join(Organisation, Organisation.id == ServiceType.regulator_id)
               .where(ServiceType.id.in_(ids), ~sa.exists().where(
                   _M.c.tenant_id == Organisation.tenant_id,
                   _M.c.service_type_id == ServiceType.id)))
    if tenant_id is not None:
        mapped = mapped.where(_M.c.tenant_id == tenant_id)
        default = default.where(Organisation.tenant_id == tenant_id)
    return frozenset(r for r in db.session.scalars(sa.union(mapped, default)) if r is not None)


def regulators_of(service_type_id: int | None, tenant_id: int | None) -> frozenset[int]:
    """The industry regulators of one service type in ``tenant_id`` (none for no type)."""
    if service_type_id is None:
        return frozenset()
    return regulators_of_types((service_type_id,), tenant_id)


def regulator_of(service_type_id: int | None, tenant_id: int | None) -> int | None:
    """The industry regulator of a service type in a tenant (a tenant maps a type to one at
    most), or None."""
    found = regulators_of(service_type_id, tenant_id)
    return min(found) if found else None


def types_regulated_by(regulator_id: int) -> set[int]:
    """The service types ``regulator_id`` regulates in its own tenant."""
    tenant = db.session.scalar(sa.select(Organisation.tenant_id).where(
        Organisation.id == regulator_id))
    if tenant is None:
        return set()
    return set(db.session.scalars(sa.select(ServiceType.id).where(
        regulates(regulator_id, tenant, ServiceType.id))))


def tenant_mapping(tenant_id: int) -> dict[int, int | None]:
    """Each service type's industry regulator in ``tenant_id`` as its operator's page shows
    it: the mapped one, else the provincial default if it is of this tenant, else None."""
    rows = {t: r for t, r in db.session.execute(
        sa.select(_M.c.service_type_id, _M.c.regulator_id).where(_M.c.tenant_id == tenant_id))}
    defaults = {t: r for t, r in db.session.execute(
        sa.select(ServiceType.id, ServiceType.regulator_id)
        .join(Organisation, Organisation.id == ServiceType.regulator_id)
        .where(Organisation.tenant_id == tenant_id))}
    return {t: rows[t] if t in rows else defaults.get(t)
            for t in db.session.scalars(sa.select(ServiceType.id))}
