"""What the stored credit score does when a sanction is issued (a receiver of
``sanction.issued``, connected by ``create_app``)."""

from __future__ import annotations

from market import events
from market.credit.score import recompute


def sanction_issued(event: events.SanctionIssued) -> None:
    recompute(event.agency_org_id)
