"""Sealed bids (密封报价): quotes sealed to the regulators' opening keys until the opening, the
lowest valid quote wins (a tie among the lowest is drawn, lottery-v1), and the award passes
up the quotes' ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market.i18n import N_
from market.selection import sealed
from market.selection.models import Lottery, Method, SelectionRequest
from market.selection.procedures.sealed_round import SealedRound


class SealedBid(SealedRound):
    method = Method.SEALED_BID.value
    closed_message = N_("报价已截止，不能再撤销。")

    def ranking(self, request: SelectionRequest) -> list[str]:
        return sealed.full_ranking(request)

    def quote(self, request: SelectionRequest, agency_id: str) -> int | None:
        return sealed.amount_of(request, agency_id)

    def close(self, request: SelectionRequest) -> None:
        sealed.open_bids(request)

    def redraw(self, request: SelectionRequest, voided: Lottery) -> None:
        sealed.redo_tie(request, voided)

    def drawn(self, request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
              at: datetime) -> None:
        sealed.after_tie_draw(request, lottery, record, at)
