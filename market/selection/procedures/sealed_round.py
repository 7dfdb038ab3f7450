"""What the two sealed methods share (密封报价 and 方案择优): a round sealed to the opening
keys, withdrawn only before its deadline, passed down its ranking after a decline, and run
again as a new round after an upheld objection."""

from __future__ import annotations

from datetime import datetime

from market import timeutil
from market.accounts.models import User
from market.selection import bidlog, opening
from market.selection.award import awards_of
from market.selection.errors import SelectionError
from market.selection.logtext import event_text
from market.selection.models import Award, Lottery, RequestState, SelectionRequest
from market.selection.procedures.base import Alternate, Procedure, new_window


class SealedRound(Procedure):
    """A sealed method's steps around its opening; the method says how it ranks and quotes."""

    #: what the owner is told when withdrawing after the deadline
    closed_message: str = ""

    def ranking(self, request: SelectionRequest) -> list[str]:
        """Every ranked agency's public id, best first (a tie in the order its draw gave)."""
        raise NotImplementedError

    def quote(self, request: SelectionRequest, agency_id: str) -> int | None:
        """The fee ``agency_id`` quoted, in fen (None: the request's)."""
        raise NotImplementedError

    def publish(self, request: SelectionRequest, now: datetime) -> None:
        opening.assign(request)  # refused (and told why) when too few opening keys exist
        super().publish(request, now)

    def amended(self, request: SelectionRequest, reason: str) -> None:
        if request.sealing is None:
            opening.assign(request)  # a request amended into a sealed method is sealed to the keys

    def withdraw_open(self, request: SelectionRequest, lottery: Lottery | None, reason: str,
                      user: User) -> datetime:
        at = timeutil.now()
        if request.opened_at is not None or at >= request.signup_closes_at:
            raise SelectionError(None, self.closed_message)
        bidlog.append("void", request.public_id, {
            "round": request.bid_round, "reason": f"业主撤销公告：{reason}"[:500],
            "decided_by": user.account_id})
        return at

    def next_alternate(self, award: Award, lottery: Lottery | None, from_lottery: str | None,
                       reason: str, by: str, at: datetime) -> Alternate | None:
        """The next agency of the tie-break draw's ranking while there is one, then the next
        of the method's ranking not yet offered."""
        request = award.request
        offered = {a.agency.public_id for a in awards_of(request)}
        ranking = self.ranking(request)
        replacement = from_lottery if from_lottery is not None else next(
            (a for a in ranking if a not in offered), None)
        bidlog.append("decline", request.public_id, {
            "agency_id": award.agency.public_id, "reason": event_text(reason, "reason"),
            "replacement": replacement, "by": by}, at=max(at, bidlog.next_time()))
        if replacement is None:
            return None
        return Alternate(replacement, award.lottery_id if replacement == from_lottery else None,
                         ranking.index(replacement), self.quote(request, replacement))

    def rerun(self, request: SelectionRequest, voided: Lottery | None, reason: str,
              regulator: User) -> None:
        """A new round: a new window from today, sealed to the keys active now."""
        bidlog.append("void", request.public_id, {"round": request.bid_round,
                                                  "reason": event_text(reason, "reason"),
                                                  "decided_by": regulator.account_id})
        new_window(request)
        request.bid_round += 1
        opening.next_round(request)
        request.opened_at = None
        request.state = RequestState.OPEN.value
        request.version += 1
