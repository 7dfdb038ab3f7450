"""The figures of a month (月度统计), read from the database as it is.

Which rows a figure counts is fixed by a date in the month (local calendar, Asia/Shanghai), each
stated where it is computed and on the page (``DEFINITIONS``):

* requests: published (``published_at``) in the month;
* amounts and publication → award: engagements created in the month (an engagement is made from
  a confirmed award), for the saving rate only those whose request has a cap (最高限价);
* publication → acceptance and the engagements' on-time rate: engagements accepted in the month;
* cases: approval cases decided (办结) in the month; on time when their clock did not end after
  its due date; the intermediary share over the same cases' projects, as their timeline
  splits each project's whole span;
* ratings, complaints filed, complaints decided, sanctions and owners' breaches (业主失信记录,
  by the date recorded): by their own date in the month.

Once a month has ended none of these dates can fall in it any more, so the figures of an ended
month stay as they were written.  ``Scope`` says whose figures: the deployment today; a tenant
filter goes in its one method.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from fractions import Fraction
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from market.approvals import timeline
from market.approvals.models import ApprovalCase, CaseState
from market.calendar.service import current_calendar
from market.catalogue.models import ServiceType
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.credit.models import Sanction
from market.credit.sanctions import KIND_LABELS as SANCTION_LABELS
from market.db import db
from market.domain.calendar import WorkingCalendar, local_date, local_day_start
from market.domain.fees import format_yuan
from market.domain.reports import Month, Spread, format_bp, rate_bp, saving_rate_bp, spread
from market.engagements.models import Engagement
from market.evaluation.models import DIMENSIONS, Rating
from market.evaluation.operations import DIMENSION_LABELS
from market.i18n import N_
from market.regulator.breaches import KIND_LABELS as BREACH_LABELS
from market.regulator.models import Complaint, ComplaintState, OwnerBreach
from market.selection.models import Award, Method, SelectionRequest
from market.supervision.models import EscalationStep
from market.templating import service_name

METHOD_LABELS = {Method.LOTTERY.value: N_("随机抽取"), Method.SEALED_BID.value: N_("密封报价"),
                 Method.CREDIT_MERIT.value: N_("信用择优"), Method.DIRECT.value: N_("直接选取"),
                 Method.PROPOSALS.value: N_("方案择优")}


@dataclass(frozen=True)
class Scope:
    """Whose figures (统计范围).  Today the whole deployment; when province tenancy comes, a
    tenant's organisations, applied to every query through :meth:`orgs`."""

    tenant: str | None = None

    def orgs(self, column: Any) -> Any:
        """The condition on an organisation column that keeps the scope's rows."""
        if self.tenant is not None:
            raise NotImplementedError("tenancy is not built yet")
        return sa.true()


DEPLOYMENT = Scope()


@dataclass
class Report:
    month: Month
    requests: Counter[tuple[str, int]] = field(default_factory=Counter)  # (method, service)
    service_names: dict[int, str] = field(default_factory=dict)
    engagements: int = 0
    fee_total_fen: int = 0
    capped: int = 0
    cap_total_fen: int = 0
    capped_award_fen: int = 0
    to_award: Spread = field(default_factory=lambda: spread([]))
    to_acceptance: Spread = field(default_factory=lambda: spread([]))
    accepted: int = 0
    accepted_on_time: int = 0
    cases_decided: int = 0
    cases_on_time: int = 0
    intermediary_days: int = 0
    case_days: int = 0
    ratings: int = 0
    rating_sums: dict[str, int] = field(default_factory=dict)
    complaints_filed: int = 0
    complaints_upheld: int = 0
    complaints_rejected: int = 0
    complaints_decided_late: int = 0
    sanctions: Counter[str] = field(default_factory=Counter)
    owner_breaches: Counter[str] = field(default_factory=Counter)
    escalations: int | None = None

    @property
    def requests_total(self) -> int:
        return sum(self.requests.values())

    def by_method(self) -> list[tuple[str, int]]:
        counts: Counter[str] = Counter()
        for (method, _st), n in self.requests.items():
            counts[method] += n
        return [(m, counts[m]) for m in METHOD_LABELS]

    def by_service(self) -> list[tuple[int, int]]:
        counts: Counter[int] = Counter()
        for (_m, st), n in self.requests.items():
            counts[st] += n
        return sorted(counts.items(), key=lambda kv: (-kv[1], self.service_names.get(kv[0], "")))

    @property
    def saving_bp(self) -> int | None:
        return saving_rate_bp(self.cap_total_fen, self.capped_award_fen)

    @property
    def engagements_on_time_bp(self) -> int | None:
        return rate_bp(self.accepted_on_time, self.accepted)

    @property
    def cases_on_time_bp(self) -> int | None:
        return rate_bp(self.cases_on_time, self.cases_decided)

    @property
    def intermediary_share_bp(self) -> int | None:
        return rate_bp(self.intermediary_days, self.case_days)

    def rating_mean(self, dimension: str) -> Fraction | None:
        if not self.ratings:
            return None
        return Fraction(self.rating_sums.get(dimension, 0), self.ratings)

    @property
    def rating_overall(self) -> Fraction | None:
        if not self.ratings:
            return None
        return Fraction(sum(self.rating_sums.values()), self.ratings * len(DIMENSIONS))


