"""Sealed bids (密封报价): quotes sealed on arrival, committed in the bid log, opened by their keys.

Who may call: :func:`submit` an admitted, eligible agency (its own quote); :func:`open_bids`
a key holder's presentation (:func:`market.selection.procedures.present_key`), anyone's page view or
``flask selection tick`` once the opening time has passed (lazy, exactly once under the
request's row lock).

At rest a quote is only its sealed-bid/v1 commitment and ``u64(amount) || nonce`` encrypted:
for a request sealed to opening keys (``sealing = 'opening_key'``), under a per-quote key whose
shares are sealed to the regulators' opening keys (:mod:`market.selection.opening`), so the
platform opens nothing until enough key holders present their keys; for a request published
before opening keys (``'platform'``), with ``crypto.seal("sealed-bid", request id, …)`` under
the data key, opened at the deadline by the platform as before.  No column holds an amount
before the opening, and no view reads ``sealed``.  At the opening every current quote is
decrypted, checked against its commitment and published with its nonce (``open`` event of the
bid log, ``Bid.amount_fen``/``nonce``); the lowest valid quote wins, and a tie is broken by an
agency-lottery/v1 draw among the tied.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from cryptography.exceptions import InvalidTag

from market import crypto, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.db import db, lock_row
from market.domain import quotes
from market.domain import sealed_bid as sb
from market.domain.calendar import local_date
from market.domain.eligibility import ineligibility
from market.domain.fees import format_yuan
from market.i18n import N_
from market.selection import bidlog, opening, ties
from market.selection.award import confirm_by, explanation_due, offer_award
from market.selection.eligibility import REASON_TEXT, agency_facts_many, reasons, request_facts
from market.selection.errors import SelectionError
from market.selection.logtext import one_line
from market.selection.models import (
    Award,
    AwardState,
    Bid,
    Lottery,
    Method,
    RequestState,
    SelectionRequest,
)
from market.selection.quotes import PURPOSE, current_bids, my_bid

SYSTEM = "system"


def _seal(request: SelectionRequest, amount_fen: int, nonce: bytes) -> bytes:
    return crypto.seal(PURPOSE, request.public_id, amount_fen.to_bytes(8, "big") + nonce)


def _unseal(request: SelectionRequest, sealed: bytes) -> tuple[int, bytes]:
    return _split(crypto.unseal(PURPOSE, request.public_id, sealed))


def _split(plain: bytes) -> tuple[int, bytes]:
    if len(plain) != 8 + sb.NONCE_BYTES:
        raise ValueError("sealed quote has the wrong length")
    return int.from_bytes(plain[:8], "big"), plain[8:]


def submit(request: SelectionRequest, agency: Organisation, user: User, amount_fen: int | None,
           rate_bp: int | None = None) -> Bid:
    """Seal and commit a quote (报价), or replace this agency's current one, before the
    deadline.  The receipt holds the commitment, never the amount.  When the notice asks for
    a discount rate (下浮率) the quote is ``rate_bp`` and what is sealed and committed is its
    fee, ``base × (1 − rate)`` rounded half up to the fen (sealed-bid/v1 unchanged: the
    base is at least 100 yuan, so the opened fee names its rate)."""
    request = lock_row(SelectionRequest, request.id)
    at = bidlog.next_time()
    if request.method != Method.SEALED_BID or request.state != RequestState.OPEN:
        raise SelectionError(None, N_("该公告不在报价期。"))
    if at >= request.signup_closes_at:
        raise SelectionError("amount", N_("报价已于 %(at)s 截止。"),
                             at=request.signup_closes_at.astimezone(timeutil.SHANGHAI)
                             .strftime("%Y-%m-%d %H:%M"))
    cap = request.cap_fen or 0
    if request.quote_kind == quotes.RATE:
        low, top = quotes.rate_range(cap, request.floor_fen)
        if rate_bp is None or not low <= rate_bp <= top:
            raise SelectionError("amount", N_("下浮率须在 %(low)s 与 %(top)s 之间（含两端，最多两位小数）。"),
                                 low=quotes.format_rate(low), top=quotes.format_rate(top))
        amount_fen = quotes.fee_at_rate(cap, rate_bp)
    if amount_fen is None or not sb.within(amount_fen, request.floor_fen, cap):
        raise SelectionError("amount", N_("报价须在最低限价 %(floor)s 元与最高限价 %(cap)s 元之间（含两端）。"),
                             floor=_yuan(request.floor_fen or 1), cap=_yuan(cap))
    problems = reasons(agency, request, local_date(at))
    if problems:
        raise SelectionError(None, N_("不符合报名条件：%(reasons)s"),
                             reasons="；".join(REASON_TEXT[r] for r in problems))
    old = my_bid(request, agency)
    nonce = os.urandom(sb.NONCE_BYTES)
    commitment = sb.commitment(request.public_id, agency.public_id, amount_fen, nonce).hex()
    plaintext = amount_fen.to_bytes(8, "big") + nonce
    if opening.sealed_to_keys(request):
        sealed, shares = opening.seal(request, agency.public_id, commitment, plaintext)
    else:
        sealed, shares = _seal(request, amount_fen, nonce), []
    event = bidlog.append("bid", request.public_id, {
        "round": request.bid_round, "agency_id": agency.public_id, "commitment": commitment,
        "replaces": old.commitment if old else None, "by": user.account_id}, at=at)
    if old is not None:
        old.replaced_at = at
    bid = Bid(request_id=request.id, round=request.bid_round, agency_org_id=agency.id,
              by_id=user.id, at=at, sealed=sealed,
              commitment=commitment, log_seq=event["seq"], receipt=bidlog.receipt(event))
    db.session.add(bid)
    db.session.flush()
    for share in shares:
        share.bid_id = bid.id
        db.session.add(share)
    audit.record("agency:bid:replace" if old else "agency:bid:submit", request.public_id,
                 {"agency": agency.public_id, "commitment": commitment})
    return bid


def _yuan(fen: int) -> str:
    return format_yuan(fen)


def open_bids(request: SelectionRequest) -> None:
    """The opening (开标): decrypt, check, publish, rank; exactly once (row lock + re-check).

    Quotes sealed to opening keys open when enough key holders have presented; until then
    this does nothing, and at the opening deadline the round lapses (:func:`opening.lapse`).
    A quote that cannot be decrypted (a key lost or changed, a ciphertext altered) stops the
    opening: the request stays unopened with ``opening_error`` set and shown on its pages, so
    the loss is reported and nothing is published from a partial set."""
    if opening.waits_for_keys(request):
        return
    request = lock_row(SelectionRequest, request.id)
    at = bidlog.next_time()
    if (request.method != Method.SEALED_BID or request.state != RequestState.OPEN
            or at < request.signup_closes_at):
        return
    bids = current_bids(request)
    opened: list[tuple[Bid, int, bytes]] = []
    try:
        if opening.sealed_to_keys(request) and bids:
            plain = opening.plaintexts(request, bids)
            if plain is None:
                if at >= opening.deadline(request):
                    opening.lapse(request, at)
                return
            for bid in bids:
                opened.append((bid, *_split(plain[bid.id])))
        else:
            for bid in bids:
                amount, nonce = _unseal(request, bid.sealed)
                opened.append((bid, amount, nonce))
    except (InvalidTag, ValueError, RuntimeError) as exc:
        message = (f"无法解密报价（{type(exc).__name__}）：密钥或密文与密封时不符，"
                   "开标中止，请运营人员和监管部门核查后重试。" if opening.sealed_to_keys(request)
                   else f"无法解密报价（{type(exc).__name__}）：保护报价的密钥已丢失或被更换，"
                   "开标中止，请运营人员恢复密钥后重试。")
        if request.opening_error != message:
            request.opening_error = message
            audit.record("system:bid:open-failed", request.public_id, {"error": type(exc).__name__})
        return
    request.opening_error = None
    opening.forget(request)
    close_day = local_date(request.signup_closes_at)
    facts = agency_facts_many([b.agency for b, _a, _n in opened], request.tenant_id)
    wanted = request_facts(request)
    valid: list[sb.OpenedBid] = []
    invalid: list[str] = []
    excluded: list[dict[str, str]] = []
    published = []
    for bid, amount, nonce in opened:
        bid.amount_fen, bid.nonce = amount, nonce.hex()
        bid.valid = sb.opens(bid.commitment, request.public_id, bid.agency.public_id, amount,
                             bid.nonce) and sb.within(amount, request.floor_fen, request.cap_fen or 0)
        published.append({"agency_id": bid.agency.public_id, "amount_fen": amount,
                          "nonce": bid.nonce, "commitment": bid.commitment})
        problems = ineligibility(facts[bid.agency_org_id], wanted, close_day)
        if not bid.valid:
            invalid.append(bid.commitment)
        elif problems:
            bid.valid = False
            excluded.append({"agency_id": bid.agency.public_id,
                             "reason": one_line("；".join(REASON_TEXT[r] for r in problems))})
        else:
            valid.append(sb.OpenedBid(bid.agency.public_id, amount))
    valid = _low_rule(request, [b for b, _a, _n in opened], valid, excluded)
    request.opened_at = at
    request.closed_at = at
    tied = sb.lowest(valid)
    tie_lottery: Lottery | None = None
    if not valid:
        request.state = RequestState.FAILED.value
        request.failed_reason = "没有有效报价，本次密封报价失败"
    elif len(tied) == 1:
        request.state = RequestState.SELECTED.value
    else:
        request.state = RequestState.CLOSED.value  # waiting for the tie-break draw
        tie_lottery = _announce_tie(request, tied, min(b.amount_fen for b in valid),
                                    replaces=ties.unreplaced_void(request))
    bidlog.append("open", request.public_id, {
        "round": request.bid_round, "bids": published, "invalid": invalid, "excluded": excluded,
        "winner": tied[0] if len(tied) == 1 else None,
        "tie_lottery": tie_lottery.lottery_id if tie_lottery else None}, at=at)
    if len(tied) == 1:
        offer_award(request, None, tied[0], 0, at, fee_fen=min(b.amount_fen for b in valid))
    audit.record("system:bid:open", request.public_id,
                 {"valid": len(valid), "invalid": len(invalid), "tied": len(tied)})


def _low_rule(request: SelectionRequest, bids: list[Bid], valid: list[sb.OpenedBid],
              excluded: list[dict[str, str]]) -> list[sb.OpenedBid]:
    """The notice's abnormally low quote rule (异常低价) at the opening: every valid quote more
    than the published share below the mean of the other valid quotes is marked; set aside
    (an ``excluded`` entry of the opening, with the rule in its reason) when the notice says
    so, else kept and awarded only once its agency explains it in writing.  Returns the
    quotes that stay valid."""
    if request.low_share_bp is None:
        return valid
    low = set(quotes.abnormally_low([quotes.Quote(b.agency_id, b.amount_fen) for b in valid],
                                    request.low_share_bp))
    for bid in bids:
        bid.abnormally_low = bid.agency.public_id in low
        if bid.abnormally_low and request.low_action == quotes.SET_ASIDE:
            bid.valid = False
            excluded.append({"agency_id": bid.agency.public_id, "reason": one_line(
                f"异常低价：低于其他有效报价平均值 {quotes.format_rate(request.low_share_bp)} 以上，"
                "按公告作无效报价处理")})
    if request.low_action == quotes.SET_ASIDE:
        return [b for b in valid if b.agency_id not in low]
    return valid


def explain_low(award: Award, agency: Organisation, user: User, text: str) -> Award:
    """The awarded agency explains its abnormally low quote in writing (异常低价书面说明), before
    its confirmation deadline, as the notice requires; the explanation is public.

    Who may call: the awarded agency's authorised representative (its own award).  Changes:
    the award's ``low_explanation``; without it the award cannot be confirmed and lapses."""
    text = text.strip()
    if not 1 <= len(text) <= 2000:
        raise SelectionError("text", N_("请写明书面说明（不超过 2000 字）。"))
    award = lock_row(Award, award.id)
    if award.agency_org_id != agency.id:
        raise SelectionError(None, N_("这不是本机构的中选结果。"))
    if award.state != AwardState.OFFERED or not explanation_due(award):
        raise SelectionError(None, N_("该中选结果无需或已不能提交异常低价说明。"))
    if timeutil.now() >= confirm_by(award):
        raise SelectionError(None, N_("确认期限已届满。"))
    award.low_explanation = text
    audit.record("agency:award:explain-low", award.request.public_id,
                 {"agency": agency.public_id, "by": user.account_id})
    return award


