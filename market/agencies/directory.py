"""The public agency directory (中介机构名录): filters, sorting and paging shared by the HTML
pages and the JSON API.

Filters are validated against what exists (an unknown service code, region, level or
division is an error, not an empty result), so a typo in a link says so instead of showing
nothing.  The division filter (``division``, a GB/T 2260 code) keeps the agencies admitted in
that division or under it (a city's with its counties'): agencies are on one provincial
register, each admitted in one tenant (``Organisation.tenant_id``, copied on its listings).
"""

from __future__ import annotations

import functools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask import g
from sqlalchemy.orm import selectinload
from sqlalchemy.sql import ColumnElement

from market import timeutil
from market.accounts.models import Division, DivisionLevel, Organisation, OrgKind, OrgStatus
from market.accounts.tenants import level_of_code
from market.agencies.models import AgencyProfile, Listing, Practitioner, Qualification, ReviewStatus
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.calendar import local_date
from market.domain.fees import MAX_COMMITTED_DAYS, MAX_FEE_FEN
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.i18n import N_
from market.refusal import Refused

SORTS = ("default", "fee", "days", "rating", "on_time")
MAX_PER_PAGE = 100
MAX_QUERY_LENGTH = 100  # the search box's maxlength, and the API's documented maxLength of q


@dataclass
class DirectoryFilter:
    q: str = ""
    service: str = ""  # a service type code
    region: str = ""
    division: str = ""  # a GB/T 2260 code: admitted there or in a division under it
    level: str = ""
    fee_min_fen: int | None = None
    fee_max_fen: int | None = None
    days_max: int | None = None
    sort: str = "default"
    page: int = 1
    per_page: int = 20

    def active(self) -> bool:
        return bool(self.q or self.service or self.region or self.division or self.level
                    or self.fee_min_fen is not None or self.fee_max_fen is not None
                    or self.days_max is not None)


@dataclass
class DirectoryPage:
    # (agency, profile or None): rows with the attributes of CARD_COLUMNS
    rows: list[tuple[Any, Any | None]]
    listings: dict[int, list[Any]] = field(default_factory=dict)  # rows, see listings_for
    total: int = 0


class FilterError(Refused):
    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field, self.message, self.params = field, message, params


def admitted() -> ColumnElement[bool]:
    return sa.and_(Organisation.kind == OrgKind.AGENCY.value,
                   Organisation.status == OrgStatus.ADMITTED.value)


def regions() -> list[str]:
    """The regions of admitted agencies (the directory's region choices); read once per
    request."""
    if "directory_regions" not in g:
        g.directory_regions = [r for r in db.session.connection().scalars(_REGIONS) if r]
    return g.directory_regions  # type: ignore[no-any-return]


def _distinct_regions() -> sa.Select[Any]:
    """``SELECT DISTINCT region`` of admitted agencies as a loose index scan: one probe of
    ``ix_organisation_kind_status_region`` per region instead of reading every agency's entry
    (SQLite skips ahead by itself; PostgreSQL reads all 100,000 without this)."""
    later = sa.select(Organisation.region).where(admitted())
    first = sa.select(sa.func.min(Organisation.region).label("region")).where(admitted())
    found = first.cte("found_region", recursive=True)
    step = sa.select(later.with_only_columns(sa.func.min(Organisation.region))
                     .where(Organisation.region > found.c.region).scalar_subquery()
                     ).where(found.c.region.is_not(None))
    found = found.union_all(step)
    return sa.select(found.c.region).where(found.c.region.is_not(None)).order_by(found.c.region)


_REGIONS = _distinct_regions()


def known_region(region: str) -> bool:
    """Whether some admitted agency is in ``region`` (one index probe, not the whole list)."""
    return db.session.connection().scalar(sa.select(sa.literal(1)).where(
        admitted(), Organisation.region == region).limit(1)) is not None


_DIVISION_CODE = re.compile(r"[1-8]\d{5}")