def _window(month: Month) -> tuple[datetime, datetime]:
    return local_day_start(month.first_day), local_day_start(month.next().first_day)


def _in(column: Any, month: Month) -> Any:
    start, end = _window(month)
    return sa.and_(column >= start, column < end)


class _Calendars:
    """Each tenant's calendar (its local holidays counted), read once per tenant: a span
    counts the working days of the tenant it ran in."""

    def __init__(self) -> None:
        self._of: dict[int | None, WorkingCalendar] = {}

    def of(self, tenant: int | None) -> WorkingCalendar:
        if tenant not in self._of:
            self._of[tenant] = current_calendar(tenant)
        return self._of[tenant]


def _working_days(cal: WorkingCalendar, a: datetime, b: datetime) -> int:
    return cal.working_days_between(local_date(a), local_date(b))


def monthly(month: Month, scope: Scope = DEPLOYMENT) -> Report:
    """Every figure of ``month`` within ``scope`` (see the module docstring)."""
    report = Report(month)
    _requests(report, scope)
    _amounts_and_cycles(report, scope, _Calendars())
    _cases(report, scope)
    _ratings(report, scope)
    _complaints(report, scope)
    _sanctions(report, scope)
    _owner_breaches(report, scope)
    report.escalations = escalations_in(month, scope)
    names = db.session.execute(sa.select(ServiceType)).scalars()
    report.service_names = {st.id: service_name(st) for st in names}
    return report


def _requests(report: Report, scope: Scope) -> None:
    rows = db.session.execute(
        sa.select(SelectionRequest.method, SelectionRequest.service_type_id, sa.func.count())
        .where(_in(SelectionRequest.published_at, report.month),
               scope.orgs(SelectionRequest.owner_org_id))
        .group_by(SelectionRequest.method, SelectionRequest.service_type_id))
    for method, st, n in rows:
        report.requests[(method, st)] = n


def _amounts_and_cycles(report: Report, scope: Scope, cals: _Calendars) -> None:
    created = db.session.execute(
        sa.select(Engagement.fee_fen, SelectionRequest.price_kind, SelectionRequest.cap_fen,
                  SelectionRequest.published_at, Award.offered_at, SelectionRequest.tenant_id)
        .join(SelectionRequest, SelectionRequest.id == Engagement.request_id)
        .join(Award, Award.id == Engagement.award_id)
        .where(_in(Engagement.created_at, report.month), scope.orgs(Engagement.owner_org_id)))
    to_award = []
    for fee, price_kind, cap, published, offered, tenant in created:
        report.engagements += 1
        report.fee_total_fen += fee
        if price_kind == "cap" and cap is not None:
            report.capped += 1
            report.cap_total_fen += cap
            report.capped_award_fen += fee
        if published is not None:
            to_award.append(_working_days(cals.of(tenant), published, offered))
    report.to_award = spread(to_award)

    accepted = db.session.execute(
        sa.select(Engagement.on_time, Engagement.accepted_at, SelectionRequest.published_at,
                  SelectionRequest.tenant_id)
        .join(SelectionRequest, SelectionRequest.id == Engagement.request_id)
        .where(_in(Engagement.accepted_at, report.month), scope.orgs(Engagement.owner_org_id)))
    to_acceptance = []
    for on_time, accepted_at, published, tenant in accepted:
        report.accepted += 1
        report.accepted_on_time += bool(on_time)
        if published is not None and accepted_at is not None:
            to_acceptance.append(_working_days(cals.of(tenant), published, accepted_at))
    report.to_acceptance = spread(to_acceptance)


def _cases(report: Report, scope: Scope) -> None:
    _start, end = _window(report.month)
    cases = list(db.session.scalars(
        sa.select(ApprovalCase)
        .where(ApprovalCase.state == CaseState.DECIDED.value,
               _in(ApprovalCase.decided_at, report.month),
               scope.orgs(ApprovalCase.owner_org_id))
        .order_by(ApprovalCase.id)))
    for case in cases:
        clock = db.session.get(Clock, case.clock_id) if case.clock_id else None
        if clock is None:
            continue
        report.cases_decided += 1
        report.cases_on_time += not clocks.view(clock, end).late  # in its tenant's calendar
    report.intermediary_days, report.case_days = intermediary_time(cases, end)


