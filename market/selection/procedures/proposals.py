"""Proposal selection (方案择优 / 比选): agencies submit a proposal (a file) and a quote, both
sealed until the opening; the owner's panel scores the proposals against the scoring sheet
published with the notice (:mod:`market.domain.proposal_scoring`); the highest total wins, and
a tie at the top is broken by a verifiable draw (lottery-v1) among the tied.

Sealing, as for sealed bids (:mod:`market.selection.sealed`): the quote is committed
(sealed-bid/v1) and ``u64(amount) || nonce || file key`` is sealed to the regulators' opening
keys (:mod:`market.selection.opening`, so a proposal selection is always sealed to keys: the
platform cannot open it); the file is checked by content, then kept only encrypted (AES-GCM
under the file key, bound to the request, round, agency and commitment) in the upload store.
The bid log gets a ``proposal`` event with the commitment and the SHA-256 of the file.  At the
opening (when enough key holders have presented) every quote is published with its nonce, every
file is decrypted, checked against its logged hash and stored for the owner, the panel's
readers and the regulators; before that nobody, the operator included, can read a file.

The owner records each scorer of the panel (评审小组成员) by name with the points they gave
(:func:`record_scorer`) and then publishes the results (:func:`publish_scores`): every scorer's
points, the sheet and the totals go to the bid log (``scores``) and the notice.

Who may call: :func:`submit` an admitted, eligible agency (its own proposal) before the
deadline; :func:`open_proposals` a key holder's presentation or any page view / ``flask
selection tick`` once enough keys are presented (exactly once, under the request's row lock);
:func:`record_scorer`, :func:`remove_scorer` and :func:`publish_scores` the owner
organisation's administrator or delegates, after the opening and before the results.
"""

from __future__ import annotations

import hashlib
import os
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from flask import current_app

from market import storage, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.db import db, lock_row
from market.domain import proposal_scoring as ps
from market.domain import sealed_bid as sb
from market.domain.calendar import local_date
from market.domain.eligibility import ineligibility
from market.domain.fees import format_yuan
from market.i18n import N_
from market.selection import bidlog, opening, ties
from market.selection.award import offer_award
from market.selection.eligibility import REASON_TEXT, agency_facts_many, reasons, request_facts
from market.selection.errors import SelectionError
from market.selection.logtext import event_text, one_line
from market.selection.models import (
    Bid,
    Lottery,
    Method,
    Project,
    Proposal,
    ProposalScore,
    ProposalScorer,
    RequestState,
    SelectionRequest,
)
from market.selection.procedures.base import NoticeView
from market.selection.procedures.sealed_round import SealedRound
from market.selection.quotes import current_bids, my_bid
from market.selection.terms import Problem, RequestInput

SYSTEM = "system"
FILE_KEY_BYTES = 32
PLAIN_BYTES = 8 + sb.NONCE_BYTES + FILE_KEY_BYTES
FILE_SCHEME = b"\x01"
PROPOSAL_KINDS = storage.DELIVERABLE_KINDS  # PDF, images, Office, ZIP, DWG


SHEET_TEXT = {
    "none": N_("请至少列出一项价格以外的评审因素。"),
    "too_many": N_("评审因素最多 20 项。"),
    "name": N_("每项评审因素须有名称（不超过 60 字）。"),
    "duplicate": N_("评审因素的名称不能重复。"),
    "points": N_("每项评审因素至少 1 分。"),
    "total": N_("评审因素分值与价格分合计须为 100 分（现为 %(total)s 分）。"),
}


def scoring_sheet(data: RequestInput) -> ps.Sheet | None:
    """The sheet the owner typed (None when a line cannot be read or price points are
    missing); :func:`sheet_problems` says what is wrong with it."""
    criteria, bad = ps.parse_criteria(data.scoring_criteria)
    if bad or data.price_points is None:
        return None
    return ps.Sheet(tuple(criteria), data.price_points)


