"""The public agency directory (中介机构名录): filters, sorting and paging shared by the HTML
pages and the JSON API.

Filters are validated against what exists (an unknown service code, region or level is an
error, not an empty result), so a typo in a link says so instead of showing nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from sqlalchemy.sql import ColumnElement

from market import timeutil
from market.accounts.models import Organisation, OrgKind, OrgStatus
from market.agencies.models import AgencyProfile, Listing, Practitioner, Qualification, ReviewStatus
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.calendar import local_date
from market.domain.fees import MAX_COMMITTED_DAYS, MAX_FEE_FEN
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.i18n import N_

SORTS = ("default", "fee", "days", "rating", "on_time")
MAX_PER_PAGE = 100


@dataclass
class DirectoryFilter:
    q: str = ""
    service: str = ""  # a service type code
    region: str = ""
    level: str = ""
    fee_min_fen: int | None = None
    fee_max_fen: int | None = None
    days_max: int | None = None
    sort: str = "default"
    page: int = 1
    per_page: int = 20

    def active(self) -> bool:
        return bool(self.q or self.service or self.region or self.level
                    or self.fee_min_fen is not None or self.fee_max_fen is not None
                    or self.days_max is not None)


@dataclass
class DirectoryPage:
    rows: list[tuple[Organisation, AgencyProfile | None]]
    listings: dict[int, list[Listing]] = field(default_factory=dict)
    total: int = 0


class FilterError(ValueError):
    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field, self.message, self.params = field, message, params


def admitted() -> ColumnElement[bool]:
    return sa.and_(Organisation.kind == OrgKind.AGENCY.value,
                   Organisation.status == OrgStatus.ADMITTED.value)


def regions() -> list[str]:
    return [r for r in db.session.scalars(
        sa.select(Organisation.region).where(admitted()).distinct().order_by(Organisation.region))
        if r]


def service_types() -> list[ServiceType]:
    return list(db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)))


def validate(f: DirectoryFilter) -> ServiceType | None:
    """Check a filter; return the service type it names.  Raises :class:`FilterError`."""
    if f.sort not in SORTS:
        raise FilterError("sort", N_("未知的排序方式：%(value)s。"), value=f.sort)
    if f.page < 1:
        raise FilterError("page", N_("页码应为正整数。"))
    if not 1 <= f.per_page <= MAX_PER_PAGE:
        raise FilterError("per_page", N_("每页条数应在 1 到 %(max)s 之间。"), max=MAX_PER_PAGE)
    if len(f.q) > 100:
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
    if f.region and f.region not in regions():
        raise FilterError("region", N_("未知的地区：%(value)s。"), value=f.region)
    service = None
    if f.service:
        service = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == f.service))
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


def search(f: DirectoryFilter, today: date | None = None) -> DirectoryPage:
    """One page of admitted agencies matching ``f`` (validated first), with their listings.

    With a service filter, fee and days filters and sorts apply to that service's listing;
    without one, to any listing (sorts then use the agency's lowest fee and fewest days).
    Rating and on-time sorts put agencies with no record yet last."""
    service = validate(f)
    today = today or local_date(timeutil.now())
    stmt = (sa.select(Organisation, AgencyProfile)
            .outerjoin(AgencyProfile, AgencyProfile.organisation_id == Organisation.id)
            .where(admitted()))
    listing_conds = _listing_conditions(f, service)
    joined = service is not None
    if joined:
        stmt = stmt.join(Listing, Listing.organisation_id == Organisation.id).where(*listing_conds)
    elif listing_conds:
        stmt = stmt.where(sa.exists().where(Listing.organisation_id == Organisation.id,
                                            *listing_conds))
    if f.q:
        needle = f.q.strip()
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(sa.or_(
            Organisation.name.like(f"%{escaped}%", escape="\\"),
            Organisation.credit_code.like(f"{escaped.upper()}%", escape="\\")))
    if f.region:
        stmt = stmt.where(Organisation.region == f.region)
    if f.level:
        stmt = stmt.where(sa.exists().where(
            Qualification.organisation_id == Organisation.id,
            Qualification.level == f.level,
            Qualification.status == ReviewStatus.APPROVED.value,
            Qualification.valid_from <= today,
            Qualification.valid_until >= today))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        stmt.with_only_columns(Organisation.id).subquery())) or 0
    fee_col = Listing.fee_low_fen if joined else AgencyProfile.min_fee_fen
    days_col = Listing.committed_days if joined else AgencyProfile.min_days
    order = {
        "default": [],
        "fee": [fee_col.asc().nulls_last()],
        "days": [days_col.asc().nulls_last()],
        "rating": [AgencyProfile.rating_centi.desc().nulls_last()],
        "on_time": [AgencyProfile.on_time_rate_bp.desc().nulls_last()],
    }[f.sort]
    stmt = stmt.order_by(*order, Organisation.id).limit(f.per_page).offset(
        (f.page - 1) * f.per_page)
    rows: list[tuple[Organisation, AgencyProfile | None]] = [
        (org, profile) for org, profile in db.session.execute(stmt).all()]
    page = DirectoryPage(rows=rows, total=total)
    page.listings = listings_for([org.id for org, _ in rows])
    return page


def listings_for(org_ids: list[int]) -> dict[int, list[Listing]]:
    found: dict[int, list[Listing]] = defaultdict(list)
    if not org_ids:
        return found
    for listing in db.session.scalars(
            sa.select(Listing).join(ServiceType).where(Listing.organisation_id.in_(org_ids))
            .order_by(ServiceType.code)):
        found[listing.organisation_id].append(listing)
    return found


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
    base = (sa.select(Organisation, Listing)
            .join(Listing, Listing.organisation_id == Organisation.id)
            .where(admitted(), Listing.service_type_id == service.id))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        base.with_only_columns(Listing.id).subquery())) or 0
    top = db.session.scalar(sa.select(sa.func.max(Listing.fee_low_fen)).join(
        Organisation, Organisation.id == Listing.organisation_id).where(
        admitted(), Listing.service_type_id == service.id)) or 0
    rows = db.session.execute(base.order_by(Listing.fee_low_fen, Listing.committed_days,
                                            Organisation.id)
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
    from sqlalchemy.orm import selectinload

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
