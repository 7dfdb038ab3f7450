"""Sealed bids (密封报价): quotes sealed to the regulators' opening keys until the opening, the
lowest valid quote wins (a tie among the lowest is drawn, lottery-v1), and the award passes
up the quotes' ranking."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from market.accounts.models import Organisation
from market.domain import quotes as quote_rules
from market.i18n import N_
from market.selection import quotes, sealed
from market.selection.models import Lottery, Method, Project, SelectionRequest
from market.selection.procedures.base import NoticeView
from market.selection.procedures.sealed_round import SealedRound
from market.selection.terms import Problem, RequestInput


class SealedBid(SealedRound):
    method = Method.SEALED_BID.value
    closed_message = N_("报价已截止，不能再撤销。")
    cap_required_text = N_("密封报价须设最高限价（可设最低限价），报价在此范围内。")
    delegate_witness_text = N_("密封报价的见证人中须至少有一名本单位的采购受托人（开标时如有并列最低价，须现场见证摇号）。")

    def check_terms(self, owner: Organisation, project: Project | None, data: RequestInput,
                    now: datetime, found: list[Problem]) -> None:
        # the kind of quote and the abnormally low quote rule
        if data.quote_kind not in quote_rules.QUOTE_KINDS:
            found.append(Problem("quote_kind", N_("请选择报价方式。")))
        elif (data.quote_kind == quote_rules.RATE and data.cap_fen is not None
              and data.cap_fen < quote_rules.MIN_RATE_BASE_FEN):
            found.append(Problem("cap", N_("按下浮率报价时，基准价（最高限价）不得低于 100 元。")))
        problem = quote_rules.low_rule_problem(data.low_share_bp, data.low_action)
        if problem == "share":
            found.append(Problem("low_share", N_("异常低价线须在 1 至 50 之间（低于其他有效报价平均值的百分比）；不设此规则请留空。")))
        elif problem == "action":
            found.append(Problem("low_action", N_("请选择异常低价的处理方式。")))

    def apply_terms(self, request: SelectionRequest, data: RequestInput) -> None:
        super().apply_terms(request, data)
        request.quote_kind = data.quote_kind
        request.low_share_bp = data.low_share_bp
        request.low_action = data.low_action if data.low_share_bp is not None else None

    def notice_view(self, request: SelectionRequest) -> NoticeView:
        bids = quotes.current_bids(request)
        return NoticeView(bids=bids, registrants=len(bids))

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
