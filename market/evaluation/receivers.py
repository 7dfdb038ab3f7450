"""What the agency's public record does when an engagement is accepted (a receiver of
``engagement.accepted``, connected by ``create_app``)."""

from __future__ import annotations

from market import events
from market.db import db
from market.engagements.models import Engagement
from market.evaluation.records import refresh_agency_record


def engagement_accepted(event: events.EngagementAccepted) -> None:
    eng = db.session.get(Engagement, event.engagement_id)
    if eng is not None:
        refresh_agency_record(eng.agency_org_id)