def intermediary_time(cases: list[ApprovalCase], until: datetime) -> tuple[int, int]:
    """(intermediary working days, all working days) of the whole span (全流程) of the
    projects whose ``cases`` were decided, as the project timeline
    (:mod:`market.approvals.timeline`) splits each project once, up to ``until``.  The one
    place this report reads the timeline's buckets, so a change of them is followed here
    alone."""
    total = timeline.Split()
    for project_id in sorted({case.project_id for case in cases}):
        # each project's span in its owner's tenant's calendar (project_split reads it)
        total.add(timeline.project_split(project_id, until))
    return total.intermediary, total.total


def _ratings(report: Report, scope: Scope) -> None:
    columns = [sa.func.coalesce(sa.func.sum(getattr(Rating, d)), 0) for d in DIMENSIONS]
    row = db.session.execute(
        sa.select(sa.func.count(Rating.id), *columns)
        .where(_in(Rating.rated_at, report.month), scope.orgs(Rating.agency_org_id))).one()
    report.ratings = row[0]
    report.rating_sums = {d: int(v) for d, v in zip(DIMENSIONS, row[1:], strict=True)}


def _complaints(report: Report, scope: Scope) -> None:
    report.complaints_filed = db.session.scalar(
        sa.select(sa.func.count(Complaint.id))
        .where(_in(Complaint.filed_at, report.month), scope.orgs(Complaint.filer_org_id))) or 0
    decided = db.session.execute(
        sa.select(Complaint.state, Complaint.decided_at, Complaint.due_on)
        .where(_in(Complaint.decided_at, report.month), scope.orgs(Complaint.filer_org_id)))
    for state, decided_at, due_on in decided:
        report.complaints_upheld += state == ComplaintState.UPHELD.value
        report.complaints_rejected += state == ComplaintState.REJECTED.value
        report.complaints_decided_late += (decided_at is not None
                                           and local_date(decided_at) > due_on)


def _sanctions(report: Report, scope: Scope) -> None:
    rows = db.session.execute(
        sa.select(Sanction.kind, sa.func.count(Sanction.id))
        .where(_in(Sanction.issued_at, report.month), scope.orgs(Sanction.agency_org_id))
        .group_by(Sanction.kind))
    for kind, n in rows:
        report.sanctions[kind] = n


def _owner_breaches(report: Report, scope: Scope) -> None:
    rows = db.session.execute(
        sa.select(OwnerBreach.kind, sa.func.count(OwnerBreach.id))
        .where(_in(OwnerBreach.recorded_at, report.month), scope.orgs(OwnerBreach.owner_org_id))
        .group_by(OwnerBreach.kind))
    for kind, n in rows:
        report.owner_breaches[kind] = n


def escalations_in(month: Month, scope: Scope) -> int | None:
    """电子监察 escalation steps (warnings, yellow and red cards) raised in the month, by the
    date each was raised.  (``None`` stays possible for a report that has no such record;
    the page then says "not recorded" rather than a zero that would read as "none".)"""
    return int(db.session.scalar(sa.select(sa.func.count(EscalationStep.id)).where(
        _in(EscalationStep.raised_at, month), scope.orgs(EscalationStep.party_org_id))) or 0)


# -- every figure as a row (the CSV and the tables) ---------------------------------------------

@dataclass(frozen=True)
class Figure:
    section: str
    key: str
    label: str
    breakdown: str
    value: int | str | None
    kind: str  # count, fen, bp (basis points), days (working days), score (1–5)

    @property
    def unit(self) -> str:
        return str(_(UNITS[self.kind]))

    @property
    def text(self) -> str:
        """The figure as the page and the PDF show it."""
        if self.value is None:
            return str(_("尚未记录")) if self.section == "escalations" else "—"
        if self.kind == "bp":
            return format_bp(int(self.value))
        if self.kind == "fen":
            return f"{format_yuan(int(self.value))} {_('元')}"
        return f"{self.value} {self.unit}" if self.kind == "days" else str(self.value)


def _frac(value: Fraction | None, places: int = 2) -> str | None:
    if value is None:
        return None
    return f"{float(round(value, places)):.{places}f}" if value.denominator != 1 else str(int(value))