def division_ids(code: str) -> list[int] | None:
    """The ids of the division with that GB/T 2260 code and of every division under it (codes
    nest by prefix: a province's cities and counties share its first two digits, a city's
    counties its first four); None for a code not in the tree.  Read once per request and
    bound as a list: neither planner knows from a subquery how few tenants it names."""
    found: dict[str, list[int] | None] = g.setdefault("directory_divisions", {})
    if code not in found:
        ids = None
        if _DIVISION_CODE.fullmatch(code):
            level = level_of_code(code)
            under = (Division.code == code if level == DivisionLevel.COUNTY else
                     Division.code.startswith(code[:2] if level == DivisionLevel.PROVINCE
                                              else code[:4]))
            rows = db.session.connection().execute(
                sa.select(Division.id, Division.code).where(under)).all()
            if any(row.code == code for row in rows):
                ids = [row.id for row in rows]
        found[code] = ids
    return found[code]


def service_types() -> list[ServiceType]:
    """All service types by code; read once per request (the filter, the form and the cards
    all need them)."""
    if "directory_service_types" not in g:
        g.directory_service_types = list(db.session.scalars(
            sa.select(ServiceType).order_by(ServiceType.code)))
    return g.directory_service_types  # type: ignore[no-any-return]


def validate(f: DirectoryFilter) -> ServiceType | None:
    """Check a filter; return the service type it names.  Raises :class:`FilterError`."""
    if f.sort not in SORTS:
        raise FilterError("sort", N_("未知的排序方式：%(value)s。"), value=f.sort)
    if f.page < 1:
        raise FilterError("page", N_("页码应为正整数。"))
    if not 1 <= f.per_page <= MAX_PER_PAGE:
        raise FilterError("per_page", N_("每页条数应在 1 到 %(max)s 之间。"), max=MAX_PER_PAGE)
    if len(f.q) > MAX_QUERY_LENGTH:
        raise FilterError("q", N_("搜索词太长。"))
    for name in ("fee_min_fen", "fee_max_fen"):
        value = getattr(f, name)
        if value is not None and not 0 <= value <= MAX_FEE_FEN:
            raise FilterError(name, N_("收费范围应在 0 到 1 亿元之间。"))
    if f.fee_min_fen is not None and f.fee_max_fen is not None and f.fee_min_fen > f.fee_max_fen:
        raise FilterError("fee_max_fen", N_("最高收费不能低于最低收费。"))
    if f.days_max is not None and not 1 <= f.days_max <= MAX_COMMITTED_DAYS:
        raise FilterError("days_max", N_("承诺时限应在 1 到 365 个工作日之间。"))
    if f.level and f.level not in QUALIFICATION_LEVELS:
        raise FilterError("level", N_("未知的资质等级：%(value)s。"), value=f.level)
    if f.region and not (f.region in g.directory_regions if "directory_regions" in g
                         else known_region(f.region)):
        raise FilterError("region", N_("未知的地区：%(value)s。"), value=f.region)
    if f.division and division_ids(f.division) is None:
        raise FilterError("division", N_("未知的行政区划代码：%(value)s。"), value=f.division)
    service = None
    if f.service:
        service = next((t for t in service_types() if t.code == f.service), None)
        if service is None:
            raise FilterError("service", N_("未知的服务事项代码：%(value)s。"), value=f.service)
    return service


def _listing_conditions(f: DirectoryFilter, service: ServiceType | None) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if service is not None:
        conds.append(Listing.service_type_id == service.id)
    if f.fee_min_fen is not None:
        conds.append(Listing.fee_low_fen >= f.fee_min_fen)
    if f.fee_max_fen is not None:
        conds.append(Listing.fee_low_fen <= f.fee_max_fen)
    if f.days_max is not None:
        conds.append(Listing.committed_days <= f.days_max)
    return conds


