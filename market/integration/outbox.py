"""The webhook outbox (推送发件箱): the domain events' receiver.

Connected to the domain events (:mod:`market.events`) by ``create_app``, it runs inside the
transaction of the change that sent the event, so a delivery exists exactly when the change
commits.  For each event type of shared/spec/integration.md §5 it finds the endpoints that
subscribed to it and whose client may see the project (:mod:`.visibility`), freezes the body
once (:class:`WebhookMessage`: every attempt sends the same bytes under the same
``webhook-id``) and queues one :class:`WebhookDelivery` per endpoint, due at once.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import sqlalchemy as sa

from market import events, timeutil
from market.approvals.models import ApprovalCase
from market.clocks import store as clocks
from market.clocks.models import Clock
from market.db import db
from market.engagements.models import Deliverable, Engagement
from market.integration.models import (
    ApiClient,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from market.integration.visibility import EVENT_SCOPES, departments_of_project, may_see_project

HEARD: tuple[type[events.Event], ...] = (
    events.EngagementStarted, events.EngagementPaused, events.EngagementResumed,
    events.EngagementOverdue, events.DeliverableSubmitted, events.DeliverableAccepted,
    events.DeliverableReturned, events.CaseClockWarning, events.CaseClockOverdue,
)


def connect() -> None:
    for kind in HEARD:
        events.connect(kind, on_event)


def _rfc3339(value: Any) -> str:
    return timeutil.iso_z(value)


def _engagement_data(event: events.EngagementEvent) -> dict[str, Any]:
    data: dict[str, Any] = {"engagement_id": event.engagement_public_id}
    row = db.session.get(Engagement, event.engagement_id)
    if row is not None:
        data.update(service_type=row.service_type.code, agency_id=row.agency.public_id,
                    committed_days=row.service_days, state=row.state)
    return data


def _deliverable_data(event: events.DeliverableEvent) -> dict[str, Any]:
    data = _engagement_data(event)
    row = db.session.get(Deliverable, event.deliverable_id)
    if row is not None:
        data.update(version=row.version, sha256=row.sha256, size=row.size,
                    decision=row.decision)
    return data


def _case_data(event: events.CaseClockEvent) -> dict[str, Any]:
    """The case, and its clock as the event saw it: the receiver learns which due date the
    warning or lateness is about (a new due date, after an extension, is announced again)."""
    data: dict[str, Any] = {"case_id": event.case_public_id}
    row = db.session.get(ApprovalCase, event.case_id)
    if row is not None:
        data.update(case_no=row.case_no, matter_code=row.matter.code, state=row.state)
        clock = db.session.get(Clock, row.clock_id) if row.clock_id else None
        if clock is not None:
            view = clocks.view(clock, event.at)
            data.update(clock_state=view.state, used_days=view.used,
                        remaining_days=view.remaining, overdue_days=view.overdue_by,
                        due_date=view.due_date.isoformat() if view.due_date else None)
    return data


def event_data(event: events.Event) -> dict[str, Any]:
    """The ``data`` of an event's webhook: public ids, and what the receiver needs to act."""
    if isinstance(event, events.DeliverableEvent):
        return _deliverable_data(event)
    if isinstance(event, events.EngagementEvent):
        return _engagement_data(event)
    if isinstance(event, events.CaseClockEvent):
        return _case_data(event)
    raise TypeError(f"no webhook data for {event.name}")


def audience(event_type: str, project_code: str) -> list[WebhookEndpoint]:
    """The live endpoints that subscribed to ``event_type`` and may hear about the project."""
    scope = EVENT_SCOPES[event_type]
    rows = db.session.execute(
        sa.select(WebhookEndpoint, ApiClient).join(ApiClient, ApiClient.id ==
                                                   WebhookEndpoint.client_id)
        .where(WebhookEndpoint.removed_at.is_(None), ApiClient.revoked_at.is_(None))
        .order_by(WebhookEndpoint.id)).all()
    wanted = [(e, c) for e, c in rows if event_type in (e.events or [])
              and scope in c.scope_list()]
    if not wanted:
        return []
    departments = departments_of_project(project_code) if any(
        c.department_id is not None for _e, c in wanted) else set()
    return [e for e, c in wanted if may_see_project(c, project_code, departments)]


def on_event(event: events.Event) -> None:
    """Queue the event's webhook for every endpoint that may hear it (nothing when none)."""
    project_code: str = getattr(event, "project_code", "")
    if event.name not in EVENT_SCOPES or not project_code:
        return
    targets = audience(event.name, project_code)
    if not targets:
        return
    now = timeutil.now()
    msg_id = "msg_" + secrets.token_hex(12)
    body = {"id": msg_id, "type": event.name, "occurred_at": _rfc3339(event.at),
            "project_code": project_code, "data": event_data(event)}
    message = WebhookMessage(public_id=msg_id, type=event.name, project_code=project_code,
                             occurred_at=event.at, created_at=now,
                             body=json.dumps(body, ensure_ascii=False, separators=(",", ":")))
    db.session.add(message)
    for endpoint in targets:
        db.session.add(WebhookDelivery(message=message, endpoint_id=endpoint.id,
                                       project_code=project_code, next_attempt_at=now))
    db.session.flush()