def sheet_problems(data: RequestInput) -> list[Problem]:
    """The scoring sheet published with a proposal selection's notice (评分标准)."""
    found: list[Problem] = []
    _criteria, bad = ps.parse_criteria(data.scoring_criteria)
    if bad:
        found.append(Problem("scoring_criteria", N_("第 %(lines)s 行应为“评审因素名称 | 分值”，如“技术方案 | 40”。"),
                             {"lines": "、".join(str(n) for n in bad)}))
    price = data.price_points
    if price is None:
        found.append(Problem("price_points", N_("请填写价格分值。")))
    elif not ps.MIN_PRICE_POINTS <= price <= ps.MAX_PRICE_POINTS:
        found.append(Problem("price_points", N_("价格分值须在 %(lo)s 到 %(hi)s 分之间（服务项目价格分值不低于总分的 10%%）。"),
                             {"lo": ps.MIN_PRICE_POINTS,
                              "hi": ps.MAX_PRICE_POINTS}))
    sheet = scoring_sheet(data)
    if sheet is None:
        return found
    for code in ps.sheet_problems(sheet):
        if code != "price":  # said above
            found.append(Problem("scoring_criteria", SHEET_TEXT[code],
                                 {"total": ps.weights_total(sheet)}
                                 if code == "total" else {}))
    return found


def _file_aad(request_id: str, round_: int, agency_id: str, commitment: str) -> bytes:
    return f"market/proposal-file/v1|{request_id}|{round_}|{agency_id}|{commitment}".encode()


def _bj(at: datetime) -> str:
    return at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M")


def sheet_of(request: SelectionRequest) -> ps.Sheet | None:
    return ps.Sheet.from_json(request.scoring_sheet) if request.scoring_sheet else None


# --- submission --------------------------------------------------------------------------------

def submit(request: SelectionRequest, agency: Organisation, user: User, amount_fen: int | None,
           file: object) -> Bid:
    """Submit (or replace) this agency's proposal and quote before the deadline (提交比选方案).

    Changes: a sealed quote (:class:`Bid`) with its shares, the encrypted file and its
    :class:`Proposal`, a ``proposal`` event in the bid log; a replaced proposal is marked.
    Refused, changing nothing, for a closed request, a quote outside floor and cap, an agency
    not eligible, or a file that is empty, too large or not of an accepted kind by content."""
    request = lock_row(SelectionRequest, request.id)
    at = bidlog.next_time()
    if request.method != Method.PROPOSALS or request.state != RequestState.OPEN:
        raise SelectionError(None, N_("该公告不在提交方案期。"))
    if at >= request.signup_closes_at:
        raise SelectionError("amount", N_("提交方案已于 %(at)s 截止。"), at=_bj(request.signup_closes_at))
    cap = request.cap_fen or 0
    if amount_fen is None or not sb.within(amount_fen, request.floor_fen, cap):
        raise SelectionError("amount", N_("报价须在最低限价 %(floor)s 元与最高限价 %(cap)s 元之间（含两端）。"),
                             floor=format_yuan(request.floor_fen or 1), cap=format_yuan(cap))
    problems = reasons(agency, request, local_date(at))
    if problems:
        raise SelectionError(None, N_("不符合报名条件：%(reasons)s"),
                             reasons="；".join(REASON_TEXT[r] for r in problems))
    if not opening.sealed_to_keys(request):
        raise RuntimeError(f"{request.public_id}: a proposal selection is sealed to opening keys")
    old = my_bid(request, agency)
    nonce, file_key, iv = os.urandom(sb.NONCE_BYTES), os.urandom(FILE_KEY_BYTES), os.urandom(12)
    commitment = sb.commitment(request.public_id, agency.public_id, amount_fen, nonce).hex()
    aad = _file_aad(request.public_id, request.bid_round, agency.public_id, commitment)
    try:
        sealed_file = storage.store_sealed(
            file, lambda plain: FILE_SCHEME + iv + AESGCM(file_key).encrypt(iv, plain, aad),
            allowed=PROPOSAL_KINDS, max_bytes=int(current_app.config["UPLOAD_MAX_BYTES"]),
            field="file", uploaded_by_id=user.id, organisation_id=agency.id,
            refuse_message=N_("方案文件须为 PDF、Word/Excel、ZIP、DWG 或图片（按文件内容判断，与扩展名无关）。"))
    except storage.UploadError as error:
        raise SelectionError("file", error.message, **error.params) from None
    plaintext = amount_fen.to_bytes(8, "big") + nonce + file_key
    sealed, shares = opening.seal(request, agency.public_id, commitment, plaintext)
    event = bidlog.append("proposal", request.public_id, {
        "round": request.bid_round, "agency_id": agency.public_id, "commitment": commitment,
        "file_sha256": sealed_file.sha256, "replaces": old.commitment if old else None,
        "by": user.account_id}, at=at)
    if old is not None:
        old.replaced_at = at
    bid = Bid(request_id=request.id, round=request.bid_round, agency_org_id=agency.id,
              by_id=user.id, at=at, sealed=sealed, commitment=commitment,
              log_seq=event["seq"], receipt=bidlog.receipt(event))
    db.session.add(bid)
    db.session.flush()
    for share in shares:
        share.bid_id = bid.id
        db.session.add(share)
    db.session.add(Proposal(bid_id=bid.id, request_id=request.id,
                            file_sha256=sealed_file.sha256, file_name=sealed_file.name,
                            content_type=sealed_file.content_type, size=sealed_file.size,
                            sealed_upload_id=sealed_file.upload.id))
    db.session.flush()
    audit.record("agency:proposal:replace" if old else "agency:proposal:submit",
                 request.public_id, {"agency": agency.public_id, "commitment": commitment,
                                     "file_sha256": sealed_file.sha256})
    return bid