def _escape_like(q: str) -> str:
    return q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _name_or_code(q: str) -> ColumnElement[bool]:
    escaped = _escape_like(q)
    return sa.or_(Organisation.name.like(f"%{escaped}%", escape="\\"),
                  Organisation.credit_code.like(f"{escaped.upper()}%", escape="\\"))


def _holds_level(org_id: Any, level: str, today: date) -> ColumnElement[bool]:
    return sa.exists().where(
        Qualification.organisation_id == org_id,
        Qualification.level == level,
        Qualification.status == ReviewStatus.APPROVED.value,
        Qualification.valid_from <= today,
        Qualification.valid_until >= today)


def search(f: DirectoryFilter, today: date | None = None) -> DirectoryPage:
    """One page of admitted agencies matching ``f`` (validated first), with their listings.

    With a service filter, fee and days filters and sorts apply to that service's listing;
    without one, to any listing (sorts then use the agency's lowest fee and fewest days).
    Rating and on-time sorts put agencies with no record yet last."""
    service = validate(f)
    today = today or local_date(timeutil.now())
    if service is not None:
        ids, total = _search_listings(f, service, today)
    else:
        ids, total = _search_organisations(f, today)
    conn = db.session.connection()
    found = {row.id: (row, row if row.profile_id is not None else None)
             for row in conn.execute(_CARDS, {"ids": ids})} if ids else {}
    page = DirectoryPage(rows=[found[i] for i in ids if i in found], total=total)
    page.listings = listings_for(ids)
    return page


# What a directory card and /api/agencies show of an agency and its profile (read-only rows:
# a page shows many of them and needs none of the mapped objects' bookkeeping).
CARD_COLUMNS = (Organisation.id, Organisation.public_id, Organisation.name,
                Organisation.credit_code, Organisation.region,
                AgencyProfile.organisation_id.label("profile_id"), AgencyProfile.rating_centi,
                AgencyProfile.on_time_rate_bp, AgencyProfile.orders)
_CARDS = (sa.select(*CARD_COLUMNS)
          .outerjoin(AgencyProfile, AgencyProfile.organisation_id == Organisation.id)
          .where(Organisation.id.in_(sa.bindparam("ids", expanding=True))))


@functools.lru_cache(maxsize=256)
def _listing_statements(sort: str, region: bool, fee_min: bool, fee_max: bool, days: bool,
                        q: bool, level: bool, division: bool) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """(count, page of organisation ids) for one combination of filters, built once per
    process: the values are bound parameters, so a request only binds them."""
    P = sa.bindparam  # noqa: N806
    conds: list[ColumnElement[bool]] = [Listing.admitted == sa.true(),
                                        Listing.service_type_id == P("service_id")]
    if fee_min:
        conds.append(Listing.fee_low_fen >= P("fee_min"))
    if fee_max:
        conds.append(Listing.fee_low_fen <= P("fee_max"))
    if days:
        conds.append(Listing.committed_days <= P("days"))
    if region:
        conds.append(Listing.region == P("region"))
    if division:
        conds.append(Listing.tenant_id.in_(P("tenants", expanding=True)))
    if q:
        conds.append(Listing.organisation_id.in_(sa.select(Organisation.id).where(sa.or_(
            Organisation.name.like(P("name_like"), escape="\\"),
            Organisation.credit_code.like(P("code_like"), escape="\\")))))
    if level:
        conds.append(sa.exists().where(
            Qualification.organisation_id == Listing.organisation_id,
            Qualification.level == P("level"),
            Qualification.status == ReviewStatus.APPROVED.value,
            Qualification.valid_from <= P("today"),
            Qualification.valid_until >= P("today")))
    count = sa.select(sa.func.count()).select_from(Listing).where(*conds)
    stmt = sa.select(Listing.organisation_id).where(*conds)
    key = _division_key if division else _column_key
    if sort in ("rating", "on_time"):
        col = AgencyProfile.rating_centi if sort == "rating" else AgencyProfile.on_time_rate_bp
        stmt = stmt.outerjoin(AgencyProfile,
                              AgencyProfile.organisation_id == Listing.organisation_id
                              ).order_by(col.desc().nulls_last())
    else:
        stmt = stmt.order_by(*{"default": (), "fee": (key(Listing.fee_low_fen),),
                               "days": (key(Listing.committed_days),)}[sort])
    stmt = stmt.order_by(key(Listing.organisation_id)).limit(P("limit")).offset(P("offset"))
    return count, stmt