def figures(report: Report) -> Iterator[Figure]:
    """Every figure of the report once, in the order of the page."""
    r = report
    for method, n in r.by_method():
        yield Figure("requests", "by_method", _("发布的采购公告"), _(METHOD_LABELS[method]), n,
                     "count")
    for st, n in r.by_service():
        yield Figure("requests", "by_service", _("发布的采购公告"),
                     r.service_names.get(st, str(st)), n, "count")
    for (method, st), n in sorted(r.requests.items()):
        yield Figure("requests", "by_method_and_service", _("发布的采购公告"),
                     f"{_(METHOD_LABELS.get(method, method))} · {r.service_names.get(st, str(st))}",
                     n, "count")
    yield Figure("requests", "published", _("发布的采购公告"), _("合计"), r.requests_total, "count")
    yield Figure("amounts", "engagements", _("建立的委托"), "", r.engagements, "count")
    yield Figure("amounts", "fee_total", _("委托服务费合计"), "", r.fee_total_fen, "fen")
    yield Figure("amounts", "capped", _("设最高限价的委托"), "", r.capped, "count")
    yield Figure("amounts", "cap_total", _("最高限价合计"), "", r.cap_total_fen, "fen")
    yield Figure("amounts", "capped_award", _("中选金额合计（设限价的）"), "", r.capped_award_fen,
                 "fen")
    yield Figure("amounts", "saving_rate", _("节约率"), "", r.saving_bp, "bp")
    for key, label, s in (("publication_to_award", _("公告发布至中选"), r.to_award),
                          ("publication_to_acceptance", _("公告发布至验收"), r.to_acceptance)):
        yield Figure("cycle", key, label, _("件数"), s.count, "count")
        yield Figure("cycle", key, label, _("中位数"), _frac(s.median, 1), "days")
        yield Figure("cycle", key, label, _("第90百分位"), s.p90, "days")
    yield Figure("on_time", "engagements_accepted", _("验收的委托"), "", r.accepted, "count")
    yield Figure("on_time", "engagements_on_time", _("按时完成的委托"), "", r.accepted_on_time,
                 "count")
    yield Figure("on_time", "engagements_rate", _("委托按时率"), "", r.engagements_on_time_bp,
                 "bp")
    yield Figure("on_time", "cases_decided", _("办结的审批事项"), "", r.cases_decided, "count")
    yield Figure("on_time", "cases_on_time", _("按时办结的审批事项"), "", r.cases_on_time,
                 "count")
    yield Figure("on_time", "cases_rate", _("审批按时率"), "", r.cases_on_time_bp, "bp")
    yield Figure("timeline", "intermediary_days", _("中介服务时间"), "", r.intermediary_days,
                 "days")
    yield Figure("timeline", "case_days", _("办件总时间"), "", r.case_days, "days")
    yield Figure("timeline", "intermediary_share", _("中介服务时间占比"), "",
                 r.intermediary_share_bp, "bp")
    yield Figure("ratings", "count", _("服务评价"), "", r.ratings, "count")
    for d in DIMENSIONS:
        yield Figure("ratings", f"mean_{d}", _("平均分"), _(DIMENSION_LABELS[d]),
                     _frac(r.rating_mean(d)), "score")
    yield Figure("ratings", "mean", _("平均分"), _("五项平均"), _frac(r.rating_overall), "score")
    yield Figure("complaints", "filed", _("受理投诉"), "", r.complaints_filed, "count")
    yield Figure("complaints", "upheld", _("投诉成立"), "", r.complaints_upheld, "count")
    yield Figure("complaints", "rejected", _("投诉不成立"), "", r.complaints_rejected, "count")
    yield Figure("complaints", "decided_late", _("逾期办结的投诉"), "", r.complaints_decided_late,
                 "count")
    for kind, label in SANCTION_LABELS.items():
        yield Figure("sanctions", "issued", _("发布的处罚"), _(label), r.sanctions[kind], "count")
    for kind, label in BREACH_LABELS.items():
        yield Figure("sanctions", "owner_breaches", _("业主失信记录"), _(label),
                     r.owner_breaches[kind], "count")
    yield Figure("escalations", "raised", _("电子监察督办"), "", r.escalations, "count")


UNITS = {"count": N_("个"), "fen": N_("分"), "bp": N_("基点"), "days": N_("工作日"),
         "score": N_("分（1–5）")}
SECTIONS = {"requests": N_("采购公告"), "amounts": N_("金额与节约率"), "cycle": N_("办理周期"),
            "on_time": N_("按时率"), "timeline": N_("中介服务时间占比"), "ratings": N_("服务评价"),
            "complaints": N_("投诉"), "sanctions": N_("处罚与失信记录"), "escalations": N_("电子监察")}


def by_section(report: Report) -> list[tuple[str, str, list[Figure]]]:
    """The figures grouped by section, in the page's order: (key, title, figures)."""
    rows = list(figures(report))
    return [(key, _(title), [f for f in rows if f.section == key])
            for key, title in SECTIONS.items()]


CSV_HEADER = ("month", "section", "figure", "label", "breakdown", "value", "unit")


def csv_rows(report: Report) -> Iterator[tuple[object, ...]]:
    for f in figures(report):
        yield (report.month.label, f.section, f.key, f.label, f.breakdown,
               "" if f.value is None else f.value, f.unit)
