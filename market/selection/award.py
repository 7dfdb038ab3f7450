"""After selection, for every method: the result notice (中选公示), objections (异议), the
winner's confirmation, declines and timeouts passing the award on (lottery-v1.md §7 rule 6).

Who may call: :func:`confirm` / :func:`decline` the awarded agency (its own award);
:func:`file_objection` an agency that registered (signed up or quoted) for the request, while
the result notice is public; :func:`decide_objection` a regulator; :func:`advance_awards` any
page view or ``flask selection tick`` (timeouts; idempotent under the award's row lock).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.calendar.service import current_calendar
from market.db import db, lock_row
from market.domain.publicity import window_end
from market.i18n import N_
from market.selection import bidlog, opening
from market.selection.errors import SelectionError
from market.selection.logtext import event_text
from market.selection.models import (
    Award,
    AwardState,
    Bid,
    Lottery,
    LotteryState,
    Method,
    Objection,
    ObjectionState,
    RequestState,
    SelectionRequest,
    SignUp,
)
from market.transparency import log

SYSTEM = "system"
LIVE = (AwardState.OFFERED.value, AwardState.CONFIRMED.value)
MAX_OBJECTION = 2000


# --- as the credit score reads it --------------------------------------------------------------

def declines(agency_org_id: int) -> int:
    """The agency's declines and confirmation timeouts (what the credit score counts)."""
    return db.session.scalar(sa.select(sa.func.count(Award.id)).where(
        Award.agency_org_id == agency_org_id,
        Award.state.in_((AwardState.DECLINED.value, AwardState.TIMED_OUT.value)))) or 0


# --- windows ------------------------------------------------------------------------------

def _add(d: Any, n: int) -> Any:
    return current_calendar().add_working_days(d, n)


def publicity_end(award: Award) -> datetime:
    return window_end(award.offered_at, int(current_app.config["PUBLICITY_WORKING_DAYS"]), _add)


def confirm_by(award: Award) -> datetime:
    return window_end(award.offered_at, int(current_app.config["CONFIRM_WORKING_DAYS"]), _add)


def current_award(request: SelectionRequest) -> Award | None:
    """The live award (offered or confirmed) of the request, if any."""
    return current_of(awards_of(request))


def current_of(awards: list[Award]) -> Award | None:
    """The live award among one request's awards (in id order): the latest offered or
    confirmed; a request has at most one, since an award is passed on only once it is lost."""
    return next((a for a in reversed(awards) if a.state in LIVE), None)


def awards_of(request: SelectionRequest) -> list[Award]:
    return list(db.session.scalars(sa.select(Award).where(Award.request_id == request.id)
                                   .order_by(Award.id)))


@dataclass(frozen=True)
class AwardChange:
    """Why an award stopped being the result (中选结果变更), as every page that names a winner
    says it: who lost it, how (``declined``, ``timed_out`` or ``voided``), the public reason,
    when, and who it passed to (None: nobody, the request failed or runs again)."""

    agency_id: str
    agency_name: str
    how: str
    reason: str
    at: datetime
    to_agency_id: str | None
    to_agency_name: str | None


def changes(request: SelectionRequest, awards: list[Award] | None = None) -> list[AwardChange]:
    """Every change of the request's result in order; empty while the first award stands."""
    rows = awards if awards is not None else awards_of(request)
    by_id = {a.id: a for a in rows}
    upheld = dict(db.session.execute(sa.select(Objection.award_id, Objection.decision_reason)
                                      .where(Objection.request_id == request.id,
                                             Objection.state == ObjectionState.UPHELD.value)).all())
    out = []
    for a in rows:
        if a.state in LIVE:
            continue
        to = by_id.get(a.replaced_by_id) if a.replaced_by_id else None
        reason = a.decline_reason or upheld.get(a.id) or ""
        out.append(AwardChange(a.agency.public_id, a.agency.name, a.state, reason,
                               a.decided_at or a.offered_at,
                               to.agency.public_id if to else None,
                               to.agency.name if to else None))
    return out


# --- confirm, decline, timeout --------------------------------------------------------------

def confirm(award: Award, agency: Organisation) -> Award:
    """The awarded agency confirms (确认中选) within the confirmation window."""
    award = lock_row(Award, award.id)
    now = timeutil.now()
    if award.agency_org_id != agency.id:
        raise SelectionError(None, N_("这不是本机构的中选结果，不能确认。"))
    if award.state != AwardState.OFFERED:
        raise SelectionError(None, N_("该中选结果已处理，不能再确认。"))
    if now >= confirm_by(award):
        raise SelectionError(None, N_("确认期限已于 %(at)s 届满，不能再确认。"),
                             at=confirm_by(award).astimezone(timeutil.SHANGHAI)
                             .strftime("%Y-%m-%d %H:%M"))
    award.state = AwardState.CONFIRMED.value
    award.decided_at = now
    audit.record("agency:award:confirm", award.request.public_id,
                 {"agency": agency.public_id, "award": award.id})
    return award