def _column_key(column: Any) -> Any:
    return column


def _division_key(column: Any) -> Any:
    """A sort key of a division's page as an expression no index serves.  Either planner
    would otherwise walk the service's whole fee / days / id index in order and skip the other
    tenants' listings until the page is full: cheap for a city with many agencies, the whole
    service's range for one with few (or for a late page).  So the division's listings come
    from ``ix_listing_dir_tenant_fee`` (one range per tenant) and are sorted: the cost of the
    division's own listings, whatever the rest of the province lists."""
    return sa.func.coalesce(column, column)


def _search_listings(f: DirectoryFilter, service: ServiceType, today: date
                     ) -> tuple[list[int], int]:
    """With a service filter: one listing per agency, so the directory is a query on
    ``listing`` alone.  Its copies of the organisation's state (``admitted``, ``region``,
    ``tenant_id``) keep the usual filters, the exact count and the fee / days / default orders
    inside one of the ``ix_listing_dir_*`` indexes (a division's fee order reads each of its
    tenants' range of ``ix_listing_dir_tenant_fee``); the page's organisations are then
    fetched by id."""
    count, stmt = _listing_statements(
        f.sort, bool(f.region), f.fee_min_fen is not None, f.fee_max_fen is not None,
        f.days_max is not None, bool(f.q), bool(f.level), bool(f.division))
    params: dict[str, Any] = {
        "service_id": service.id, "fee_min": f.fee_min_fen, "fee_max": f.fee_max_fen,
        "days": f.days_max, "region": f.region, "level": f.level, "today": today,
        "limit": f.per_page, "offset": (f.page - 1) * f.per_page}
    if f.division:
        params["tenants"] = division_ids(f.division)
    if f.q:
        escaped = _escape_like(f.q)
        params.update(name_like=f"%{escaped}%", code_like=f"{escaped.upper()}%")
    conn = db.session.connection()  # plain Core: these queries load no mapped objects
    total = conn.scalar(count, params) or 0
    return list(conn.scalars(stmt, params)), total


def _search_organisations(f: DirectoryFilter, today: date) -> tuple[list[int], int]:
    """Without a service filter: agencies, with fee and days conditions on any listing."""
    stmt = sa.select(Organisation.id).where(admitted())
    listing_conds = _listing_conditions(f, None)
    if listing_conds:
        stmt = stmt.where(sa.exists().where(Listing.organisation_id == Organisation.id,
                                            *listing_conds))
    if f.q:
        stmt = stmt.where(_name_or_code(f.q))
    if f.region:
        stmt = stmt.where(Organisation.region == f.region)
    if f.division:
        stmt = stmt.where(Organisation.tenant_id.in_(division_ids(f.division) or []))
    if f.level:
        stmt = stmt.where(_holds_level(Organisation.id, f.level, today))
    conn = db.session.connection()
    total = conn.scalar(stmt.with_only_columns(sa.func.count())) or 0
    order = {
        "default": [],
        "fee": [AgencyProfile.min_fee_fen.asc().nulls_last()],
        "days": [AgencyProfile.min_days.asc().nulls_last()],
        "rating": [AgencyProfile.rating_centi.desc().nulls_last()],
        "on_time": [AgencyProfile.on_time_rate_bp.desc().nulls_last()],
    }[f.sort]
    if order:
        stmt = stmt.outerjoin(AgencyProfile, AgencyProfile.organisation_id == Organisation.id)
    stmt = stmt.order_by(*order, Organisation.id).limit(f.per_page).offset(
        (f.page - 1) * f.per_page)
    return list(conn.scalars(stmt)), total


