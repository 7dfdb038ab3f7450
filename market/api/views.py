"""Catalogue and agency endpoints, and the OpenAPI document (see :mod:`market.api`)."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from market import pagecache
from market.accounts.auth import ANYONE, access
from market.agencies import directory
from market.agencies.directory import DirectoryFilter, FilterError
from market.api import schemas as s
from market.catalogue.models import ApprovalMatter, Department, ServiceType
from market.catalogue.operations import needs_of
from market.credit.sanctions import published as published_sanctions
from market.db import db
from market.domain.qualifications import expired_on, mask_number
from market.timeutil import today_local
from market.web.openapi import ApiError, Page, endpoint, openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.route("/openapi.json")
@access(ANYONE)
def openapi() -> Response:
    """The OpenAPI 3.1 document, generated from the endpoint descriptions."""
    return jsonify(openapi_document())


def fee_out(row: Any) -> s.FeeScheduleOut:
    return s.FeeScheduleOut(kind=row.fee_kind, amount_fen=row.amount_fen, rate_bp=row.rate_bp,
                            minimum_fen=row.minimum_fen, maximum_fen=row.maximum_fen)


@bp.route("/service-types")
@access(ANYONE)
@endpoint(query=s.ServiceTypeQuery, response=s.ServiceTypeOut, paged=True, tag="catalogue")
def service_types(query: s.ServiceTypeQuery) -> Page[s.ServiceTypeOut]:
    """Service types (中介服务事项).

    Each with its code (the `service` filter of /api/agencies), regulator, the qualification
    and practitioner types that allow offering it, and the approval matters that need it."""
    base = sa.select(ServiceType).order_by(ServiceType.code)
    total = db.session.scalar(sa.select(sa.func.count(ServiceType.id))) or 0
    rows = db.session.scalars(base.options(
        selectinload(ServiceType.approval_matters).selectinload(ApprovalMatter.department),
        selectinload(ServiceType.regulator))
        .limit(query.per_page).offset((query.page - 1) * query.per_page)).all()
    needs = needs_of(sorted({m.id for st in rows for m in st.approval_matters}))
    items = [s.ServiceTypeOut(
        code=st.code, name=st.name, name_en=st.name_en,
        regulator=st.regulator.name if st.regulator else None,
        qualification_types=list(st.qualification_types or []),
        practitioner_types=list(st.practitioner_types or []),
        approval_matters=[s.ApprovalMatterRef(
            m.code, m.name, s.DepartmentOut(m.department.code, m.department.name),
            m.statutory_days, m.committed_days, needs.get((m.id, st.id), "precondition"))
            for m in st.approval_matters],
    ) for st in rows]
    return Page(items=items, total=total, query=query)


@bp.route("/approval-matters")
@access(ANYONE)
@endpoint(query=s.ApprovalMatterQuery, response=s.ApprovalMatterOut, paged=True,
          tag="catalogue")
def approval_matters(query: s.ApprovalMatterQuery) -> Page[s.ApprovalMatterOut]:
    """Approval matters (审批事项).

    Each with its code (the `matter_code` of the approval systems' case events), its
    department, its statutory and committed limits in working days, and the service types
    whose reports it needs: `precondition` (受理条件: produced before the application is
    accepted, so before the approval clock starts) or `in_process` (needed during review).
    An unknown `department` code is a 400 `invalid_parameter`, not an empty list."""
    where = []
    if query.department:
        department = db.session.scalar(sa.select(Department.id).where(
            Department.code == query.department.strip().upper()))
        if department is None:
            # as /api/requests?division=: a code no department has is a mistake to report,
            # not a filter that matches nothing
            raise ApiError(400, "invalid_parameter", "department: " + _(
                "未知的审批部门代码：%(value)s。", value=query.department))
        where.append(ApprovalMatter.department_id == department)
    total = db.session.scalar(sa.select(sa.func.count(ApprovalMatter.id)).where(*where)) or 0
    rows = db.session.scalars(sa.select(ApprovalMatter).where(*where).options(
        selectinload(ApprovalMatter.department), selectinload(ApprovalMatter.service_types))
        .order_by(ApprovalMatter.code)
        .limit(query.per_page).offset((query.page - 1) * query.per_page)).all()
    needs = needs_of([m.id for m in rows])
    items = [s.ApprovalMatterOut(
        code=m.code, name=m.name, department=s.DepartmentOut(m.department.code, m.department.name),
        statutory_days=m.statutory_days, committed_days=m.committed_days,
        services=[s.MatterServiceOut(t.code, t.name, needs.get((m.id, t.id), "precondition"))
                  for t in m.service_types],
    ) for m in rows]
    return Page(items=items, total=total, query=query)


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}
_PLAIN = (str, int, float, bool, type(None))


def _to_json(value: Any) -> Any:
    """:func:`market.web.openapi.to_json`'s rules (a dataclass becomes the dict of its fields, a
    list a list, a date or time its ISO form), with each class's field names looked up once:
    a page of agencies has a thousand values, and ``dataclasses.fields`` on each one was half
    the cost of /api/agencies.  ``tests/agencies/test_directory_speed.py`` checks that both
    give the same document."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _FIELD_NAMES.get(kind)
    if names is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = _FIELD_NAMES[kind] = tuple(f.name for f in dataclasses.fields(value))
    if names is not None:
        out = {}
        for name in names:
            v = getattr(value, name)
            out[name] = v if type(v) in _PLAIN else _to_json(v)
        return out
    if isinstance(value, list):
        return [v if type(v) in _PLAIN else _to_json(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def page_json(page: Page[Any]) -> Response:
    """A :class:`Page` as the JSON ``{"items", "total", "page", "per_page"}``."""
    return jsonify({"items": [_to_json(i) for i in page.items], "total": page.total,
                    "page": page.query.page, "per_page": page.query.per_page})


@bp.route("/agencies")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY)
@endpoint(query=s.AgencyQuery, response=s.AgencyOut, paged=True, tag="agencies")
def agencies(query: s.AgencyQuery) -> Response:
    """Admitted agencies (中介机构) with their current listings.

    Filters combine with AND. With `service`, the fee and days filters and the fee and days
    sorts apply to that service's listing; without it, to any of the agency's listings. The
    fee compared is the lowest the schedule can charge (fixed price, or the minimum)."""
    f = DirectoryFilter(q=query.q or "", service=query.service or "", region=query.region or "",
                        division=query.division or "", level=query.level or "", fee_min_fen=query.fee_min_fen,
                        fee_max_fen=query.fee_max_fen, days_max=query.days_max, sort=query.sort,
                        page=query.page, per_page=query.per_page)
    try:
        page = directory.search(f)
    except FilterError as error:
        raise ApiError(400, "invalid_parameter",
                       f"{error.field}: " + _(error.message, **error.params)) from error
    codes = {t.id: t.code for t in directory.service_types()}
    items = [s.AgencyOut(
        id=org.public_id, name=org.name, credit_code=org.credit_code, region=org.region,
        listings=[s.ListingOut(service=codes[li.service_type_id], fee=fee_out(li),
                               committed_days=li.committed_days, version=li.version,
                               effective_from=li.effective_from)
                  for li in page.listings.get(org.id, [])],
    ) for org, _profile in page.rows]
    return page_json(Page(items=items, total=page.total, query=query))


@bp.route("/agencies/<agency_id>")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY)
@endpoint(response=s.AgencyDetailOut, tag="agencies", errors=(404,))
def agency(agency_id: str) -> s.AgencyDetailOut:
    """One admitted agency by its public id (AG-000123).

    Listings with their version history, qualifications in force (numbers partly masked),
    practitioner count, performance (null: no record yet) and the sanctions in force that are
    published (a credit repair or the longest publication period of its class ends that)."""
    org = directory.find_admitted(agency_id)
    if org is None:
        raise ApiError(404, "not_found", _("没有已准入的中介机构 %(id)s。", id=agency_id))
    detail = directory.profile_detail(org, today_local())
    listings = [s.ListingDetailOut(
        service=li.service_type.code, service_name=li.service_type.name, fee=fee_out(li),
        committed_days=li.committed_days, version=li.version, effective_from=li.effective_from,
        history=[s.ListingVersionOut(v.version, fee_out(v), v.committed_days, v.effective_from)
                 for v in li.versions],
    ) for li in detail.listings]
    quals = [s.QualificationOut(
        type=q.qualification_type, level=q.level, number_masked=mask_number(q.number),
        issuer=q.issuer, valid_from=q.valid_from, valid_until=q.valid_until,
        expired=expired_on(q.valid_until, detail.today)) for q in detail.qualifications]
    p = detail.profile
    return s.AgencyDetailOut(
        id=org.public_id, name=org.name, credit_code=org.credit_code, region=org.region,
        admitted_at=p.admitted_at if p else None, listings=listings, qualifications=quals,
        practitioner_count=detail.practitioner_count,
        performance=s.PerformanceOut(
            orders=p.orders if p else 0, on_time_rate_bp=p.on_time_rate_bp if p else None,
            average_days_ratio_bp=p.average_days_ratio_bp if p else None,
            rating_centi=p.rating_centi if p else None),
        sanctions=[s.SanctionOut(kind=x.kind, reason=x.reason, ends_on=x.ends_on,
                                 severity=x.publication.severity.value,
                                 published_until=x.publication.last_day)
                   for x in published_sanctions(org.id, detail.today)
                   if x.active_on(detail.today)],
    )

