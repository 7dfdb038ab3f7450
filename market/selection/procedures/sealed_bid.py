"""Sealed bids (密封报价): quotes sealed to the regulators' opening keys until the opening, the
lowest valid quote wins (a tie among the lowest is drawn, lottery-v1), and the award passes
up the quotes' ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market import timeutil
from market.accounts.models import User
from market.i18n import N_
from market.selection import bidlog, opening, sealed
from market.selection.award import awards_of
from market.selection.errors import SelectionError
from market.selection.logtext import event_text
from market.selection.models import Award, Lottery, Method, RequestState, SelectionRequest
from market.selection.procedures.base import Alternate, Procedure, new_window


class SealedBid(Procedure):
    method = Method.SEALED_BID.value

    def publish(self, request: SelectionRequest, now: datetime) -> None:
        opening.assign(request)  # refused (and told why) when too few opening keys exist
        super().publish(request, now)

    def amended(self, request: SelectionRequest, reason: str) -> None:
        if request.sealing is None:
            opening.assign(request)  # a request amended into a sealed bid is sealed to the keys

    def withdraw_open(self, request: SelectionRequest, lottery: Lottery | None, reason: str,
                      user: User) -> datetime:
        at = timeutil.now()
        if request.opened_at is not None or at >= request.signup_closes_at:
            raise SelectionError(None, N_("报价已截止，不能再撤销。"))
        bidlog.append("void", request.public_id, {
            "round": request.bid_round, "reason": f"业主撤销公告：{reason}"[:500],
            "decided_by": user.account_id})
        return at

    def close(self, request: SelectionRequest) -> None:
        sealed.open_bids(request)

    def redraw(self, request: SelectionRequest, voided: Lottery) -> None:
        sealed.redo_tie(request, voided)

    def drawn(self, request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
              at: datetime) -> None:
        sealed.after_tie_draw(request, lottery, record, at)

    def next_alternate(self, award: Award, lottery: Lottery | None, from_lottery: str | None,
                       reason: str, by: str, at: datetime) -> Alternate | None:
        """The next agency of the tie-break draw's ranking while there is one, then the next
        lowest quote not yet offered."""
        request = award.request
        offered = {a.agency.public_id for a in awards_of(request)}
        ranking = sealed.full_ranking(request)
        replacement = next((a for a in ranking if a not in offered), None)
        if from_lottery is not None:
            replacement = from_lottery
        bidlog.append("decline", request.public_id, {
            "agency_id": award.agency.public_id, "reason": event_text(reason, "reason"),
            "replacement": replacement, "by": by}, at=max(at, bidlog.next_time()))
        if replacement is None:
            return None
        return Alternate(replacement, award.lottery_id if replacement == from_lottery else None,
                         ranking.index(replacement), sealed.amount_of(request, replacement))

    def rerun(self, request: SelectionRequest, voided: Lottery | None, reason: str,
              regulator: User) -> None:
        bidlog.append("void", request.public_id, {"round": request.bid_round,
                                                  "reason": event_text(reason, "reason"),
                                                  "decided_by": regulator.account_id})
        new_window(request)
        request.bid_round += 1
        opening.next_round(request)
        request.opened_at = None
        request.state = RequestState.OPEN.value
        request.version += 1
