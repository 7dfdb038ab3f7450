"""Replaying a delivery (重新推送): an operator asks for one more attempt, same ``webhook-id``.

A pending delivery is simply made due now; a delivered or given-up one gets one attempt the
next time the sender runs, outside the retry schedule and the project's order (it was sent, or
given up, already).  A cancelled one (endpoint removed, client revoked) is not replayed.
"""

from __future__ import annotations

from market import timeutil
from market.accounts import audit
from market.i18n import N_
from market.integration.models import DeliveryState, WebhookDelivery
from market.refusal import Refused


class ReplayError(Refused):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.field, self.message = None, message


def can_replay(row: WebhookDelivery) -> bool:
    return row.state != DeliveryState.CANCELLED and row.endpoint.removed_at is None \
        and row.endpoint.client.revoked_at is None


def request_replay(row: WebhookDelivery, by_user_id: int | None = None) -> None:
    """An operator asks for one more attempt of ``row`` (see the module)."""
    if not can_replay(row):
        raise ReplayError(N_("推送地址已删除或接入系统已停用，不能重新推送。"))
    now = timeutil.now()
    if row.state == DeliveryState.PENDING:
        row.next_attempt_at = now
    else:
        row.replay_requested_at = now
    audit.record("operator:webhook-delivery:replay", str(row.id),
                 {"message": row.message.public_id, "endpoint": row.endpoint.public_id,
                  "state": row.state}, user_id=by_user_id)