def _announce_tie(request: SelectionRequest, tied: list[str], amount_fen: int,
                  replaces: str | None) -> Lottery:
    """The tie-break draw among the lowest quotes, at the tied amount."""
    return ties.announce_tie(request, tied, replaces, {"purpose": "sealed-bid tie-break",
                                                       "tied_amount_fen": amount_fen})


def redo_tie(request: SelectionRequest, voided: Lottery) -> None:
    """The system voided a tie-break draw whose witnesses missed ``T``: draw again among the
    same tied agencies under a new id that replaces it (external source re-planned from now)."""
    pool = list(voided.pool or [])
    amount = int(voided.announcement.get("tied_amount_fen", 0))
    # plan_of counts the external source from the deadline; move it to now so the new T is
    # in the future (the notice shows the re-planned source)
    request.signup_closes_at = max(request.signup_closes_at, timeutil.now())
    _announce_tie(request, pool, amount, replaces=voided.lottery_id)


def after_tie_draw(request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
                   at: datetime) -> None:
    """The tie-break draw is done: the award goes to its winner at the tied amount."""
    request.state = RequestState.SELECTED.value
    ranking = full_ranking(request)
    winner = record["winners"][0]
    offer_award(request, lottery.lottery_id, winner, ranking.index(winner), at,
                fee_fen=int(lottery.announcement["tied_amount_fen"]))


def full_ranking(request: SelectionRequest) -> list[str]:
    """Every valid quote of the current round, lowest first; the tie among the lowest in the
    tie-break draw's ranking — the order in which alternates are offered the award."""
    bids = [sb.OpenedBid(b.agency.public_id, b.amount_fen) for b in current_bids(request)
            if b.valid and b.amount_fen is not None]
    lot = ties.drawn_tie(request)
    return sb.ranking(bids, (lot.record or {}).get("ranking", []) if lot else [])


def amount_of(request: SelectionRequest, agency_id: str) -> int | None:
    for b in current_bids(request):
        if b.agency.public_id == agency_id and b.valid:
            return b.amount_fen
    return None
