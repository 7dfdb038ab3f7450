"""What a machine client reads back (shared/spec/integration.md §4): a project with its cases,
clocks, case events, selection requests, engagements and timeline buckets; an engagement's
deliverables with their hashes.  Only what :mod:`.visibility` lets the client see: anything
else is not found, so a client cannot learn which project codes exist."""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation
from market.approvals import ingest
from market.approvals.models import ApprovalCase, CaseEvent, Suspension
from market.approvals.timeline import (
    TIMELINE_CLOCKS,
    ProjectRows,
    clock_logs,
    log_query,
    project_split,
    project_tenant,
)
from market.catalogue.models import ApprovalMatter, Department, ServiceType
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockKind
from market.db import db
from market.domain.clock import ClockView
from market.domain.timeline import PRIORITY
from market.engagements.models import Deliverable, Engagement
from market.integration import visibility
from market.integration.models import ApiClient
from market.selection.models import Project, SelectionRequest


def visible_project(client: ApiClient, code: str) -> Project | None:
    """The project of this 投资项目代码 if ``client`` may see it."""
    project = db.session.scalar(_queries().project, {"code": code})
    if project is None or not visibility.may_see_project(client, project.code):
        return None
    return project  # type: ignore[no-any-return]


def visible_engagement(client: ApiClient, public_id: str) -> Engagement | None:
    """The engagement of this id if ``client`` may see its project."""
    eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == public_id))
    if eng is None or not visibility.may_see_project(client, eng.project.code):
        return None
    return eng  # type: ignore[no-any-return]


@dataclass(frozen=True)
class _Queries:
    """The pull's statements, built once (with bound parameters) rather than for every
    request: building a statement and its cache key costs about as much as running it."""

    project: sa.Executable
    owner: sa.Executable
    engagements: sa.Executable
    requests: sa.Executable
    cases: sa.Executable
    events: sa.Executable
    extension_bodies: sa.Executable
    suspensions: sa.Executable
    clocks: sa.Executable
    entries: sa.Executable


@functools.cache
def _queries() -> _Queries:
    """Built at the first pull, once the models are configured."""
    project_id: sa.BindParameter[Any] = sa.bindparam("project_id")
    of_project = sa.select(ApprovalCase.id).where(ApprovalCase.project_id == project_id)
    # the cases' clocks, and the engagements' signing and service clocks: the timeline's
    clock_ids = sa.select(Clock.id).where(sa.or_(
        Clock.id.in_(sa.select(ApprovalCase.clock_id).where(
            ApprovalCase.project_id == project_id)),
        sa.and_(Clock.kind.in_(TIMELINE_CLOCKS), Clock.engagement_id.in_(
            sa.select(Engagement.id).where(Engagement.project_id == project_id)))))
    return _Queries(
        project=sa.select(Project).where(Project.code == sa.bindparam("code")),
        owner=sa.select(Organisation.name).where(Organisation.id == sa.bindparam("owner_id")),
        # the names and codes shown beside each row come in the row's own query (a join),
        # not as related objects: loading those costs more than the rows themselves
        engagements=sa.select(Engagement, ServiceType.code, Organisation.name)
        .join(ServiceType, ServiceType.id == Engagement.service_type_id)
        .join(Organisation, Organisation.id == Engagement.agency_org_id)
        .where(Engagement.project_id == project_id).order_by(Engagement.id),
        requests=sa.select(SelectionRequest, ServiceType.code)
        .join(ServiceType, ServiceType.id == SelectionRequest.service_type_id)
        .where(SelectionRequest.project_id == project_id).order_by(SelectionRequest.id),
        cases=sa.select(ApprovalCase, ApprovalMatter.code, Department.code)
        .join(ApprovalMatter, ApprovalMatter.id == ApprovalCase.matter_id)
        .join(Department, Department.id == ApprovalMatter.department_id)
        .where(ApprovalCase.project_id == project_id).order_by(ApprovalCase.id),
        events=sa.select(CaseEvent.case_id, CaseEvent.event_id, CaseEvent.type, CaseEvent.at)
        .where(CaseEvent.case_id.in_(of_project)).order_by(CaseEvent.id),
        extension_bodies=sa.select(CaseEvent.case_id, CaseEvent.body)
        .where(CaseEvent.case_id.in_(of_project), CaseEvent.type == "extended")
        .order_by(CaseEvent.id),
        suspensions=sa.select(Suspension).where(Suspension.case_id.in_(of_project))
        .order_by(Suspension.id),
        clocks=sa.select(Clock).where(Clock.id.in_(clock_ids)),
        entries=log_query(clock_ids))


def _by(rows: Iterable[Any], key: Callable[[Any], int]) -> dict[int, list[Any]]:
    out: dict[int, list[Any]] = defaultdict(list)
    for row in rows:
        out[key(row)].append(row)
    return out


