"""What an engagement does when something happens to the award it came from (receivers of
domain events, connected by ``create_app``)."""

from __future__ import annotations

from market import events
from market.engagements import operations as ops


def award_voided(event: events.AwardVoided) -> None:
    """An upheld objection voided the award: its engagement, if one started, is cancelled."""
    ops.cancel_for_lost_award(event.award_id)


def award_passed(event: events.AwardPassed) -> None:
    """The award passed to the next alternate (an upheld objection whose notice named it, among
    others): its engagement, if one started and is still open, is cancelled."""
    ops.cancel_for_lost_award(event.award_id)
