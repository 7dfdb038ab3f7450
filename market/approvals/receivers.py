"""What approval cases do when an engagement starts or ends (receivers of domain events,
connected by ``create_app``): a case waiting for the service is suspended while the agency
works, and resumes by itself at acceptance or cancellation."""

from __future__ import annotations

from market import events
from market.approvals import operations as ops
from market.db import db
from market.engagements.models import Engagement


def _engagement(event: events.EngagementEvent) -> Engagement:
    eng = db.session.get(Engagement, event.engagement_id)
    if eng is None:
        raise LookupError(f"engagement {event.engagement_id} of {event.name} not found")
    return eng


def engagement_started(event: events.EngagementStarted) -> None:
    ops.engagement_started(_engagement(event))


def engagement_accepted(event: events.EngagementAccepted) -> None:
    ops.engagement_finished(_engagement(event), "acceptance")


def engagement_cancelled(event: events.EngagementCancelled) -> None:
    ops.engagement_finished(_engagement(event), "cancel")
