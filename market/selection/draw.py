"""The draw in the app (摇号): announce, sign-up, close, entropy, draw, void — each step logged
(lottery-v1.md §7) in the same transaction as the state it changes.

Every step that could race (two workers closing the same request, a double click on the last
entropy value) first locks the lottery row (:func:`market.db.lock_row`) and then re-reads the
state, so it happens exactly once and the others see its result.  Business times are the log's
times, read under the log's append lock (:func:`market.transparency.log.next_time`).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from lottery.bundle import build_bundle, build_record, log_entries, sign_record
from lottery.draw import canonical_pool, commitment, pool_root
from lottery.encoding import V, b64encode, cjson
from lottery.errors import Invalid
from lottery.events import parse_announcement, record_hash
from lottery.sources import check_plan, public_time
from market import crypto, events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.calendar.service import current_calendar
from market.db import db, lock_row
from market.domain.calendar import local_date, local_day_start
from market.domain.eligibility import ineligibility
from market.domain.methods import DRAW_METHODS
from market.i18n import N_
from market.selection.eligibility import REASON_TEXT, agency_facts_many, reasons, request_facts
from market.selection.errors import SelectionError
from market.selection.external import (
    entries_of,
    log_entropy,
    parse_time,
    plan_entries,
    plan_external,
)
from market.selection.logtext import event_text, label_text, one_line
from market.selection.models import (
    Lottery,
    LotteryState,
    Method,
    RequestState,
    SelectionRequest,
    SignUp,
)
from market.settings import service as settings
from market.transparency import log
from market.transparency.keys import platform_key

SECRET_PURPOSE = "lottery-secret"  # noqa: S105  # a key-derivation label, not a secret
SYSTEM = "system"
LOTTERY_METHODS = DRAW_METHODS  # the methods whose agencies sign up for a draw


def failed_reason(minimum: int, eligible: int) -> str:
    """Why a request failed at its close: too few eligible sign-ups (the void's reason)."""
    return f"有效报名不足 {minimum} 家（{eligible} 家），本次选取失败"


def _iso(dt: datetime) -> str:
    return timeutil.iso_z(dt)


def plan_of(request: SelectionRequest, frozen_at: datetime | None = None, *,
            fallback: bool = False) -> tuple[list[dict[str, Any]], str | None]:
    """The entropy plan: the request's witnesses in order, then its external source, public
    at least ``EXTERNAL_ENTROPY_MIN_DELAY_HOURS`` after the pool is frozen — the close, or
    ``frozen_at`` when that is later (a sealed bid opened late freezes its tie-break pool then).

    The source is planned afresh each time (a re-run never reuses its predecessor's issue or
    round, see :func:`market.selection.external.plan_external`); with ``fallback`` (the system
    re-running a draw on its own) an unconfirmed schedule plans drand, and the note says so."""
    delay = timedelta(hours=int(current_app.config["EXTERNAL_ENTROPY_MIN_DELAY_HOURS"]))
    plan: list[dict[str, Any]] = [{"kind": "witness", "label": w.label}
                                  for w in sorted(request.witnesses, key=lambda w: w.position)]
    frozen = max(request.signup_closes_at, frozen_at or request.signup_closes_at)
    entry, note = plan_external(request.external_kind, frozen + delay, fallback=fallback)
    plan.append(entry)
    return plan, note


def _announcement(request: SelectionRequest, lottery_id: str, secret: bytes,
                  replaces: str | None, closes: str, plan: list[dict[str, Any]],
                  extra: dict[str, Any] | None) -> dict[str, Any]:
    price: dict[str, Any] = ({"kind": "fixed", "fen": request.price_fen}
                             if request.price_kind == "fixed" else
                             {"kind": "cap", "cap_fen": request.cap_fen,
                              "floor_fen": request.floor_fen})
    return {
        "v": V, "lottery_id": lottery_id, "request_id": request.public_id,
        "replaces": replaces, "k": winners_of(request), "signup_closes_at": closes,
        "commitment": commitment(lottery_id, secret).hex(), "entropy_plan": plan,
        "owner": request.owner.public_id, "project": request.project.name,
        "project_code": request.project.code, "service": request.service_type.code,
        "title": request.title, "price": {k: v for k, v in price.items() if v is not None},
        "service_days": request.service_days, "version": request.version,
        "method": request.method, **_terms(request), **(extra or {}),
    }


def winners_of(request: SelectionRequest) -> int:
    """``k``: one winner, or the short list of a credit merit (信用择优) that publishes one."""
    if request.method == Method.CREDIT_MERIT and request.shortlist_size:
        return int(request.shortlist_size)
    return 1


def _terms(request: SelectionRequest) -> dict[str, Any]:
    """The method's published terms the announcement covers (credit merit's threshold)."""
    if request.method == Method.CREDIT_MERIT and request.credit_threshold is not None:
        return {"credit_threshold": int(request.credit_threshold)}
    return {}


@dataclass(frozen=True)
class Prepared:
    """An announcement checked with the lottery's own rules, not yet written anywhere."""

    secret: bytes
    plan: list[dict[str, Any]]
    closes: str
    replaces: str | None
    extra: dict[str, Any] | None


def prepare(request: SelectionRequest, replaces: str | None, *,
            closes_at: datetime | None = None,
            extra: dict[str, Any] | None = None, fallback: bool = False) -> Prepared:
    """Check the announcement :func:`announce` would log for ``request`` — the entropy plan
    (labels, order, ``T``) and the whole announcement (§2, §1) — and write nothing.

    Callers that write before announcing (an amendment voids the current lottery first) call
    this before their first write: a refusal must leave the log and the tables as they were (a
    lottery row without its announce event, or a void without its new announcement, poisons
    the log's audit)."""
    secret = os.urandom(32)
    plan, note = plan_of(request, closes_at, fallback=fallback)
    if note:
        extra = {**(extra or {}), "external_note": note}
    closes = _iso(closes_at or request.signup_closes_at)
    for entry in plan:
        label_text(entry["label"], "witnesses" if entry["kind"] == "witness" else "external_kind")
    try:
        check_plan(plan, closes)
    except Invalid as exc:
        raise SelectionError("external_kind", N_("外部随机数须在报名截止之后才公开：%(detail)s"),
                             detail=str(exc)) from None
    announcement = _announcement(request, "LT-000000", secret, replaces, closes, plan, extra)
    try:
        parse_announcement(announcement)
        cjson(announcement)
    except Invalid as exc:
        raise SelectionError(None, N_("公告内容不符合摇号格式，未发布：%(detail)s"),
                             detail=str(exc)) from None
    return Prepared(secret, plan, closes, replaces, extra)


def announce(request: SelectionRequest, replaces: str | None,
             carry_over: list[SignUp] | None = None, *, closes_at: datetime | None = None,
             extra: dict[str, Any] | None = None, at: datetime | None = None,
             prepared: Prepared | None = None, fallback: bool = False) -> Lottery:
    """Create a lottery for ``request`` and log its announcement (and carried-over sign-ups).

    A sealed bid's tie-break draw passes ``closes_at`` (its opening time, when the tied
    agencies are registered and frozen) and ``extra`` announcement keys; the system's own
    re-runs pass ``fallback`` (see :func:`plan_of`).  Every check runs
    before the first row is added (:func:`prepare`, or ``prepared`` when the caller already
    did)."""
    p = prepared or prepare(request, replaces, closes_at=closes_at, extra=extra,
                            fallback=fallback)
    lottery = Lottery(lottery_id="tmp-" + uuid.uuid4().hex[:20], request_id=request.id,
                      replaces=p.replaces, announcement={}, secret_sealed=b"",
                      state=LotteryState.OPEN.value, created_at=timeutil.now(),
                      external_at=parse_time(min(public_time(e) for e in p.plan
                                             if e["kind"] != "witness")))
    db.session.add(lottery)
    db.session.flush()
    lottery.lottery_id = f"LT-{lottery.id:06d}"
    announcement = _announcement(request, lottery.lottery_id, p.secret, p.replaces, p.closes,
                                 p.plan, p.extra)
    lottery.announcement = announcement
    lottery.secret_sealed = crypto.seal(SECRET_PURPOSE, lottery.lottery_id, p.secret)
    items: list[tuple[str, str, dict[str, Any]]] = [
        ("announce", lottery.lottery_id, {"announcement": announcement})]
    for s in carry_over or []:
        by = db.session.get(User, s.by_id)
        items.append(("register", lottery.lottery_id,
                      {"agency_id": s.agency.public_id, "by": by.account_id if by else SYSTEM}))
    events = log.append(items, at=at)
    for s, ev in zip(carry_over or [], events[1:], strict=True):
        s.lottery_id = lottery.lottery_id
        s.log_seq = ev["seq"]
        s.receipt = receipt(ev)
    audit.record("system:lottery:announce", lottery.lottery_id,
                 {"request": request.public_id, "replaces": p.replaces}, )
    return lottery


def current_lottery(request: SelectionRequest) -> Lottery | None:
    return db.session.scalars(sa.select(Lottery).where(Lottery.request_id == request.id)
                              .order_by(Lottery.id.desc()).limit(1)).first()


def current_lotteries(requests: Sequence[SelectionRequest]) -> dict[int, Lottery]:
    """{request id: :func:`current_lottery`} for a list, in one statement."""
    ids = [r.id for r in requests]
    found: dict[int, Lottery] = {}
    if ids:
        for lottery in db.session.scalars(sa.select(Lottery).where(
                Lottery.request_id.in_(ids)).order_by(Lottery.id)):
            found[lottery.request_id] = lottery  # the newest, as current_lottery's
    return found


def receipt(event: dict[str, Any]) -> dict[str, Any]:
    """A sign-up receipt: the event, its inclusion proof and the checkpoint right after it."""
    size = log.size() or event["seq"] + 1
    cp = log.checkpoint_at(size)
    return {"index": event["seq"], "event": event, "tree_size": size,
            "proof": [b64encode(h) for h in log.inclusion_proof(event["seq"], size)],
            "checkpoint": cp.note if cp else None}


def void(lottery: Lottery, reason: str, decided_by: str, at: datetime | None = None) -> None:
    """End a lottery; the request can only run again under a new lottery id.  A reason a
    person typed is checked by the caller (:func:`~market.selection.logtext.event_text`)
    before its first write."""
    log.append([("void", lottery.lottery_id, {"reason": event_text(reason, "reason"),
                                              "decided_by": decided_by})], at=at)
    lottery.state = LotteryState.VOID.value
    lottery.void_reason = reason
    audit.record("system:lottery:void", lottery.lottery_id, {"reason": reason, "by": decided_by})


def reannounce(request: SelectionRequest, reason: str) -> Lottery:
    """Void the current (unfrozen) lottery and announce a new one naming it; the agencies
    signed up stay signed up (their registrations are logged again under the new id).  Only
    the procedures that sign agencies up call this (a sealed bid draws only to break a tie)."""
    old = current_lottery(request)
    carry = [s for s in request.signups if s.active]
    # Both events are checked before the void is written: a refused new announcement must
    # not leave the old lottery voided with nothing replacing it.
    reason = event_text(reason, "reason")
    prepared = prepare(request, replaces=old.lottery_id if old else None)
    if old is not None and old.state == LotteryState.OPEN:
        void(old, reason, SYSTEM)
    return announce(request, replaces=prepared.replaces, carry_over=carry, prepared=prepared)


# --- sign-up ----------------------------------------------------------------------------------

def _active_signup(request: SelectionRequest, agency: Organisation) -> SignUp | None:
    return db.session.scalars(sa.select(SignUp).where(
        SignUp.request_id == request.id, SignUp.agency_org_id == agency.id,
        SignUp.withdrawn_at.is_(None), SignUp.excluded_at.is_(None))).first()


def sign_up(request: SelectionRequest, agency: Organisation, user: User) -> SignUp:
    """An admitted, eligible agency signs up (报名), accepting the published price.

    Logged as ``register``; the agency gets a receipt it can keep (the checkpoint right after
    its event and the inclusion proof), to prove later that it registered."""
    current = current_lottery(request)
    if current is None or request.method not in LOTTERY_METHODS:
        # a sealed bid takes quotes, a direct selection names its agency: no sign-up
        raise SelectionError(None, N_("该公告不在报名期。"))
    lottery = lock_row(Lottery, current.id)
    at = log.next_time()
    if request.state != RequestState.OPEN or lottery.state != LotteryState.OPEN:
        raise SelectionError(None, N_("该公告不在报名期。"))
    if at >= request.signup_closes_at:
        raise SelectionError(None, N_("报名已于 %(at)s 截止。"),
                             at=request.signup_closes_at.astimezone(timeutil.SHANGHAI)
                             .strftime("%Y-%m-%d %H:%M"))
    if _active_signup(request, agency) is not None:
        raise SelectionError(None, N_("本机构已报名。"))
    if db.session.scalar(sa.select(SignUp.id).where(
            SignUp.request_id == request.id, SignUp.agency_org_id == agency.id,
            SignUp.withdrawn_at.is_not(None))):
        raise SelectionError(None, N_("已退出的机构不能再次报名。"))
    problems = reasons(agency, request, local_date(at))
    if problems:
        raise SelectionError(None, N_("不符合报名条件：%(reasons)s"),
                             reasons="；".join(REASON_TEXT[r] for r in problems))
    signup = SignUp(request_id=request.id, lottery_id=lottery.lottery_id,
                    agency_org_id=agency.id, by_id=user.id, at=at)
    db.session.add(signup)
    (event,) = log.append([("register", lottery.lottery_id,
                            {"agency_id": agency.public_id, "by": user.account_id})], at=at)
    signup.log_seq = event["seq"]
    signup.receipt = receipt(event)
    audit.record("agency:signup:create", request.public_id, {"agency": agency.public_id})
    return signup


def withdraw(request: SelectionRequest, agency: Organisation, user: User, reason: str) -> SignUp:
    """An agency withdraws before the close (logged as ``withdraw``); it cannot come back."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise SelectionError("reason", N_("请写明退出理由（不超过 500 字）。"))
    logged = event_text(reason, "reason")
    current = current_lottery(request)
    if current is None or request.method not in LOTTERY_METHODS:
        raise SelectionError(None, N_("本机构没有有效的报名。"))
    lottery = lock_row(Lottery, current.id)
    at = log.next_time()
    signup = _active_signup(request, agency)
    if signup is None:
        raise SelectionError(None, N_("本机构没有有效的报名。"))
    if request.state != RequestState.OPEN or at > request.signup_closes_at:
        raise SelectionError(None, N_("报名已截止，不能再退出。"))
    signup.withdrawn_at = at
    signup.withdraw_reason = reason
    log.append([("withdraw", lottery.lottery_id,
                 {"agency_id": agency.public_id, "reason": logged, "by": user.account_id})],
               at=at)
    audit.record("agency:signup:withdraw", request.public_id,
                 {"agency": agency.public_id, "reason": reason})
    return signup


# --- close, entropy, draw ---------------------------------------------------------------------

Cut = Callable[[Lottery, list[SignUp], int, datetime], list[tuple[str, str, dict[str, Any]]]]


def close(request: SelectionRequest, cut: Cut | None = None, minimum: int | None = None) -> None:
    """At the close: exclude agencies that became ineligible (logged), narrow the pool with the
    procedure's ``cut`` (credit merit keeps its long list), then freeze the pool — or, with
    fewer than ``minimum`` eligible (default: the platform's setting), void the lottery and fail
    the request (流标) with a notice."""
    lottery = lock_row(Lottery, current_lottery(request).id)  # type: ignore[union-attr]
    at = log.next_time()
    # Re-read the request under the locks: a concurrent close may have re-announced it (new
    # lottery, new close) since it was loaded, and a stale close time would freeze the new one.
    db.session.refresh(request)
    if lottery.state != LotteryState.OPEN or request.state != RequestState.OPEN:
        return  # somebody else closed it
    if at < request.signup_closes_at:
        return
    close_day = local_date(request.signup_closes_at)
    items: list[tuple[str, str, dict[str, Any]]] = []
    active = db.session.scalars(
        sa.select(SignUp).options(joinedload(SignUp.agency)).where(
            SignUp.request_id == request.id, SignUp.lottery_id == lottery.lottery_id,
            SignUp.withdrawn_at.is_(None), SignUp.excluded_at.is_(None))).all()
    facts = agency_facts_many([s.agency for s in active], request.tenant_id)
    wanted = request_facts(request)
    for s in active:
        problems = ineligibility(facts[s.agency_org_id], wanted, close_day)
        if problems:
            text = "；".join(REASON_TEXT[r] for r in problems)
            s.excluded_at, s.exclude_reason = at, text
            items.append(("exclude", lottery.lottery_id,
                          {"agency_id": s.agency.public_id, "reason": one_line(text),
                           "by": SYSTEM}))
    if minimum is None:
        minimum = settings.effective("MIN_ELIGIBLE_REGISTRANTS", request.published_at,
                                     request.tenant_id)
    eligible = [s for s in active if s.excluded_at is None]
    if cut is not None and len(eligible) >= minimum:
        items += cut(lottery, eligible, minimum, at)
    pool = canonical_pool(s.agency.public_id for s in active if s.excluded_at is None)
    request.closed_at = at
    if len(pool) < minimum:
        if items:
            log.append(items, at=at)
        reason = failed_reason(minimum, len(pool))
        void(lottery, reason, SYSTEM, at=at)
        request.state = RequestState.FAILED.value
        request.failed_reason = reason
        audit.record("system:request:fail", request.public_id, {"eligible": len(pool)})
        return
    if at >= lottery.external_at:
        # Closed only after T (no tick and no page view between the close and T): the pool may
        # no longer be frozen (lottery-v1.md §7: freeze.at < T), so void before the freeze and
        # run again under a new lottery id; eligibility is checked again at the new close.
        request.closed_at = None
        void(lottery, "报名截止后未能在外部随机数公开前冻结名单，本次摇号作废并重新公告", SYSTEM, at=at)
        restart(request, lottery)
        return
    items.append(("freeze", lottery.lottery_id, {"pool": pool, "pool_root": pool_root(pool).hex()}))
    log.append(items, at=at)
    lottery.state = LotteryState.FROZEN.value
    lottery.pool = pool
    request.state = RequestState.CLOSED.value
    audit.record("system:lottery:freeze", lottery.lottery_id, {"pool": len(pool)})


def enter_witness(lottery: Lottery, user: User, value: str) -> None:
    """A witness types their digits (见证人录入): after the freeze and before ``T``."""
    lottery = lock_row(Lottery, lottery.id)
    at = log.next_time()
    request = lottery.request
    witness = next((w for w in request.witnesses if w.user_id == user.id), None)
    if witness is None:
        raise SelectionError(None, N_("您不是本次摇号的见证人。"))
    if lottery.state != LotteryState.FROZEN:
        raise SelectionError(None, N_("报名截止、名单冻结之后才能录入见证随机数。"))
    if at >= lottery.external_at:
        raise SelectionError("value", N_("外部随机数已公开，见证随机数的录入已截止。"))
    value = value.strip()
    if not (6 <= len(value) <= 32 and value.isascii() and value.isdigit()):
        raise SelectionError("value", N_("请输入 6–32 位数字。"))
    entered = entries_of(lottery)
    if witness.position in entered:
        raise SelectionError(None, N_("您已录入过，不能修改。"))
    if any(p not in entered for p in range(witness.position)):
        raise SelectionError(None, N_("请等待排在您前面的见证人先录入。"))
    source = {"kind": "witness", "label": plan_entries(lottery)[witness.position]["label"],
              "value": value}
    log_entropy(lottery, witness.position, source, user, at)
    witnesses = sum(1 for e in plan_entries(lottery) if e["kind"] == "witness")
    if witness.position == witnesses - 1:
        _ask_regulators_for_checkpoint(lottery)


def _ask_regulators_for_checkpoint(lottery: Lottery) -> None:
    """Every witness value is in: send ``lottery.witnessed`` (the notify area asks the regulators
    to save the signed checkpoint now, before the external value is public, lottery-v1.md §5
    note, to hold the log to its times)."""
    db.session.flush()
    events.send(events.LotteryWitnessed(at=timeutil.now(), lottery_id=lottery.lottery_id,
                                        request_id=lottery.request_id,
                                        external_at=lottery.external_at))


Drawn = Callable[[SelectionRequest, Lottery, dict[str, Any], datetime], None]


def run_draw(lottery: Lottery, then: Drawn) -> dict[str, Any] | None:
    """Draw once every planned source is in: record, signature, ``draw`` event, then the
    procedure's next step ``then`` (offer the award).  Exactly once: the caller holds the
    lottery row lock and the state is re-checked."""
    lottery = lock_row(Lottery, lottery.id)
    if lottery.state != LotteryState.FROZEN:
        return lottery.record
    entered = entries_of(lottery)
    plan = plan_entries(lottery)
    if len(entered) != len(plan):
        return None
    at = log.next_time()
    secret = crypto.unseal(SECRET_PURPOSE, lottery.lottery_id, lottery.secret_sealed)
    sources = [entered[i].source for i in range(len(plan))]
    record = build_record(lottery.announcement, secret, sources, lottery.pool or [], _iso(at))
    signature = sign_record(platform_key().private, record)
    log.append([("draw", lottery.lottery_id, {"record_hash": record_hash(record).hex(),
                                              "ranking": record["ranking"]})], at=at)
    lottery.record, lottery.signature, lottery.drawn_at = record, signature, at
    lottery.state = LotteryState.DRAWN.value
    then(lottery.request, lottery, record, at)
    audit.record("system:lottery:draw", lottery.lottery_id, {"winners": record["winners"]})
    return record


def witnesses_missed(lottery: Lottery) -> bool:
    """Past ``T`` with a witness value still missing: the lottery must be voided (under its
    row lock, so the void happens once)."""
    lottery = lock_row(Lottery, lottery.id)
    witnesses = sum(1 for e in plan_entries(lottery) if e["kind"] == "witness")
    return lottery.state == LotteryState.FROZEN and len(
        [p for p in entries_of(lottery) if p < witnesses]) < witnesses


def restart(request: SelectionRequest, voided: Lottery) -> None:
    """Re-announce a request whose lottery was voided by the system: a new lottery id, a new
    window of the minimum length, the agencies still signed up carried over."""
    days = settings.effective("SIGNUP_MIN_WORKING_DAYS", request.published_at,
                              request.tenant_id)
    today = timeutil.today_local()
    old_close = request.signup_closes_at
    new_day = current_calendar(request.tenant_id).add_working_days(today, days)
    request.signup_closes_at = local_day_start(new_day) + (
        old_close - local_day_start(local_date(old_close)))
    request.state = RequestState.OPEN.value
    request.version += 1
    carry = [s for s in request.signups if s.lottery_id == voided.lottery_id
             and s.withdrawn_at is None]
    for s in carry:
        s.excluded_at = None
        s.exclude_reason = None
    announce(request, replaces=voided.lottery_id, carry_over=carry, fallback=True)
    audit.record("system:request:reannounce", request.public_id, {"replaces": voided.lottery_id})


def bundle(lottery: Lottery) -> dict[str, Any]:
    """The public verification bundle (lottery-v1.md §8) against the latest checkpoint."""
    if lottery.record is None or lottery.signature is None:
        raise SelectionError(None, N_("尚未抽取，没有可核验的结果。"))
    cp = log.latest_checkpoint()
    if cp is None:  # a drawn lottery has logged events, so a checkpoint exists
        raise RuntimeError("drawn lottery but no checkpoint")
    key = platform_key()
    events = log.events_of(lottery.lottery_id)
    entries = log_entries(log.reader(cp.size), [e for e in events if e["seq"] < cp.size], cp.size)
    return build_bundle(lottery.announcement, lottery.record, lottery.signature, key.public_raw,
                        key.name, key.name, cp.note, entries)
