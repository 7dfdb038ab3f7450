"""A project's timeline (项目时间轴, 全流程) and the split of its whole span it is about.

The span runs from the first selection request's publication (or the first case event, if
earlier) to the last decision, or to now while anything is still open.  Every working day of
it goes to exactly one bucket by the published priority rule of :mod:`market.domain.timeline`;
this module reads the records that *claim* days (case clocks and case events, selection
requests, engagements' signing and service clocks) and hands them to that rule.  Summed over
projects, this is the share the reports could only estimate.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _

from market.accounts.models import Organisation
from market.approvals.models import ApprovalCase, CaseEvent, CaseState, Suspension
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockEntry, ClockKind, PauseReason
from market.db import db
from market.domain.calendar import WorkingCalendar, local_date
from market.domain.clock import ClockEvent, ClockView, Segment, segments
from market.domain.clock_events import event_from_record
from market.domain.timeline import INTERMEDIARY, PRIORITY, Attribution, Bucket, Claim, attribute
from market.engagements.models import Engagement, EngagementState
from market.selection.models import Project, RequestState, SelectionRequest
from market.templating import service_name


@dataclass
class Split:
    """Working days per bucket (every bucket of :data:`PRIORITY`, in that order);
    ``by_agency``/``by_service`` hold [within, overdue] days of the agencies' service;
    ``runs`` the days as consecutive runs of one bucket (one project only)."""

    days: dict[str, int] = field(default_factory=lambda: {b.value: 0 for b in PRIORITY})
    by_agency: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    by_service: dict[int, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))
    runs: list[tuple[date, date, Bucket]] = field(default_factory=list)
    start: date | None = None
    end: date | None = None

    @property
    def total(self) -> int:
        return sum(self.days.values())

    @property
    def intermediary(self) -> int:
        return sum(self.days[b.value] for b in INTERMEDIARY)

    def share_bp(self, days: int) -> int:
        return days * 10_000 // self.total if self.total else 0

    def add(self, other: Split) -> None:
        for k, v in other.days.items():
            self.days[k] = self.days.get(k, 0) + v
        for src, dst in ((other.by_agency, self.by_agency), (other.by_service, self.by_service)):
            for key, (ok, late) in src.items():
                dst[key][0] += ok
                dst[key][1] += late


def clock_segments(clock: Clock, now: datetime,
                   log: Sequence[ClockEvent] | None = None) -> tuple[Segment, ...]:
    """The clock's running and paused segments up to ``now``, from ``log`` (its events in
    order) when the caller has read it already."""
    if log is None:
        log = [e.event() for e in clocks.entries(clock)]
    return segments(log, now)


def clock_logs(rows: Iterable[Any]) -> dict[int, list[ClockEvent]]:
    """Each clock's events in order, from plain rows of :class:`ClockEntry`'s ``clock_id``,
    ``kind``, ``at``, ``reason`` and ``days`` ordered by clock and ``seq`` (plain rows: a
    project's clocks hold hundreds of entries, and mapped objects cost several times more)."""
    out: dict[int, list[ClockEvent]] = defaultdict(list)
    for r in rows:
        out[r.clock_id].append(event_from_record(r.kind, r.at, r.reason, r.days))
    return out


def log_query(clock_ids: Iterable[int] | sa.Select[Any]) -> sa.Select:  # type: ignore[type-arg]
    """The entries of these clocks (ids, or a select of them) as :func:`clock_logs` reads
    them (``note`` besides)."""
    ids = clock_ids if isinstance(clock_ids, sa.Select) else list(clock_ids)
    return (sa.select(ClockEntry.clock_id, ClockEntry.kind, ClockEntry.at, ClockEntry.reason,
                      ClockEntry.days, ClockEntry.note)
            .where(ClockEntry.clock_id.in_(ids))
            .order_by(ClockEntry.clock_id, ClockEntry.seq))


@dataclass(frozen=True)
class ProjectRows:
    """The records of one project that claim days, as read by :func:`load_rows` (or by a
    caller that has read them already, such as the pull): the cases in id order, each case's
    events as (type, at) and its suspensions in id order, the cases' clocks and the
    engagements' signing and service clocks by id with their events in order, the engagements
    and the selection requests in id order; ``views``, the clocks' views the caller has
    computed already (:func:`market.clocks.store.view` at the split's ``now``, calendar and
    revision) by clock id: the others are computed when needed."""

    cases: Sequence[ApprovalCase]
    events: Mapping[int, Sequence[tuple[str, datetime]]]
    suspensions: Mapping[int, Sequence[Suspension]]
    clocks: Mapping[int, Clock]
    logs: Mapping[int, Sequence[ClockEvent]]
    engagements: Sequence[Engagement]
    requests: Sequence[SelectionRequest]
    views: Mapping[int, ClockView] = field(default_factory=dict)


def _grouped(rows: Iterable[Any], key: Callable[[Any], int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[key(row)].append(row)
    return out


TIMELINE_CLOCKS = (ClockKind.SIGNING.value, ClockKind.SERVICE.value)
"""The engagements' clocks the timeline reads (the cases' own clocks besides)."""


def load_rows(project_id: int) -> ProjectRows:
    """Read the project's records a table at a time: seven queries whatever its size."""
    cases = list(db.session.scalars(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == project_id).order_by(ApprovalCase.id)))
    case_ids = [c.id for c in cases]
    engagements = list(db.session.scalars(sa.select(Engagement).where(
        Engagement.project_id == project_id).order_by(Engagement.id)))
    events = _grouped(db.session.execute(
        sa.select(CaseEvent.case_id, CaseEvent.type, CaseEvent.at)
        .where(CaseEvent.case_id.in_(case_ids)).order_by(CaseEvent.id)), lambda e: e.case_id)
    suspensions = _grouped(db.session.scalars(
        sa.select(Suspension).where(Suspension.case_id.in_(case_ids))
        .order_by(Suspension.id)), lambda s: s.case_id)
    clock_rows = {c.id: c for c in db.session.scalars(sa.select(Clock).where(sa.or_(
        Clock.id.in_([c.clock_id for c in cases if c.clock_id is not None]),
        sa.and_(Clock.kind.in_(TIMELINE_CLOCKS),
                Clock.engagement_id.in_([e.id for e in engagements])))))}
    logs = clock_logs(db.session.execute(log_query(clock_rows)))
    requests = list(db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.project_id == project_id).order_by(SelectionRequest.id)))
    return ProjectRows(cases=cases, events={k: [(e.type, e.at) for e in v]
                                            for k, v in events.items()},
                       suspensions=suspensions, clocks=clock_rows, logs=logs,
                       engagements=engagements, requests=requests)


