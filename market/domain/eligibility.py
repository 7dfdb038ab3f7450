"""Eligibility of an agency for a selection request (报名资格), as one pure function.

It returns *every* reason an agency may not take part, so the agency sees them all at once
("why I'm not eligible"), and the close of sign-up turns them into ``exclude`` events.  The
same function runs at sign-up (on the sign-up date) and at close (on the close date).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from market.domain.qualifications import counts_on

# Grades that rank against each other: 甲级 = 一级 is the highest.  不分级 (ungraded) meets
# only a requirement that names no grade.
_LEVEL_RANK: Mapping[str, int] = {"甲级": 1, "一级": 1, "乙级": 2, "二级": 2, "丙级": 3, "三级": 3}
UNGRADED = "不分级"


class Reason(enum.StrEnum):
    """Why an agency is not eligible; the app translates each into a sentence."""

    NOT_ADMITTED = "not_admitted"  # 未入驻或入驻未通过
    SERVICE_NOT_LISTED = "service_not_listed"  # 未发布该服务事项的报价
    QUALIFICATION_MISSING = "qualification_missing"  # 没有所需资质
    QUALIFICATION_EXPIRED = "qualification_expired"  # 所需资质在截止日已过期
    QUALIFICATION_LEVEL = "qualification_level"  # 资质等级不够
    PRACTITIONERS_MISSING = "practitioners_missing"  # 执业人员不足
    AVOIDED = "avoided"  # 在回避名单中
    SANCTIONED = "sanctioned"  # 处于处罚期
    OWNER_ITSELF = "owner_itself"  # 即业主本身
    RELATED = "related"  # 与业主存在关联关系
    RELATED_PARTICIPANT = "related_participant"  # 与已参与本项目的机构存在关联关系
    REPEAT_WINS = "repeat_wins"  # 在同一业主的中选次数已达上限


@dataclass(frozen=True)
class Certificate:
    """A qualification (资质) that has passed review."""

    type: str
    level: str
    valid_from: date
    valid_until: date


@dataclass(frozen=True)
class PractitionerCert:
    """A practitioner's certificate (执业证书) that has passed review."""

    type: str
    valid_until: date


@dataclass(frozen=True)
class Sanction:
    """A regulator's sanction that blocks sign-up while it runs (警告 does not block)."""

    kind: str  # warning / suspension / blacklist
    starts_on: date
    ends_on: date | None  # None: indefinite


@dataclass(frozen=True)
class AgencyFacts:
    organisation_id: int
    agency_id: str
    credit_code: str | None
    admitted: bool
    listed_services: frozenset[str]
    qualifications: tuple[Certificate, ...] = ()
    practitioners: tuple[PractitionerCert, ...] = ()
    sanctions: tuple[Sanction, ...] = ()
    related_org_ids: frozenset[int] = frozenset()
    # owner organisation id -> selections of this agency by that owner in the rotation period
    wins_by_owner: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RequestFacts:
    service_code: str
    owner_org_id: int
    owner_credit_code: str | None
    qualification_type: str | None = None
    qualification_level: str | None = None  # minimum grade, None: any
    practitioners: Mapping[str, int] = field(default_factory=dict)  # type -> count needed
    avoid: frozenset[str] = frozenset()  # agency ids
    # organisations of the agencies already taking part (signed up or quoted)
    participants: frozenset[int] = frozenset()
    # selections by one owner within the rotation period that make an agency ineligible for
    # that owner's next request (轮换); 0: no limit
    repeat_win_limit: int = 0


def meets_level(held: str, required: str | None) -> bool:
    if required is None or required == "":
        return True
    if required == UNGRADED:
        return True
    if held not in _LEVEL_RANK or required not in _LEVEL_RANK:
        return held == required
    return _LEVEL_RANK[held] <= _LEVEL_RANK[required]


def _blocking(s: Sanction, on: date) -> bool:
    return s.kind != "warning" and s.starts_on <= on and (s.ends_on is None or on <= s.ends_on)


def ineligibility(agency: AgencyFacts, request: RequestFacts, on: date) -> list[Reason]:
    """Every reason ``agency`` may not take part in ``request`` on ``on`` (empty: eligible)."""
    reasons: list[Reason] = []
    if not agency.admitted:
        reasons.append(Reason.NOT_ADMITTED)
    if request.service_code not in agency.listed_services:
        reasons.append(Reason.SERVICE_NOT_LISTED)
    if request.qualification_type:
        of_type = [q for q in agency.qualifications if q.type == request.qualification_type]
        valid = [q for q in of_type if counts_on(q.valid_from, q.valid_until, on)]
        if not of_type:
            reasons.append(Reason.QUALIFICATION_MISSING)
        elif not valid:
            reasons.append(Reason.QUALIFICATION_EXPIRED)
        elif not any(meets_level(q.level, request.qualification_level) for q in valid):
            reasons.append(Reason.QUALIFICATION_LEVEL)
    for cert_type, needed in request.practitioners.items():
        have = sum(1 for p in agency.practitioners
                   if p.type == cert_type and counts_on(None, p.valid_until, on))
        if have < needed:
            reasons.append(Reason.PRACTITIONERS_MISSING)
            break
    if agency.agency_id in request.avoid:
        reasons.append(Reason.AVOIDED)
    if any(_blocking(s, on) for s in agency.sanctions):
        reasons.append(Reason.SANCTIONED)
    if agency.organisation_id == request.owner_org_id or (
        agency.credit_code is not None and agency.credit_code == request.owner_credit_code
    ):
        reasons.append(Reason.OWNER_ITSELF)
    if request.owner_org_id in agency.related_org_ids:
        reasons.append(Reason.RELATED)
    # Related agencies may not both take part in one request (关联机构不得同时参与): the one
    # that comes second is refused; when a relation becomes known after both took part, both
    # are set aside at the close.
    if agency.related_org_ids & (request.participants - {agency.organisation_id}):
        reasons.append(Reason.RELATED_PARTICIPANT)
    if request.repeat_win_limit > 0 and (
            agency.wins_by_owner.get(request.owner_org_id, 0) >= request.repeat_win_limit):
        reasons.append(Reason.REPEAT_WINS)
    return reasons