def proposal_of(bid: Bid) -> Proposal | None:
    row: Proposal | None = db.session.scalar(sa.select(Proposal).where(Proposal.bid_id == bid.id))
    return row


def proposals_of(request: SelectionRequest) -> list[tuple[Bid, Proposal]]:
    """The current round's proposals with their quotes, in submission order."""
    bids = current_bids(request)
    rows = {p.bid_id: p for p in db.session.scalars(sa.select(Proposal).where(
        Proposal.bid_id.in_([b.id for b in bids])))}
    return [(b, rows[b.id]) for b in bids if b.id in rows]


# --- the opening -------------------------------------------------------------------------------

def _open_file(request: SelectionRequest, bid: Bid, proposal: Proposal,
               file_key: bytes) -> bytes | None:
    """The proposal's file, decrypted and checked against its logged hash (None: it is not the
    file that was committed)."""
    try:
        blob = storage.read_stored(proposal.sealed_upload)
    except OSError:
        return None
    if blob[:1] != FILE_SCHEME or len(blob) < 1 + 12 + 16:
        return None
    try:
        plain = AESGCM(file_key).decrypt(blob[1:13], blob[13:], _file_aad(
            request.public_id, bid.round, bid.agency.public_id, bid.commitment))
    except InvalidTag:
        return None
    return plain if hashlib.sha256(plain).hexdigest() == proposal.file_sha256 else None


def open_proposals(request: SelectionRequest) -> None:
    """The opening (开标): decrypt and check every quote and file, publish the quotes, keep
    the files for the panel; the request then waits for the panel's scores.  Exactly once
    (row lock and re-check); before enough keys are presented nothing happens, at the
    opening deadline the round lapses, and a quote that does not decrypt stops the opening
    with ``opening_error`` (nothing published from a partial set)."""
    if opening.waits_for_keys(request):
        return
    request = lock_row(SelectionRequest, request.id)
    at = bidlog.next_time()
    if (request.method != Method.PROPOSALS or request.state != RequestState.OPEN
            or at < request.signup_closes_at):
        return
    rows = proposals_of(request)
    plain: dict[int, bytes] = {}
    if rows:
        try:
            got = opening.plaintexts(request, [b for b, _p in rows])
        except (InvalidTag, ValueError, RuntimeError) as exc:
            message = (f"无法解密报价（{type(exc).__name__}）：密钥或密文与密封时不符，"
                       "开标中止，请运营人员和监管部门核查后重试。")
            if request.opening_error != message:
                request.opening_error = message
                audit.record("system:proposal:open-failed", request.public_id,
                             {"error": type(exc).__name__})
            return
        if got is None:
            if at >= opening.deadline(request):
                opening.lapse(request, at)
            return
        plain = got
    request.opening_error = None
    opening.forget(request)
    close_day = local_date(request.signup_closes_at)
    facts = agency_facts_many([b.agency for b, _p in rows], request.tenant_id)
    wanted = request_facts(request)
    published, invalid, excluded = [], [], []
    valid = 0
    for bid, proposal in rows:
        text = plain[bid.id]
        ok_length = len(text) == PLAIN_BYTES
        amount = int.from_bytes(text[:8], "big") if ok_length else 0
        nonce = text[8:8 + sb.NONCE_BYTES] if ok_length else b""
        bid.amount_fen, bid.nonce = amount, nonce.hex()
        content = _open_file(request, bid, proposal, text[8 + sb.NONCE_BYTES:]) \
            if ok_length else None
        bid.valid = (ok_length and content is not None
                     and sb.opens(bid.commitment, request.public_id, bid.agency.public_id,
                                  amount, bid.nonce)
                     and sb.within(amount, request.floor_fen, request.cap_fen or 0))
        published.append({"agency_id": bid.agency.public_id, "amount_fen": amount,
                          "nonce": bid.nonce, "commitment": bid.commitment})
        if content is not None:
            proposal.opened_upload_id = storage.store_opened(
                content, proposal.file_name, proposal.content_type,
                uploaded_by_id=bid.by_id, organisation_id=bid.agency_org_id).id
        problems = ineligibility(facts[bid.agency_org_id], wanted, close_day)
        if not bid.valid:
            invalid.append(bid.commitment)
        elif problems:
            bid.valid = False
            excluded.append({"agency_id": bid.agency.public_id,
                             "reason": one_line("；".join(REASON_TEXT[r] for r in problems))})
        else:
            valid += 1
    request.opened_at = request.closed_at = at
    if valid == 0:
        request.state = RequestState.FAILED.value
        request.failed_reason = "没有有效方案，本次方案择优失败"
    else:
        request.state = RequestState.CLOSED.value  # the panel scores the proposals now
    bidlog.append("open", request.public_id, {
        "round": request.bid_round, "bids": published, "invalid": invalid, "excluded": excluded,
        "winner": None, "tie_lottery": None}, at=at)
    audit.record("system:proposal:open", request.public_id,
                 {"valid": valid, "invalid": len(invalid), "excluded": len(excluded)})