@dataclass
class _Sources:
    """What the project's records claim, and what the span's ends are."""

    claims: list[Claim] = field(default_factory=list)
    starts: list[datetime] = field(default_factory=list)
    ends: list[datetime] = field(default_factory=list)
    open: bool = False
    engagements: dict[str, tuple[Engagement, date | None]] = field(default_factory=dict)

    def claim(self, bucket: Bucket, after: datetime, until: datetime, source: str) -> None:
        if until > after:
            self.claims.append(Claim(bucket, local_date(after), local_date(until), source))


def _case_sources(case: ApprovalCase, rows: ProjectRows, now: datetime, out: _Sources) -> None:
    """Before 受理: the department examines the application (from ``applied``), except while
    the applicant corrects it (补正, ``returned_for_correction`` to ``resubmitted``).  After:
    the clock's running segments are approval time, its suspensions special procedures."""
    src = f"case:{case.id}"
    events = [(t, at) for t, at in rows.events.get(case.id, ()) if at <= now]
    out.starts += [at for _t, at in events[:1]]
    if case.accepted_at is not None and case.accepted_at <= now:
        out.starts.append(case.accepted_at)
    closed = case.state in (CaseState.DECIDED, CaseState.WITHDRAWN)
    if closed:
        out.ends.append(case.decided_at or case.last_event_at or events[-1][1] if events
                        else case.decided_at or case.accepted_at or case.created_at)
    else:
        out.open = True
    since: datetime | None = None
    bucket = Bucket.ACCEPTANCE
    for kind, at in events:
        if kind == "applied":
            since, bucket = at, Bucket.ACCEPTANCE
        elif kind in ("returned_for_correction", "resubmitted") and since is not None:
            out.claim(bucket, since, at, src)
            since = at
            bucket = (Bucket.OWNER_CORRECTION if kind == "returned_for_correction"
                      else Bucket.ACCEPTANCE)
        elif since is not None and kind in ("accepted", "tolerated_acceptance",
                                            "pledge_acceptance", "withdrawn"):
            out.claim(bucket, since, at, src)
            since = None
    if since is not None:
        out.claim(bucket, since, now, src)
    clock = rows.clocks.get(case.clock_id) if case.clock_id else None
    if clock is None:
        return
    suspensions = iter(rows.suspensions.get(case.id, ()))
    for seg in clock_segments(clock, now, rows.logs.get(clock.id, ())):
        if seg.kind == "running":
            out.claim(Bucket.APPROVAL, seg.start, seg.end, src)
            continue
        s = next(suspensions, None)  # the n-th pause is the n-th suspension
        if seg.reason == PauseReason.CORRECTION:
            out.claim(Bucket.OWNER_CORRECTION, seg.start, seg.end, src)
        elif s is not None and s.engagement_id is not None:
            out.claim(Bucket.SPECIAL_INTERMEDIARY, seg.start, seg.end, f"eng:{s.engagement_id}")
        elif seg.reason == PauseReason.INTERMEDIARY:
            out.claim(Bucket.SPECIAL_INTERMEDIARY, seg.start, seg.end, src)
        else:
            out.claim(Bucket.SPECIAL_OTHER, seg.start, seg.end, src)


