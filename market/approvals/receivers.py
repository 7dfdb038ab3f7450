"""What approval cases do when an engagement ends (receivers of domain events, connected by
``create_app``): a special procedure the department linked to it ends by itself at the
deliverable's acceptance or the engagement's cancellation, and the case's clock runs again.
An engagement starting changes no case (integration.md §1: the department opens special
procedures)."""

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


def engagement_accepted(event: events.EngagementAccepted) -> None:
    ops.engagement_finished(_engagement(event), "acceptance")


def engagement_cancelled(event: events.EngagementCancelled) -> None:
    ops.engagement_finished(_engagement(event), "cancel")