# --- the panel's scores ------------------------------------------------------------------------

def scorers(request: SelectionRequest) -> list[ProposalScorer]:
    return list(db.session.scalars(sa.select(ProposalScorer).where(
        ProposalScorer.request_id == request.id, ProposalScorer.round == request.bid_round)
        .order_by(ProposalScorer.position)))


def valid_bids(request: SelectionRequest) -> list[Bid]:
    """The proposals the panel scores: opened, valid and eligible, in submission order."""
    return [b for b in current_bids(request) if b.valid and b.amount_fen is not None]


def results(request: SelectionRequest) -> dict[str, Any] | None:
    """The published ``scores`` event of the current round (None before publication)."""
    for event in reversed(bidlog.events_of(request.public_id)):
        if event["type"] == "scores" and event["data"]["round"] == request.bid_round:
            data: dict[str, Any] = event["data"]
            return data
    return None


def _may_score(request: SelectionRequest, owner: Organisation) -> ps.Sheet:
    if request.owner_org_id != owner.id or request.method != Method.PROPOSALS:
        raise SelectionError(None, N_("只有本单位的方案择优公告可以录入评分。"))
    sheet = sheet_of(request)
    if request.opened_at is None or request.state != RequestState.CLOSED or sheet is None:
        raise SelectionError(None, N_("开标后、公布评审结果前才能录入评分。"))
    if results(request) is not None:
        raise SelectionError(None, N_("评审结果已公布，不能再修改评分。"))
    return sheet


