"""What a machine client reads back (shared/spec/integration.md §4): a project with its cases,
clocks, case events, selection requests, engagements and timeline buckets; an engagement's
deliverables with their hashes.  Only what :mod:`.visibility` lets the client see: anything
else is not found, so a client cannot learn which project codes exist."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.approvals import ingest
from market.approvals.models import ApprovalCase, CaseEvent
from market.approvals.timeline import project_split
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockKind
from market.db import db
from market.domain.timeline import PRIORITY
from market.engagements.models import Deliverable, Engagement
from market.integration import visibility
from market.integration.models import ApiClient
from market.selection.models import Project, SelectionRequest


def visible_project(client: ApiClient, code: str) -> Project | None:
    """The project of this 投资项目代码 if ``client`` may see it."""
    project = db.session.scalar(sa.select(Project).where(Project.code == code))
    if project is None or not visibility.may_see_project(client, project.code):
        return None
    return project  # type: ignore[no-any-return]


def visible_engagement(client: ApiClient, public_id: str) -> Engagement | None:
    """The engagement of this id if ``client`` may see its project."""
    eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == public_id))
    if eng is None or not visibility.may_see_project(client, eng.project.code):
        return None
    return eng  # type: ignore[no-any-return]


def case_data(case: ApprovalCase) -> dict[str, Any]:
    events = db.session.scalars(sa.select(CaseEvent).where(
        CaseEvent.case_id == case.id).order_by(CaseEvent.id))
    return {"case_no": case.case_no, "id": case.public_id, "matter_code": case.matter.code,
            "department_code": case.matter.department.code, "state": case.state,
            "acceptance": case.acceptance,
            "tolerated_until": case.tolerated_until.isoformat() if case.tolerated_until
            else None,
            "clock": ingest.clock_json(case),
            "events": [{"event_id": e.event_id, "type": e.type, "at": e.at.isoformat()}
                       for e in events]}


def engagement_data(eng: Engagement, now: datetime) -> dict[str, Any]:
    service = db.session.scalar(sa.select(Clock).where(
        Clock.engagement_id == eng.id, Clock.kind == ClockKind.SERVICE.value))
    view = clocks.view(service, now) if service is not None else None
    return {"id": eng.public_id, "service_type_code": eng.service_type.code,
            "agency": eng.agency.name, "committed_days": eng.service_days,
            "used_days": view.used if view else 0, "state": eng.state,
            "due_date": view.due_date.isoformat() if view and view.due_date else None}


def project_data(project: Project) -> dict[str, Any]:
    """The project as §4 shows it (the caller checked visibility)."""
    now = timeutil.now()
    cases = db.session.scalars(sa.select(ApprovalCase).where(
        ApprovalCase.project_id == project.id).order_by(ApprovalCase.id))
    requests = db.session.scalars(sa.select(SelectionRequest).where(
        SelectionRequest.project_id == project.id).order_by(SelectionRequest.id))
    engagements = db.session.scalars(sa.select(Engagement).where(
        Engagement.project_id == project.id).order_by(Engagement.id))
    split = project_split(project.id, now)
    return {"code": project.code, "name": project.name, "owner": project.owner.name,
            "cases": [case_data(c) for c in cases],
            "selection_requests": [{"id": r.public_id, "service_type_code": r.service_type.code,
                                    "state": r.state} for r in requests],
            "engagements": [engagement_data(e, now) for e in engagements],
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
