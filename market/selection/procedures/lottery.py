"""Random selection (随机抽取) and credit merit (信用择优): agencies sign up at the published
price, the pool is frozen at the close (credit merit first keeps the better half by credit
score), and a verifiable draw (lottery-v1) ranks it; the award passes down that ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market.accounts.models import User
from market.credit.score import scores_for
from market.domain.credit import Scored, credit_cut
from market.selection import draw
from market.selection.award import offer_award
from market.selection.models import (
    Award,
    Lottery,
    LotteryState,
    Method,
    RequestState,
    SelectionRequest,
    SignUp,
)
from market.selection.procedures.base import Alternate, Procedure, closed_refusal
from market.transparency import log


class RandomDraw(Procedure):
    """随机抽取: every eligible agency signed up has the same chance."""

    method = Method.LOTTERY.value

    def publish(self, request: SelectionRequest, now: datetime) -> None:
        super().publish(request, now)
        draw.announce(request, replaces=None)

    def amended(self, request: SelectionRequest, reason: str) -> None:
        draw.reannounce(request, reason)

    def withdraw_open(self, request: SelectionRequest, lottery: Lottery | None, reason: str,
                      user: User) -> datetime:
        at = log.next_time()
        if lottery is None or lottery.state != LotteryState.OPEN or at >= request.signup_closes_at:
            raise closed_refusal()
        draw.void(lottery, f"业主撤销公告：{reason}"[:500], user.account_id, at=at)
        return at

    def close(self, request: SelectionRequest) -> None:
        draw.close(request)

    def redraw(self, request: SelectionRequest, voided: Lottery) -> None:
        draw.restart(request, voided)

    def drawn(self, request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
              at: datetime) -> None:
        request.state = RequestState.SELECTED.value
        for rank, agency_id in enumerate(record["winners"]):
            offer_award(request, lottery.lottery_id, agency_id, rank, at)

    def next_alternate(self, award: Award, lottery: Lottery | None, from_lottery: str | None,
                       reason: str, by: str, at: datetime) -> Alternate | None:
        if lottery is None or lottery.record is None or from_lottery is None:
            return None
        return Alternate(from_lottery, lottery.lottery_id,
                         list(lottery.record["ranking"]).index(from_lottery))

    def rerun(self, request: SelectionRequest, voided: Lottery | None, reason: str,
              regulator: User) -> None:
        if voided is None:
            super().rerun(request, voided, reason, regulator)
        else:
            draw.restart(request, voided)


def credit_cut_items(lottery: Lottery, eligible: list[SignUp], minimum: int,
                     at: datetime) -> list[tuple[str, str, dict[str, Any]]]:
    """Credit merit (信用择优) at the close: rank the eligible by credit score, keep the top half
    (at least ``minimum``; everyone tied with the last kept stays, and the draw decides among
    them); the others leave the pool as ``exclude`` events with their score in the reason."""
    scores = scores_for([s.agency_org_id for s in eligible])
    by_id = {s.agency.public_id: s for s in eligible}
    kept, out = credit_cut([Scored(a, scores[s.agency_org_id]) for a, s in by_id.items()],
                           minimum)
    bar = min(scores[by_id[a].agency_org_id] for a in kept)
    items: list[tuple[str, str, dict[str, Any]]] = []
    for agency_id in out:
        s = by_id[agency_id]
        text = (f"信用择优：信用分 {scores[s.agency_org_id]} 分，未进入前一半"
                f"（入围 {len(kept)} 家，入围线 {bar} 分）")
        s.excluded_at, s.exclude_reason = at, text
        items.append(("exclude", lottery.lottery_id,
                      {"agency_id": agency_id, "reason": text, "by": draw.SYSTEM}))
    return items


class CreditMerit(RandomDraw):
    """信用择优: as a random draw, among the better half by credit score at the close."""

    method = Method.CREDIT_MERIT.value

    def close(self, request: SelectionRequest) -> None:
        draw.close(request, credit_cut_items)
