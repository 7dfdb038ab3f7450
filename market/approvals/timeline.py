"""A project's timeline (项目时间轴) and the split of elapsed time it is about.

Every working day an approval case has been open is put in one bucket: approval working time
(the case's clock running; expert review and hearings are the department's own time too, shown
apart), intermediary time (the case suspended for an engagement whose agency clock is running:
within its commitment or overdue, per agency) and time waiting on the owner (the agency waiting
for materials or for the owner's acceptance, contract signing, and the applicant's 补正).
Summed over cases, this is the share the reports could only estimate.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import gettext as _

from market.approvals.models import ApprovalCase, Suspension
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockKind, PauseReason
from market.db import db
from market.domain.calendar import WorkingCalendar, local_date
from market.domain.clock import Pause, Segment, segments
from market.engagements.models import Engagement
from market.templating import service_name

APPROVAL, OTHER, OWNER, INTER_OK, INTER_LATE = (
    "approval", "other", "owner", "intermediary_ok", "intermediary_late")


@dataclass
class Split:
    """Working days per bucket; ``by_agency``/``by_service`` hold [within, overdue] days."""

    days: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    by_agency: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_service: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def total(self) -> int:
        return sum(self.days.values())

    @property
    def intermediary(self) -> int:
        return self.days[INTER_OK] + self.days[INTER_LATE]

    def share_bp(self, days: int) -> int:
        return days * 10_000 // self.total if self.total else 0

    def add(self, other: Split) -> None:
        for k, v in other.days.items():
            self.days[k] += v
        for src, dst in ((other.by_agency, self.by_agency), (other.by_service, self.by_service)):
            for key, (ok, late) in src.items():
                dst[key][0] += ok
                dst[key][1] += late


def _days(cal: WorkingCalendar, a: date, b: date) -> list[date]:
    """The working days in (a, b]."""
    out, d = [], a + timedelta(days=1)
    while d <= b:
        if cal.is_working_day(d):
            out.append(d)
        d += timedelta(days=1)
    return out


def clock_segments(clock: Clock, now: datetime) -> tuple[Segment, ...]:
    return segments([e.event() for e in clocks.entries(clock)], now)


def _engagement_days(eng: Engagement, cal: WorkingCalendar,
                     now: datetime) -> tuple[dict[date, str], date | None]:
    """Each working day of the engagement's service clock: 'run' or 'wait'; and its due date."""
    service = db.session.scalar(sa.select(Clock).where(
        Clock.engagement_id == eng.id, Clock.kind == ClockKind.SERVICE.value))
    if service is None:
        return {}, None
    labels: dict[date, str] = {}
    for s in clock_segments(service, now):
        for d in _days(cal, local_date(s.start), local_date(s.end)):
            labels[d] = "run" if s.kind == "running" else "wait"
    return labels, clocks.view(service, now, cal).due_date


def case_split(case: ApprovalCase, now: datetime, cal: WorkingCalendar | None = None) -> Split:
    """The split of one case's elapsed working days (see the module docstring)."""
    cal = cal or clocks.calendar()
    split = Split()
    clock = db.session.get(Clock, case.clock_id) if case.clock_id else None
    if clock is None:
        return split
    events = [e.event() for e in clocks.entries(clock)]
    pauses = [e for e in events if isinstance(e, Pause)]
    suspensions = list(db.session.scalars(sa.select(Suspension).where(
        Suspension.case_id == case.id).order_by(Suspension.id)))
    by_pause = dict(zip([p.at for p in pauses], suspensions, strict=False))
    for seg in segments(events, now):
        a, b = local_date(seg.start), local_date(seg.end)
        if seg.kind == "running":
            split.days[APPROVAL] += cal.working_days_between(a, b)
            continue
        if seg.reason == PauseReason.CORRECTION:
            split.days[OWNER] += cal.working_days_between(a, b)
            continue
        s = by_pause.get(seg.start)
        if seg.reason != PauseReason.INTERMEDIARY or s is None or s.engagement is None:
            split.days[OTHER] += cal.working_days_between(a, b)
            continue
        eng = s.engagement
        labels, due = _engagement_days(eng, cal, now)
        for d in _days(cal, a, b):
            label = labels.get(d, "wait")
            if label == "wait":
                split.days[OWNER] += 1
                continue
            late = due is not None and d > due
            split.days[INTER_LATE if late else INTER_OK] += 1
            split.by_agency[eng.agency_org_id][int(late)] += 1
            split.by_service[eng.service_type_id][int(late)] += 1
    return split


