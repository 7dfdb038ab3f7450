"""The agency's public record (业绩): orders, on-time rate and days used against committed, from
its accepted engagements — shown on its public profile and in the directory."""

from __future__ import annotations

import sqlalchemy as sa

from market.agencies.models import AgencyProfile
from market.db import db
from market.engagements.models import Engagement, EngagementState


def refresh_agency_record(agency_org_id: int) -> None:
    """Recompute the agency's orders, on-time rate and average days against committed from its
    accepted engagements (shown on its public profile and in the directory)."""
    profile = db.session.get(AgencyProfile, agency_org_id)
    if profile is None:
        return
    rows = db.session.execute(sa.select(Engagement.on_time, Engagement.days_used,
                                        Engagement.service_days).where(
        Engagement.agency_org_id == agency_org_id,
        Engagement.state == EngagementState.ACCEPTED.value)).all()
    profile.orders = len(rows)
    if not rows:
        profile.on_time_rate_bp = None
        profile.average_days_ratio_bp = None
        return
    profile.on_time_rate_bp = sum(1 for r in rows if r.on_time) * 10_000 // len(rows)
    committed = sum(r.service_days for r in rows)
    profile.average_days_ratio_bp = sum(r.days_used or 0 for r in rows) * 10_000 // committed