def _engagement_sources(eng: Engagement, own: Sequence[Clock], rows: ProjectRows,
                        now: datetime, state: tuple[int | None, int, WorkingCalendar],
                        out: _Sources) -> None:
    """The signing clock's running time is the owner's (签订合同); the service clock's running
    time is the agency's (within its due date or late), its pauses the owner's (materials,
    acceptance of a deliverable).  ``own`` are its signing and service clocks in id order."""
    src = f"eng:{eng.id}"
    out.starts.append(eng.created_at)
    if eng.state in (EngagementState.ACCEPTED, EngagementState.CANCELLED):
        out.ends.append(eng.accepted_at or eng.cancelled_at or eng.created_at)
    else:
        out.open = True
    due: date | None = None
    for clock in own:
        segs = clock_segments(clock, now, rows.logs.get(clock.id, ()))
        if clock.kind == ClockKind.SIGNING:
            for seg in segs:
                if seg.kind == "running":
                    out.claim(Bucket.OWNER_SIGNING, seg.start, seg.end, src)
            continue
        shown = rows.views.get(clock.id)
        if shown is None:
            tenant, revision, cal = state
            # the state read once serves the clocks of its tenant; another's reads its own
            shown = (clocks.view(clock, now, cal, revision) if clock.tenant_id == tenant
                     else clocks.view(clock, now))
        due = shown.due_date
        for seg in segs:
            if seg.kind != "running":
                out.claim(Bucket.OWNER_REVIEW if seg.reason == PauseReason.REVIEW
                          else Bucket.OWNER_MATERIALS, seg.start, seg.end, src)
                continue
            a, b = local_date(seg.start), local_date(seg.end)
            if due is None or b <= due:
                out.claims.append(Claim(Bucket.SERVICE_OK, a, b, src))
            elif a >= due:
                out.claims.append(Claim(Bucket.SERVICE_LATE, a, b, src))
            else:
                out.claims += [Claim(Bucket.SERVICE_OK, a, due, src),
                               Claim(Bucket.SERVICE_LATE, due, b, src)]
    out.engagements[src] = (eng, due)


def _request_sources(req: SelectionRequest, awarded: datetime | None, now: datetime,
                     out: _Sources) -> None:
    """A published request is selection time until its first engagement (the award
    confirmed), its cancellation or its failure; still choosing otherwise."""
    if req.published_at is None or req.published_at > now:
        return
    out.starts.append(req.published_at)
    until = awarded or req.cancelled_at or (
        req.closed_at if req.state == RequestState.FAILED else None)
    if until is None:
        out.open = True
        until = now
    else:
        out.ends.append(until)
    out.claim(Bucket.SELECTION, req.published_at, min(until, now), f"req:{req.id}")


def project_tenant(project_id: int) -> int | None:
    """The tenant whose calendar a project's span counts in: its owner's."""
    return db.session.scalar(sa.select(Organisation.tenant_id).join(
        Project, Project.owner_org_id == Organisation.id).where(Project.id == project_id))