# What a directory card and /api/agencies show of a listing.
LISTING_COLUMNS = (Listing.id, Listing.organisation_id, Listing.service_type_id, Listing.version,
                   Listing.fee_kind, Listing.amount_fen, Listing.rate_bp, Listing.minimum_fen,
                   Listing.maximum_fen, Listing.fee_low_fen, Listing.committed_days,
                   Listing.effective_from)


def listings_for(org_ids: list[int]) -> dict[int, list[Any]]:
    """The current listings of these agencies, by service code: read-only rows with the
    attributes of :data:`LISTING_COLUMNS` (a page shows a hundred of them; rows cost a fraction
    of mapped objects)."""
    found: dict[int, list[Any]] = defaultdict(list)
    if not org_ids:
        return found
    for listing in db.session.connection().execute(_LISTINGS, {"ids": org_ids}).all():
        found[listing.organisation_id].append(listing)
    return found


_LISTINGS = (sa.select(*LISTING_COLUMNS).join(ServiceType)
             .where(Listing.organisation_id.in_(sa.bindparam("ids", expanding=True)))
             .order_by(ServiceType.code))


def find_admitted(public_id: str) -> Organisation | None:
    return db.session.scalar(sa.select(Organisation).where(
        Organisation.public_id == public_id, admitted()))


def practitioner_count(org_id: int, today: date) -> int:
    return db.session.scalar(sa.select(sa.func.count(Practitioner.id)).where(
        Practitioner.organisation_id == org_id,
        Practitioner.status == ReviewStatus.APPROVED.value,
        Practitioner.valid_until >= today)) or 0


def service_comparison(service: ServiceType, page: int, per_page: int
                       ) -> tuple[list[tuple[Organisation, Listing]], int, int]:
    """Every admitted agency's listing for ``service``, cheapest first: (rows, total, max fee)."""
    # Driven from ix_listing_dir_fee (listing.admitted: the organisation is an admitted agency),
    # so the page is read in fee order and the count and maximum come from the index alone.
    mine = (Listing.service_type_id == service.id, Listing.admitted == sa.true())
    total = db.session.scalar(sa.select(sa.func.count()).where(*mine)) or 0
    top = db.session.scalar(sa.select(sa.func.max(Listing.fee_low_fen)).where(*mine)) or 0
    rows = db.session.execute(
        sa.select(Organisation, Listing)
        .select_from(Listing).join(Organisation, Listing.organisation_id == Organisation.id)
        .where(*mine)
        .order_by(Listing.fee_low_fen, Listing.committed_days, Listing.organisation_id)
        .limit(per_page).offset((page - 1) * per_page)).all()
    return [(o, li) for o, li in rows], total, top


@dataclass
class ProfileDetail:
    today: date
    profile: AgencyProfile | None
    listings: list[Listing]
    qualifications: list[Qualification]
    practitioner_count: int


def profile_detail(org: Organisation, today: date) -> ProfileDetail:
    """What the public profile shows: listings with history, qualifications in force (expired
    ones included, flagged by the caller), practitioners with a certificate valid today."""

    listings = list(db.session.scalars(
        sa.select(Listing).join(ServiceType).where(Listing.organisation_id == org.id)
        .options(selectinload(Listing.versions), selectinload(Listing.service_type))
        .order_by(ServiceType.code)))
    quals = list(db.session.scalars(sa.select(Qualification).where(
        Qualification.organisation_id == org.id,
        Qualification.status == ReviewStatus.APPROVED.value)
        .order_by(Qualification.qualification_type, Qualification.id)))
    return ProfileDetail(today=today, profile=db.session.get(AgencyProfile, org.id),
                         listings=listings, qualifications=quals,
                         practitioner_count=practitioner_count(org.id, today))