def decline(award: Award, agency: Organisation, user: User, reason: str) -> Award | None:
    """The awarded agency declines (放弃中选) before confirming; the award passes on."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise SelectionError("reason", N_("请写明放弃理由（不超过 500 字）。"))
    event_text(reason, "reason")  # logged as the decline's reason: the log's rule, first
    award = lock_row(Award, award.id)
    if award.agency_org_id != agency.id:
        raise SelectionError(None, N_("这不是本机构的中选结果。"))
    if award.state != AwardState.OFFERED:
        raise SelectionError(None, N_("该中选结果已处理，不能再放弃。"))
    if timeutil.now() >= confirm_by(award):
        raise SelectionError(None, N_("确认期限已届满。"))
    return _pass_on(award, AwardState.DECLINED, reason, user.account_id)


def _pass_on(award: Award, state: AwardState, reason: str, by: str) -> Award | None:
    """Record the decline (``decline`` event), then offer the award to the next alternate —
    §7 rule 6 for a drawn lottery; the next-lowest quote for a sealed bid."""
    from market.selection import sealed
    from market.selection.draw import offer_award

    request = award.request
    at = log.next_time()
    agency_id = award.agency.public_id
    award.state, award.decided_at = state.value, at
    award.decline_reason, award.decided_by = reason, by
    replacement: str | None = None
    via_lottery: str | None = None
    fee: int | None = None
    rank = 0
    lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == award.lottery_id)) \
        if award.lottery_id else None
    lot_replacement: str | None = None
    if lottery is not None and lottery.record is not None:
        ranking = list(lottery.record["ranking"])
        k = int(lottery.record["k"])
        # replacements already used: awards through this lottery to agencies of ranking[k:]
        used = sum(1 for a in awards_of(request) if a.lottery_id == lottery.lottery_id
                   and a.agency.public_id in ranking[k:])
        lot_replacement = ranking[k + used] if k + used < len(ranking) else None
        log.append([("decline", lottery.lottery_id, {
            "agency_id": agency_id, "reason": event_text(reason, "reason"),
            "replacement": lot_replacement, "by": by})], at=at)
    if request.method == Method.SEALED_BID:
        offered = {a.agency.public_id for a in awards_of(request)}
        ranking_b = sealed.full_ranking(request)
        replacement = next((a for a in ranking_b if a not in offered), None)
        if lot_replacement is not None:
            replacement = lot_replacement
        via_lottery = award.lottery_id if replacement == lot_replacement else None
        fee = sealed.amount_of(request, replacement) if replacement else None
        rank = ranking_b.index(replacement) if replacement else 0
        bidlog.append("decline", request.public_id, {
            "agency_id": agency_id, "reason": event_text(reason, "reason"),
            "replacement": replacement, "by": by}, at=max(at, bidlog.next_time()))
    elif lottery is not None:
        replacement, via_lottery = lot_replacement, lottery.lottery_id
        rank = list(lottery.record["ranking"]).index(replacement) if replacement else 0
    tag = "agency:award:decline" if state == AwardState.DECLINED else "system:award:timeout"
    audit.record(tag, request.public_id, {"agency": agency_id, "replacement": replacement,
                                          "reason": reason})
    if replacement is None:
        request.state = RequestState.FAILED.value
        request.failed_reason = "中选机构放弃或逾期未确认，且没有候补，本次选取失败"
        _passed(award, at)
        return None
    new = offer_award(request, via_lottery, replacement, rank, at, fee_fen=fee)
    db.session.flush()
    award.replaced_by_id = new.id
    _passed(award, at)
    return new


def _passed(award: Award, at: datetime) -> None:
    """Send ``award.passed`` (everyone involved is told, by the notify area)."""
    db.session.flush()
    events.send(events.AwardPassed(
        at=at, award_id=award.id, request_id=award.request_id,
        request_public_id=award.request.public_id, agency_org_id=award.agency_org_id,
        agency_public_id=award.agency.public_id, how=award.state))


def advance_awards(request: SelectionRequest) -> None:
    """Confirmation timeouts (逾期未确认): a ``decline`` by ``system``; idempotent."""
    if request.state != RequestState.SELECTED:
        return
    now = timeutil.now()
    for _ in range(100):  # each timeout may offer the next alternate, who may be late too
        award = current_award(request)
        if award is None or award.state != AwardState.OFFERED or now < confirm_by(award):
            return
        award = lock_row(Award, award.id)
        if award.state != AwardState.OFFERED:
            return
        _pass_on(award, AwardState.TIMED_OUT, "逾期未确认中选结果", SYSTEM)


# --- objections ------------------------------------------------------------------------------

def is_registrant(request: SelectionRequest, agency: Organisation) -> bool:
    signed = db.session.scalar(sa.select(SignUp.id).where(
        SignUp.request_id == request.id, SignUp.agency_org_id == agency.id).limit(1))
    quoted = db.session.scalar(sa.select(Bid.id).where(
        Bid.request_id == request.id, Bid.agency_org_id == agency.id).limit(1))
    named = request.direct_agency_org_id == agency.id
    return bool(signed or quoted or named)


def check_objection(request: SelectionRequest, agency: Organisation, text: str) -> Award:
    """Why an objection cannot be filed now, if it cannot (before anything is stored)."""
    award = current_award(request)
    now = timeutil.now()
    if award is None or not award.offered_at <= now < publicity_end(award):
        raise SelectionError(None, N_("只能在中选公示期内提出异议。"))
    if not is_registrant(request, agency):
        raise SelectionError(None, N_("只有参加了本次选取的机构可以提出异议。"))
    if db.session.scalar(sa.select(Objection.id).where(
            Objection.award_id == award.id, Objection.agency_org_id == agency.id)):
        raise SelectionError(None, N_("本机构已对本次公示提出过异议。"))
    if not 1 <= len(text.strip()) <= MAX_OBJECTION:
        raise SelectionError("text", N_("请写明异议的事实和理由（不超过 2000 字）。"))
    return award


def file_objection(request: SelectionRequest, agency: Organisation, user: User, text: str,
                   upload_id: int | None) -> Objection:
    """A registrant files an objection (异议) during the result notice."""
    award = check_objection(request, agency, text)
    objection = Objection(request_id=request.id, award_id=award.id, agency_org_id=agency.id,
                          by_id=user.id, text=text.strip(), upload_id=upload_id,
                          filed_at=timeutil.now(), state=ObjectionState.PENDING.value)
    db.session.add(objection)
    db.session.flush()
    audit.record("agency:objection:file", request.public_id,
                 {"agency": agency.public_id, "objection": objection.id})
    return objection


def decide_objection(objection: Objection, regulator: User, uphold: bool, reason: str) -> None:
    """A regulator upholds (异议成立: the selection is voided and re-run) or rejects (异议不成立)
    an objection, with a reason; both are public."""
    reason = reason.strip()
    if not 1 <= len(reason) <= 500:
        raise SelectionError("reason", N_("请写明处理理由（不超过 500 字）。"))
    # An upheld objection's reason is logged (void): one line, checked before the first write.
    logged = event_text(f"异议成立：{reason}", "reason")
    objection = lock_row(Objection, objection.id)
    if objection.state != ObjectionState.PENDING:
        raise SelectionError(None, N_("该异议已处理。"))
    request = lock_row(SelectionRequest, objection.request_id)
    objection.decided_by_id, objection.decided_at = regulator.id, timeutil.now()
    objection.decision_reason = reason
    if not uphold:
        objection.state = ObjectionState.REJECTED.value
        audit.record("regulator:objection:reject", request.public_id,
                     {"objection": objection.id, "reason": reason})
        return
    objection.state = ObjectionState.UPHELD.value
    audit.record("regulator:objection:uphold", request.public_id,
                 {"objection": objection.id, "reason": reason})
    rerun(request, logged, regulator)


def rerun(request: SelectionRequest, reason: str, regulator: User) -> None:
    """Void the selection (a ``void`` by the regulator's account for a drawn lottery) and run
    the request again: a new window and a new lottery id that ``replaces`` the voided one."""
    from market.selection import draw

    for a in awards_of(request):
        if a.state in LIVE:
            a.state, a.decided_at, a.decided_by = AwardState.VOIDED.value, timeutil.now(), \
                regulator.account_id
    lottery = draw.current_lottery(request)
    voided = None
    if lottery is not None and lottery.state in (LotteryState.DRAWN.value, LotteryState.FROZEN.value):
        draw.void(lottery, reason, regulator.account_id, at=log.next_time())
        voided = lottery
    if request.method in draw.LOTTERY_METHODS and voided is not None:
        draw._restart(request, voided)
    elif request.method == Method.SEALED_BID:
        bidlog.append("void", request.public_id, {"round": request.bid_round,
                                                  "reason": event_text(reason, "reason"),
                                                  "decided_by": regulator.account_id})
        _new_window(request)
        request.bid_round += 1
        opening.next_round(request)
        request.opened_at = None
        request.state = RequestState.OPEN.value
        request.version += 1
    else:
        request.state = RequestState.FAILED.value
        request.failed_reason = reason
    audit.record("regulator:request:rerun", request.public_id, {"reason": reason})


def _new_window(request: SelectionRequest) -> None:
    from market.domain.calendar import local_date, local_day_start

    days = int(current_app.config["SIGNUP_MIN_WORKING_DAYS"])
    old = request.signup_closes_at
    new_day = current_calendar().add_working_days(timeutil.today_local(), days)
    request.signup_closes_at = local_day_start(new_day) + (old - local_day_start(local_date(old)))