def project_split(project_id: int, now: datetime, cal: WorkingCalendar | None = None, *,
                  rows: ProjectRows | None = None, revision: int | None = None,
                  tenant: int | None = None) -> Split:
    """The project's span and its working days per bucket (see the module docstring), from
    ``rows`` when the caller has read the project's records already (:func:`load_rows`
    otherwise); ``revision`` and ``cal`` as :func:`market.clocks.store.calendar_state` gives
    them for ``tenant``, the project's owner's (:func:`project_tenant`), read once by a caller
    splitting many projects; without both, the tenant's are read here."""
    if cal is None or revision is None:
        tenant = project_tenant(project_id)
        revision, cal = clocks.calendar_state(tenant)
    rows = load_rows(project_id) if rows is None else rows
    out = _Sources()
    for case in rows.cases:
        _case_sources(case, rows, now, out)
    awarded: dict[int, datetime] = {}
    own = _grouped(sorted((c for c in rows.clocks.values() if c.kind in TIMELINE_CLOCKS
                           and c.engagement_id is not None), key=lambda c: c.id),
                   lambda c: c.engagement_id)
    for eng in rows.engagements:
        if eng.created_at > now:
            continue
        _engagement_sources(eng, own.get(eng.id, []), rows, now, (tenant, revision, cal), out)
        awarded[eng.request_id] = min(awarded.get(eng.request_id, eng.created_at),
                                      eng.created_at)
    for req in rows.requests:
        _request_sources(req, awarded.get(req.id), now, out)
    split = Split()
    if not out.starts:
        return split
    start = local_date(min(out.starts))
    end = local_date(now if out.open or not out.ends else min(max(out.ends), now))
    if end < start:
        end = start
    result = attribute(start, end, out.claims, cal.is_working_day)
    _fill(split, result, out)
    return split


def _fill(split: Split, result: Attribution, out: _Sources) -> None:
    split.start, split.end = result.start, result.end
    for bucket, n in result.totals().items():
        split.days[bucket.value] = n
    split.runs = result.runs()
    # per agency: the working days of the span its service clock ran, within its due date or
    # late, whichever bucket won the day (the owner's waits are not the agency's)
    days = sorted(result.days)
    for claim in out.claims:
        if claim.bucket not in (Bucket.SERVICE_OK, Bucket.SERVICE_LATE) or (
                claim.source not in out.engagements):
            continue
        eng, _due = out.engagements[claim.source]
        n = max(0, bisect_right(days, claim.until) - bisect_right(days, claim.after))
        late = int(claim.bucket is Bucket.SERVICE_LATE)
        split.by_agency[eng.agency_org_id][late] += n
        split.by_service[eng.service_type_id][late] += n


def tenant_splits(now: datetime, tenant: int | None = None) -> dict[int, Split]:
    """The regulator's share of intermediary time, per tenant (of ``tenant`` only when
    given): the sum of the whole-span splits of the projects that have an approval case (the
    ones the approval systems know), each under its cases' owner's tenant.  Projects that
    only select or engage agencies are left out: their span has no approval side to weigh the
    intermediaries' time against, and reading every engagement of the city on each view of
    the regulator's page would make it grow with the whole market."""
    out: dict[int, Split] = {}
    states: dict[int | None, tuple[int, WorkingCalendar]] = {}
    stmt = (sa.select(ApprovalCase.project_id, sa.func.min(Organisation.tenant_id))
            .join(Organisation, Organisation.id == ApprovalCase.owner_org_id)
            .group_by(ApprovalCase.project_id).order_by(ApprovalCase.project_id))
    if tenant is not None:
        stmt = stmt.where(Organisation.tenant_id == tenant)
    for project_id, of in db.session.execute(stmt):
        # the span counts in its cases' owner's tenant's calendar, read once per tenant
        if of not in states:
            states[of] = clocks.calendar_state(of)
        revision, cal = states[of]
        out.setdefault(of, Split()).add(project_split(project_id, now, cal, revision=revision,
                                                      tenant=of))
    return out


def city_split(now: datetime, tenant: int | None = None) -> Split:
    """The sum of :func:`tenant_splits`: one tenant's (``tenant``) or the province's."""
    total = Split()
    for split in tenant_splits(now, tenant).values():
        total.add(split)
    return total


# -- drawing ------------------------------------------------------------------------------------

WIDTH, LEFT, ROW, TOP = 960, 220, 30, 34
COLOURS = {"running": "#2e7d32", "materials": "#9e9e9e", "review": "#bdbdbd",
           "intermediary": "#ef6c00", "expert_review": "#5c6bc0", "correction": "#9e9e9e",
           "hearing": "#5c6bc0", "late": "#c62828"}