def record_scorer(request: SelectionRequest, owner: Organisation, user: User, name: str,
                  points: dict[int, list[int]]) -> ProposalScorer:
    """Record one panel member (评审小组成员), named, with their points for every valid proposal
    on every criterion (``points``: bid id → tenths per criterion).  Changes: a scorer and
    their points; nothing public until :func:`publish_scores`.  Refused, changing nothing,
    for a missing or repeated name, a proposal left out or points outside 0–max."""
    request = lock_row(SelectionRequest, request.id)
    sheet = _may_score(request, owner)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 60:
        raise SelectionError("name", N_("请填写评委姓名（不超过 60 字）。"))
    event_text(name, "scorer")  # published in the bid log: the log's text rule, first
    panel = scorers(request)
    if any(s.name == name for s in panel):
        raise SelectionError("name", N_("评委 %(name)s 的评分已经录入。"), name=name)
    if len(panel) >= ps.MAX_SCORERS:
        raise SelectionError("name", N_("评审小组最多 %(n)s 人。"), n=ps.MAX_SCORERS)
    bids = valid_bids(request)
    if set(points) != {b.id for b in bids}:
        raise SelectionError("points", N_("请为每一份有效方案的每一项评审因素打分。"))
    for b in bids:
        bad = ps.points_problems(sheet, points[b.id])
        if bad:
            c = sheet.criteria[bad[0]]
            raise SelectionError("points", N_("%(agency)s 的「%(criterion)s」须在 0 到 %(max)s 分之间，最多一位小数。"),
                                 agency=b.agency.name, criterion=c.name, max=c.max_points)
    scorer = ProposalScorer(request_id=request.id, round=request.bid_round,
                            position=max((s.position for s in panel), default=-1) + 1, name=name,
                            recorded_by_id=user.id, at=timeutil.now())
    db.session.add(scorer)
    db.session.flush()
    for b in bids:
        for i, t in enumerate(points[b.id]):
            db.session.add(ProposalScore(scorer_id=scorer.id, bid_id=b.id, criterion=i, tenths=t))
    db.session.flush()
    audit.record("owner:proposal:score", request.public_id,
                 {"scorer": name, "points": {b.agency.public_id: points[b.id] for b in bids}})
    return scorer


def remove_scorer(request: SelectionRequest, owner: Organisation, scorer_id: int) -> None:
    """Remove a scorer recorded by mistake, before the results are published (audited)."""
    request = lock_row(SelectionRequest, request.id)
    _may_score(request, owner)
    scorer = db.session.get(ProposalScorer, scorer_id)
    if scorer is None or scorer.request_id != request.id or scorer.round != request.bid_round:
        raise SelectionError(None, N_("没有这位评委的评分。"))
    audit.record("owner:proposal:remove-scorer", request.public_id, {"scorer": scorer.name})
    db.session.delete(scorer)
    db.session.flush()


def _score_table(request: SelectionRequest, sheet: ps.Sheet,
                 panel: list[ProposalScorer]) -> tuple[list[ps.Scored], list[dict[str, Any]]]:
    bids = valid_bids(request)
    by_scorer = {(s.scorer_id, s.bid_id, s.criterion): s.tenths for s in db.session.scalars(
        sa.select(ProposalScore).where(ProposalScore.scorer_id.in_([p.id for p in panel])))}
    points = {b.agency.public_id: [[by_scorer[(p.id, b.id, i)] for i in range(len(sheet.criteria))]
                                   for p in panel] for b in bids}
    quotes = {b.agency.public_id: int(b.amount_fen or 0) for b in bids}
    logged = [{"scorer": p.name, "agency_id": a, "tenths": points[a][n]}
              for n, p in enumerate(panel) for a in sorted(points, key=lambda x: x.encode())]
    return ps.score_all(sheet, quotes, points), logged


def publish_scores(request: SelectionRequest, owner: Organisation, user: User) -> None:
    """Publish the panel's scores (公布评审结果): every scorer's points, the sheet and the
    totals go to the bid log and the notice; the highest total is offered the award at its
    quote, or a tie at the top is drawn (a tie-break lottery with its own id, witnessed as the
    notice names).  Refused with fewer than ``MIN_SCORERS`` scorers."""
    request = lock_row(SelectionRequest, request.id)
    sheet = _may_score(request, owner)
    panel = scorers(request)
    if len(panel) < ps.MIN_SCORERS:
        raise SelectionError(None, N_("评审小组至少 %(n)s 人：已录入 %(have)s 位评委的评分。"),
                             n=ps.MIN_SCORERS, have=len(panel))
    scored, logged = _score_table(request, sheet, panel)
    tied = ps.top_tie(scored)
    at = bidlog.next_time()
    tie: Lottery | None = None
    if len(tied) > 1:
        best = max(s.total_centi for s in scored)
        tie = _announce_tie(request, tied, best, replaces=ties.unreplaced_void(request))
    else:
        request.state = RequestState.SELECTED.value
    ranked = ps.ranking(scored)
    by_id = {s.agency_id: s for s in scored}
    bidlog.append("scores", request.public_id, {
        "round": request.bid_round, "sheet": sheet.as_json(),
        "scorers": [p.name for p in panel], "scores": logged,
        "results": [{"agency_id": a, "quote_fen": by_id[a].quote_fen,
                     "criteria_centi": list(by_id[a].criteria_centi),
                     "price_centi": by_id[a].price_centi, "total_centi": by_id[a].total_centi}
                    for a in ranked],
        "winner": tied[0] if len(tied) == 1 else None,
        "tie_lottery": tie.lottery_id if tie else None}, at=max(at, bidlog.next_time()))
    if len(tied) == 1:
        offer_award(request, None, tied[0], 0, at, fee_fen=by_id[tied[0]].quote_fen)
    audit.record("owner:proposal:publish-scores", request.public_id,
                 {"scorers": len(panel), "tied": len(tied), "winner": tied[0] if len(tied) == 1 else None})


