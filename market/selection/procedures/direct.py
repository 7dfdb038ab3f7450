"""Direct selection (直接选取): the owner names an eligible agency (social funds, or a fee under
the threshold); no window, no draw, no alternate — the named agency confirms or the request
fails."""

from __future__ import annotations

from datetime import datetime

from market.selection.award import offer_award
from market.selection.models import Method, RequestState, SelectionRequest
from market.selection.procedures.base import Procedure


class Direct(Procedure):
    method = Method.DIRECT.value

    def publish(self, request: SelectionRequest, now: datetime) -> None:
        super().publish(request, now)
        # no window: the named agency is offered the award now and must confirm
        request.signup_closes_at = now
        request.closed_at = now
        request.state = RequestState.SELECTED.value
        offer_award(request, None, request.direct_agency.public_id, 0, now)
