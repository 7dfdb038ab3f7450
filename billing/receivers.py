"""What billing does when an engagement's contract is confirmed, when it is accepted and when
it is cancelled (receivers of domain events, connected by ``create_app``).  Billing knows an
engagement only by what the events carry, never by the market's engagement rows."""

from __future__ import annotations

from billing.integration import backend, release_if_paid
from billing.interface import EngagementRef
from billing.models import BillingEngagement
from market import events
from market.db import db


def contract_confirmed(event: events.ContractConfirmed) -> None:
    """The fee falls due from the owner."""
    backend().open_engagement(EngagementRef(event.engagement_id, event.owner_org_id,
                                            event.agency_org_id, event.fee_fen))


def engagement_accepted(event: events.EngagementAccepted) -> None:
    """From now on the funds may be released; released at once if already paid in full."""
    backend().mark_accepted(event.engagement_id)
    release_if_paid(event.engagement_id)


def engagement_cancelled(event: events.EngagementCancelled) -> None:
    """What the owner had not paid is no longer owed (only once the fee had fallen due)."""
    if db.session.get(BillingEngagement, event.engagement_id) is not None:
        backend().cancel(event.engagement_id)