# the other special procedures of 行政许可法 第四十五条 are the department's time, like expert review;
# one performed by an engagement is drawn as intermediary time (see lanes())
COLOURS.update(dict.fromkeys(
    ("tendering", "auction", "inspection", "testing", "quarantine", "appraisal"), "#5c6bc0"))
# one colour per bucket of the whole-span strip and the split's legend: the department's time
# green/blue, the agencies' orange (red when late), the owner's greys and browns
BUCKET_COLOURS = {
    Bucket.APPROVAL: "#2e7d32", Bucket.SPECIAL_INTERMEDIARY: "#ef6c00",
    Bucket.SPECIAL_OTHER: "#5c6bc0", Bucket.ACCEPTANCE: "#00838f",
    Bucket.SERVICE_LATE: "#c62828", Bucket.SERVICE_OK: "#ffa726",
    Bucket.OWNER_REVIEW: "#bdbdbd", Bucket.OWNER_CORRECTION: "#616161",
    Bucket.OWNER_MATERIALS: "#9e9e9e", Bucket.OWNER_SIGNING: "#8d6e63",
    Bucket.SELECTION: "#8e24aa", Bucket.WAITING: "#eeeeee"}


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


def lanes(project_id: int, now: datetime, split: Split | None = None
          ) -> tuple[list[Lane], list[tuple[float, str]], int]:
    """The project's clocks as lanes of coloured bars on one time axis, the axis ticks and the
    drawing's height; with ``split``, a first lane (全流程) colours each run of the span by its
    bucket.  Positions are computed here; the template only writes SVG elements."""
    rows: list[tuple[str, str, str, Clock]] = []
    linked: dict[int, list[bool]] = {}  # per case clock, its pauses: by an engagement?
    for case in db.session.scalars(sa.select(ApprovalCase).where(
            ApprovalCase.project_id == project_id).order_by(ApprovalCase.id)):
        clock = db.session.get(Clock, case.clock_id) if case.clock_id else None
        if clock is not None:
            rows.append((case.public_id, case.matter.name, f"/approvals/{case.public_id}",
                         clock))
            linked[clock.id] = [eid is not None for eid in db.session.scalars(
                sa.select(Suspension.engagement_id).where(Suspension.case_id == case.id)
                .order_by(Suspension.id))]
    for eng in db.session.scalars(sa.select(Engagement).where(
            Engagement.project_id == project_id).order_by(Engagement.id)):
        for clock in db.session.scalars(sa.select(Clock).where(
                Clock.engagement_id == eng.id, Clock.kind.in_(("signing", "service")))
                .order_by(Clock.id)):
            kind = _("签约") if clock.kind == "signing" else eng.agency.name
            rows.append((f"{eng.public_id} {service_name(eng.service_type)}", kind,
                         f"/engagements/{eng.public_id}", clock))
    runs = split.runs if split is not None and split.start is not None else []
    if not rows and not runs:
        return [], [], TOP + 20
    views = [clocks.view(c, now) for *_, c in rows]  # each in its tenant's calendar
    first = min([local_date(c.created_at) for *_, c in rows]
                + ([split.start] if runs and split and split.start else []))
    last = max([local_date(now)] + [v.due_date for v in views if v.due_date])
    span = max((last - first).days + 1, 7)
    scale = (WIDTH - LEFT - 10) / span

    def x(d: date) -> float:
        return round(LEFT + (d - first).days * scale, 1)

    out = []
    if runs and split is not None and split.start is not None:
        # each run is drawn from the end of the one before, so the strip has no gaps
        edge, strip = split.start, []
        for a, b, bucket in runs:
            strip.append(Bar(x(edge), TOP, max(x(b) - x(edge), 1.5), BUCKET_COLOURS[bucket],
                             bucket.value, f"{a} – {b}"))
            edge = b
        out.append(Lane(_("全流程"), _("每个工作日归入一类"), "#split", strip, None, ""))
    for i, ((label, detail, href, clock), view) in enumerate(zip(rows, views, strict=True),
                                                               start=len(out)):
        y = TOP + i * ROW
        bars = []
        pauses = iter(linked.get(clock.id, []))
        for s in clock_segments(clock, now):
            a, b = local_date(s.start), local_date(s.end)
            colour = COLOURS.get(s.reason, "#757575")
            if s.kind != "running" and next(pauses, False):
                colour = COLOURS["intermediary"]
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