def _announce_tie(request: SelectionRequest, tied: list[str], total_centi: int,
                  replaces: str | None) -> Lottery:
    """The tie-break draw among the proposals tied at the top, at the tied total."""
    return ties.announce_tie(request, tied, replaces, {"purpose": "proposal tie-break",
                                                       "tied_total_centi": total_centi})


def full_ranking(request: SelectionRequest) -> list[str]:
    """The published results' order, the tie at the top in the draw's ranking — the order in
    which the award passes after a decline."""
    data = results(request)
    if data is None:
        return []
    scored = [ps.Scored(r["agency_id"], r["quote_fen"], tuple(r["criteria_centi"]),
                        r["price_centi"], r["total_centi"]) for r in data["results"]]
    lot = ties.drawn_tie(request)
    return ps.ranking(scored, (lot.record or {}).get("ranking", []) if lot else [])


def quote_of(request: SelectionRequest, agency_id: str) -> int | None:
    data = results(request) or {"results": []}
    return next((int(r["quote_fen"]) for r in data["results"] if r["agency_id"] == agency_id),
                None)


# --- the procedure -----------------------------------------------------------------------------

class Proposals(SealedRound):
    """方案择优 / 比选: sealed proposals and quotes, the panel's scores, the highest total."""

    method = Method.PROPOSALS.value
    closed_message = N_("提交方案已截止，不能再撤销。")
    cap_required_text = N_("方案择优须设最高限价（可设最低限价），报价在此范围内。")
    delegate_witness_text = N_("方案择优的见证人中须至少有一名本单位的采购受托人（评审结果如有并列最高分，须现场见证摇号）。")

    def check_terms(self, owner: Organisation, project: Project | None, data: RequestInput,
                    now: datetime, found: list[Problem]) -> None:
        found += sheet_problems(data)

    def apply_terms(self, request: SelectionRequest, data: RequestInput) -> None:
        super().apply_terms(request, data)
        sheet = scoring_sheet(data)
        request.scoring_sheet = sheet.as_json() if sheet is not None else None

    def notice_view(self, request: SelectionRequest) -> NoticeView:
        pv = public_view(request)
        return NoticeView(proposals=pv, registrants=len(pv["rows"]))

    def ranking(self, request: SelectionRequest) -> list[str]:
        return full_ranking(request)

    def quote(self, request: SelectionRequest, agency_id: str) -> int | None:
        return quote_of(request, agency_id)

    def close(self, request: SelectionRequest) -> None:
        open_proposals(request)

    def redraw(self, request: SelectionRequest, voided: Lottery) -> None:
        _announce_tie(request, list(voided.pool or []),
                      int(voided.announcement.get("tied_total_centi", 0)),
                      replaces=voided.lottery_id)

    def drawn(self, request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
              at: datetime) -> None:
        request.state = RequestState.SELECTED.value
        winner = record["winners"][0]
        offer_award(request, lottery.lottery_id, winner, full_ranking(request).index(winner), at,
                    fee_fen=quote_of(request, winner))


def public_view(request: SelectionRequest) -> dict[str, Any]:
    """What the notice shows of a proposal selection: the commitments and file hashes before
    the opening; the opened quotes and files' hashes after it; the panel's scores, the sheet
    and the totals once published (every score is public)."""
    rows = proposals_of(request)
    data = results(request)
    names = {b.agency.public_id: b.agency.name for b, _p in rows}
    points: dict[str, dict[str, list[int]]] = {}
    for s in (data or {}).get("scores", []):
        points.setdefault(s["agency_id"], {})[s["scorer"]] = s["tenths"]
    return {"rows": rows, "results": data, "names": names, "points": points,
            "tie": ties.drawn_tie(request) if data and data.get("tie_lottery") else None}