def project_split(project_id: int, now: datetime) -> Split:
    total = Split()
    cal = clocks.calendar()
    for case in db.session.scalars(sa.select(ApprovalCase).where(
            ApprovalCase.project_id == project_id, ApprovalCase.clock_id.is_not(None))):
        total.add(case_split(case, now, cal))
    return total


def city_split(now: datetime) -> Split:
    """All cases of the city: the regulator's share of intermediary time."""
    total = Split()
    cal = clocks.calendar()
    for case in db.session.scalars(sa.select(ApprovalCase).where(
            ApprovalCase.clock_id.is_not(None))):
        total.add(case_split(case, now, cal))
    return total


# -- drawing ------------------------------------------------------------------------------------

WIDTH, LEFT, ROW, TOP = 960, 220, 30, 34
COLOURS = {"running": "#2e7d32", "materials": "#9e9e9e", "review": "#bdbdbd",
           "intermediary": "#ef6c00", "expert_review": "#5c6bc0", "correction": "#9e9e9e",
           "hearing": "#5c6bc0", "late": "#c62828"}


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    w: float
    colour: str
    reason: str  # "running" or why the clock was paused (PauseReason), named by the template
    span: str


@dataclass
class Lane:
    label: str  # what the lane is (case or engagement, with the matter or service)
    detail: str  # whose clock: the engagement's signing or its agency; empty for a case
    href: str
    bars: list[Bar]
    due_x: float | None
    state: str


def lanes(project_id: int, now: datetime) -> tuple[list[Lane], list[tuple[float, str]], int]:
    """The project's clocks as lanes of coloured bars on one time axis, the axis ticks and the
    drawing's height.  Positions are computed here; the template only writes SVG elements."""
    rows: list[tuple[str, str, str, Clock]] = []
    for case in db.session.scalars(sa.select(ApprovalCase).where(
            ApprovalCase.project_id == project_id).order_by(ApprovalCase.id)):
        clock = db.session.get(Clock, case.clock_id) if case.clock_id else None
        if clock is not None:
            rows.append((case.public_id, case.matter.name, f"/approvals/{case.public_id}",
                         clock))
    for eng in db.session.scalars(sa.select(Engagement).where(
            Engagement.project_id == project_id).order_by(Engagement.id)):
        for clock in db.session.scalars(sa.select(Clock).where(
                Clock.engagement_id == eng.id, Clock.kind.in_(("signing", "service")))
                .order_by(Clock.id)):
            kind = _("签约") if clock.kind == "signing" else eng.agency.name
            rows.append((f"{eng.public_id} {service_name(eng.service_type)}", kind,
                         f"/engagements/{eng.public_id}", clock))
    starts = [c.created_at for *_, c in rows]
    if not rows:
        return [], [], TOP + 20
    cal = clocks.calendar()
    first = local_date(min(starts))
    views = [clocks.view(c, now, cal) for *_, c in rows]
    last = max([local_date(now)] + [v.due_date for v in views if v.due_date])
    span = max((last - first).days + 1, 7)
    scale = (WIDTH - LEFT - 10) / span

    def x(d: date) -> float:
        return round(LEFT + (d - first).days * scale, 1)

    out = []
    for i, ((label, detail, href, clock), view) in enumerate(zip(rows, views, strict=True)):
        y = TOP + i * ROW
        bars = []
        for s in clock_segments(clock, now):
            a, b = local_date(s.start), local_date(s.end)
            colour = COLOURS.get(s.reason, "#757575")
            if s.kind == "running" and view.due_date and b > view.due_date:
                if a < view.due_date:
                    bars.append(Bar(x(a), y, max(x(view.due_date) - x(a), 1.5), colour,
                                    s.reason, f"{a} – {view.due_date}"))
                    a = view.due_date
                colour = COLOURS["late"]
            bars.append(Bar(x(a), y, max(x(b) - x(a), 1.5), colour, s.reason, f"{a} – {b}"))
        out.append(Lane(label, detail, href, bars, x(view.due_date) if view.due_date else None,
                        view.state))
    ticks = []
    d = first
    step = max(span // 8, 1)
    while d <= last:
        ticks.append((x(d), d.isoformat()))
        d += timedelta(days=step)
    return out, ticks, TOP + len(out) * ROW + 10
