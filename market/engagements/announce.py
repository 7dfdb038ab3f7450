"""The engagements' domain events (:mod:`market.events`), sent by the operations after their
change and inside its transaction: receivers (the webhook outbox) write in the same commit."""

from __future__ import annotations

from typing import Any

from market import events, timeutil
from market.engagements.models import Deliverable, Engagement


def engagement(kind: type[events.EngagementEvent], eng: Engagement, **extra: Any) -> None:
    events.send(kind(at=timeutil.now(), engagement_id=eng.id,
                     engagement_public_id=eng.public_id, project_code=eng.project.code,
                     **extra))


def deliverable(kind: type[events.DeliverableEvent], eng: Engagement, d: Deliverable) -> None:
    engagement(kind, eng, deliverable_id=d.id)