def project_data(project: Project) -> dict[str, Any]:
    """The project as §4 shows it (the caller checked visibility).

    Read a table at a time for the whole project, not a case or an engagement at a time:
    the engagements first (the suspensions that name one find it loaded), then the cases
    with their matters and departments, their events, suspensions, clocks and extension
    entries; each clock shown from its stored tally under one calendar revision.  The
    timeline's buckets are :func:`project_split`'s own."""
    now = timeutil.now()
    q, where = _queries(), {"project_id": project.id}
    owner = db.session.scalar(q.owner, {"owner_id": project.owner_org_id})
    shown_engagements = list(db.session.execute(q.engagements, where))
    engagements = [e for e, _code, _agency in shown_engagements]
    shown_requests = list(db.session.execute(q.requests, where))
    requests = [r for r, _code in shown_requests]
    shown_cases = list(db.session.execute(q.cases, where))
    cases = [c for c, _matter, _department in shown_cases]
    events = _by(db.session.execute(q.events, where), lambda e: e.case_id)
    # one extension per case (Art. 42): its reason, from the event's body
    reasons = {case_id: ingest.extension_reason_of(body)
               for case_id, body in db.session.execute(q.extension_bodies, where)}
    suspensions = _by(db.session.scalars(q.suspensions, where), lambda s: s.case_id)
    clock_rows = {c.id: c for c in db.session.scalars(q.clocks, where)}
    entries = list(db.session.execute(q.entries, where))
    extensions = _by((e for e in entries if e.kind == "extend"), lambda e: e.clock_id)
    service = {c.engagement_id: c for c in clock_rows.values()
               if c.kind == ClockKind.SERVICE.value}
    # the project counts in its owner's tenant's calendar: the tenant of its requests and
    # clocks (read above) when they agree, as they do unless the owner moved; a clock of
    # another tenant is read in its own
    seen = {c.tenant_id for c in clock_rows.values()} | {r.tenant_id for r in requests}
    tenant = seen.pop() if len(seen) == 1 else project_tenant(project.id)
    revision, cal = clocks.calendar_state(tenant)

    def clock_view(clock: Clock) -> ClockView:
        if clock.tenant_id == tenant:
            return clocks.view(clock, now, cal, revision)
        return clocks.view(clock, now)

    # each service clock's view serves its engagement's line and the timeline's due date
    service_views = {c.id: clock_view(c) for c in service.values()}

    def view(clock: Clock | None) -> ClockView | None:
        if clock is None:
            return None
        shown = service_views.get(clock.id)
        return shown if shown is not None else clock_view(clock)

    def case_data(case: ApprovalCase, matter_code: str, department_code: str) -> dict[str, Any]:
        clock = clock_rows.get(case.clock_id) if case.clock_id is not None else None
        return {"case_no": case.case_no, "id": case.public_id, "matter_code": matter_code,
                "department_code": department_code, "state": case.state,
                "acceptance": case.acceptance,
                "tolerated_until": case.tolerated_until.isoformat() if case.tolerated_until
                else None,
                "clock": ingest.clock_answer(case, view(clock), suspensions.get(case.id, []),
                                             extensions.get(case.clock_id or 0, []),
                                             reasons.get(case.id)),
                "events": [{"event_id": e.event_id, "type": e.type, "at": e.at.isoformat()}
                           for e in events.get(case.id, [])]}

    def engagement_data(eng: Engagement, service_type_code: str, agency: str) -> dict[str, Any]:
        shown = view(service.get(eng.id))
        return {"id": eng.public_id, "service_type_code": service_type_code,
                "agency": agency, "committed_days": eng.service_days,
                "used_days": shown.used if shown else 0, "state": eng.state,
                "due_date": shown.due_date.isoformat() if shown and shown.due_date else None}

    split = project_split(project.id, now, cal, revision=revision, tenant=tenant, rows=ProjectRows(
        cases=cases, events={k: [(e.type, e.at) for e in v] for k, v in events.items()},
        suspensions=suspensions, clocks=clock_rows, logs=clock_logs(entries),
        engagements=engagements, requests=requests, views=service_views))
    return {"code": project.code, "name": project.name, "owner": owner,
            "cases": [case_data(*row) for row in shown_cases],
            "selection_requests": [{"id": r.public_id, "service_type_code": code,
                                    "state": r.state} for r, code in shown_requests],
            "engagements": [engagement_data(*row) for row in shown_engagements],
            "timeline_days": {k: int(v) for k, v in sorted(split.days.items())},
            "timeline_span": {"start": split.start.isoformat() if split.start else None,
                              "end": split.end.isoformat() if split.end else None,
                              "total_days": split.total,
                              "priority": [b.value for b in PRIORITY]}}


def deliverables_of(eng: Engagement) -> list[Deliverable]:
    return list(db.session.scalars(sa.select(Deliverable).where(
        Deliverable.engagement_id == eng.id).order_by(Deliverable.version)))


STATE_OF_DECISION = {"pending": "submitted", "accepted": "accepted", "returned": "returned",
                     "withdrawn": "withdrawn"}
