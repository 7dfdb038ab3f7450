"""Response and query shapes of the catalogue and agency endpoints (see :mod:`market.api`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from market.agencies.directory import MAX_QUERY_LENGTH, SORTS
from market.domain.fees import MAX_FEE_FEN
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.web.openapi import PageQuery, param


def _d(text: str) -> dict[str, str]:
    return {"description": text}


NEEDS = ("precondition", "in_process")
_NEED = ("precondition: an acceptance condition (受理条件), produced before the application "
         "is accepted and the clock starts; in_process: needed during review")


@dataclass
class DepartmentOut:
    """An approving department (审批部门)."""

    code: str = field(metadata=_d("the department's code, as machine clients and approval "
                                  "systems name it"))
    name: str


@dataclass
class ApprovalMatterRef:
    """An approval matter (审批事项) that needs the service type."""

    code: str
    name: str
    department: DepartmentOut
    statutory_days: int = field(metadata=_d("statutory limit (法定时限), working days"))
    committed_days: int = field(metadata=_d("committed limit (承诺时限), working days"))
    need: str = field(metadata={"description": "when this matter needs the service type's "
                                               "report; " + _NEED, "enum": NEEDS})


@dataclass
class MatterServiceOut:
    """A service type an approval matter needs, and when."""

    service: str = field(metadata=_d("service type code (see /api/service-types)"))
    name: str
    need: str = field(metadata={"description": _NEED, "enum": NEEDS})


@dataclass
class ApprovalMatterOut:
    """An approval matter (审批事项): its code (the `matter_code` of case events), its
    department, its limits and the service types whose reports it needs."""

    code: str
    name: str
    department: DepartmentOut
    statutory_days: int = field(metadata=_d("statutory limit (法定时限), working days"))
    committed_days: int = field(metadata=_d("committed limit (承诺时限), working days"))
    services: list[MatterServiceOut]


@dataclass
class ApprovalMatterQuery(PageQuery):
    department: str | None = param(None, "only the matters of this department (its code, "
                                   "case-insensitive); a code no department has is a 400",
                                   max_length=32)


@dataclass
class ServiceTypeOut:
    """A service type (中介服务事项)."""

    code: str = field(metadata=_d("stable code, e.g. EIA; the `service` filter of /api/agencies"))
    name: str
    name_en: str
    regulator: str | None = field(metadata=_d("the industry regulator's name"))
    qualification_types: list[str] = field(metadata=_d("qualifications that allow offering it"))
    practitioner_types: list[str] = field(metadata=_d("practitioner certificates that allow it"))
    approval_matters: list[ApprovalMatterRef]


@dataclass
class ServiceTypeQuery(PageQuery):
    """Paging only."""


@dataclass
class FeeScheduleOut:
    """A fee schedule (收费标准); amounts in integer fen, rates in basis points (0.01 %)."""

    kind: str = field(metadata={"description": "fixed | rate | range",
                                "enum": ("fixed", "rate", "range")})
    amount_fen: int | None = field(metadata=_d("fixed price"))
    rate_bp: int | None = field(metadata=_d("rate of the project investment, basis points"))
    minimum_fen: int | None = field(metadata=_d("minimum fee (rate) or lower bound (range)"))
    maximum_fen: int | None = field(metadata=_d("upper bound (range)"))


@dataclass
class ListingOut:
    """An agency's current offer of one service type."""

    service: str = field(metadata=_d("service type code"))
    fee: FeeScheduleOut
    committed_days: int = field(metadata=_d("committed service days (承诺服务时限), working days"))
    version: int
    effective_from: datetime


@dataclass
class AgencyOut:
    """An admitted agency in the directory."""

    id: str = field(metadata=_d("public id, the same string the lottery uses (AG-000123)"))
    name: str
    credit_code: str | None = field(metadata=_d("unified social credit code"))
    region: str | None
    listings: list[ListingOut]


@dataclass
class AgencyQuery(PageQuery):
    q: str | None = param(None, "search in the name or the start of the credit code",
                          max_length=MAX_QUERY_LENGTH)
    service: str | None = param(None, "a service type code (see /api/service-types)")
    region: str | None = param(None, "region, exactly as listed")
    division: str | None = param(None, "admitted in this division (GB/T 2260 code of a city or "
                                 "county, 行政区划) or in one under it: a city's with its "
                                 "counties'", pattern="^[1-8][0-9]{5}$")
    level: str | None = param(None, "holds a qualification of this level valid today",
                              enum=QUALIFICATION_LEVELS)
    fee_min_fen: int | None = param(None, "lowest fee at least this (fen)", minimum=0,
                                    maximum=MAX_FEE_FEN)
    fee_max_fen: int | None = param(None, "lowest fee at most this (fen)", minimum=0,
                                    maximum=MAX_FEE_FEN)
    days_max: int | None = param(None, "committed days at most this", minimum=1, maximum=365)
    sort: str = param("default", "order; rating and on_time put no record yet last",
                      enum=SORTS)


@dataclass
class ListingVersionOut:
    version: int
    fee: FeeScheduleOut
    committed_days: int
    effective_from: datetime


@dataclass
class ListingDetailOut:
    """A listing with its version history, newest first."""

    service: str
    service_name: str
    fee: FeeScheduleOut
    committed_days: int
    version: int
    effective_from: datetime
    history: list[ListingVersionOut]


@dataclass
class QualificationOut:
    """A qualification in force; the number is partly masked."""

    type: str
    level: str
    number_masked: str
    issuer: str
    valid_from: date
    valid_until: date
    expired: bool = field(metadata=_d("past its valid-until date: no longer counts"))


@dataclass
class PerformanceOut:
    """The agency's record; null means no record yet (暂无记录)."""

    orders: int
    on_time_rate_bp: int | None = field(metadata=_d("share delivered on time, basis points"))
    average_days_ratio_bp: int | None = field(metadata=_d("actual/committed days, basis points"))
    rating_centi: int | None = field(metadata=_d("average rating x100 (100–500)"))


@dataclass
class SanctionOut:
    kind: str = field(metadata=_d("warning, suspension or blacklist"))
    reason: str
    ends_on: date | None
    severity: str = field(metadata=_d(
        "class of the dishonesty information: minor (轻微), general (一般), serious (严重)"))
    published_until: date = field(metadata=_d(
        "last day it is published (the longest publication period of its class)"))


@dataclass
class AgencyDetailOut:
    """One admitted agency: listings with history, qualifications, performance, sanctions."""

    id: str
    name: str
    credit_code: str | None
    region: str | None
    admitted_at: datetime | None
    listings: list[ListingDetailOut]
    qualifications: list[QualificationOut]
    practitioner_count: int = field(metadata=_d("practitioners with a certificate valid today"))
    performance: PerformanceOut
    sanctions: list[SanctionOut] = field(metadata=_d("sanctions in force and published"))
