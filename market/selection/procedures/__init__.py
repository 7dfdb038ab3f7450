"""The selection procedures (选取方式) by method, and the steps that hand over to them.

:data:`PROCEDURES` is the registry: a new method is its own file (a :class:`Procedure`), its
form, its rules (:data:`market.domain.methods.RULES`: price, draw, window, log family, delegate
witness, ranking) and a line here.  Nothing else names a method: the request's terms
(:mod:`market.selection.requests`) and its public notice (:mod:`market.selection.views_public`)
ask the procedure.  The hooks a new method implements (:mod:`.base` has the defaults of a
method without that step):

- the terms — ``check_terms(owner, project, data, now, found)`` adds the problems of the terms
  only this method has (in the form's order); ``apply_terms(request, data)`` writes them onto
  the request (call ``super()`` first: it clears every other method's terms);
  ``cap_required_text`` (a method quoting under a cap: why a fixed price is refused) and
  ``delegate_witness_text`` (a method whose rules draw a tie at the opening: why a delegate
  must witness);
- the public notice — ``notice_view(request)`` returns a :class:`~.base.NoticeView` (opened
  quotes, proposals, the short list, the count of agencies taking part);
- the steps — ``publish``, ``amended``, ``withdraw_open``, ``close``, ``redraw``, ``drawn``,
  ``next_alternate``, ``awaits_choice``, ``rerun``.

The operations below are the same for every method and ask the request's procedure for what
differs: what time alone decides (:func:`advance`), the external value that completes a draw
(:func:`submit_external`), a key holder's presentation that opens sealed quotes
(:func:`present_key`), a decline or a timeout passing the award on (:func:`decline`,
:func:`advance_awards`), and an objection's decision (:func:`decide_objection`).

Who may call: :func:`advance` and :func:`advance_awards` any page view or ``flask selection
tick`` (idempotent under row locks); :func:`submit_external` operators, the lottery's witnesses
and regulators; :func:`present_key` a regulator holding one of the request's opening keys;
:func:`decline` the awarded agency (its own award); :func:`decide_objection` a regulator.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime

import sqlalchemy as sa

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.db import db, lock_row
from market.domain import methods
from market.i18n import N_
from market.selection import draw, external, opening
from market.selection.award import (
    LIVE,
    awards_of,
    confirm_by,
    current_award,
    current_awards,
    offer_award,
)
from market.selection.errors import SelectionError
from market.selection.logtext import event_text
from market.selection.models import (
    Award,
    AwardState,
    Lottery,
    LotteryState,
    Method,
    Objection,
    ObjectionState,
    RequestState,
    SelectionRequest,
)
from market.selection.procedures.base import Procedure
from market.selection.procedures.direct import Direct
from market.selection.procedures.lottery import CreditMerit, RandomDraw
from market.selection.procedures.proposals import Proposals
from market.selection.procedures.sealed_bid import SealedBid
from market.transparency import log

PASSED = (AwardState.DECLINED.value, AwardState.TIMED_OUT.value)
# awards passed on through their lottery's ``decline`` event: a decline, a timeout, and an
# award voided by an upheld objection whose notice named the next alternate (a voided award
# under a new draw voids its lottery with it, so no later decline of that lottery counts it)
PASSED_ON = (*PASSED, AwardState.VOIDED.value)
PROCEDURES: dict[str, Procedure] = {p.method: p for p in (
    RandomDraw(), CreditMerit(), SealedBid(), Direct(), Proposals())}
SYSTEM = "system"


def of(request: SelectionRequest) -> Procedure:
    """The procedure of the request's method."""
    return PROCEDURES[request.method]


if not set(PROCEDURES) == set(methods.RULES) == {m.value for m in Method}:
    # a method without its procedure or its rules cannot be published
    raise RuntimeError("every selection method needs a procedure and its rules (domain.methods)")


# --- what time alone decides -------------------------------------------------------------------

def advance(request: SelectionRequest) -> None:
    """Everything time alone decides, done lazily on page view and by ``flask selection tick``:
    the close (or the opening), the void of a draw whose witnesses missed ``T``, confirmation
    timeouts.  Idempotent."""
    procedure = of(request)
    now = timeutil.now()
    if request.state == RequestState.OPEN and now >= request.signup_closes_at:
        procedure.close(request)
    lottery = draw.current_lottery(request)
    if (lottery is not None and lottery.state == LotteryState.FROZEN
            and now >= lottery.external_at and draw.witnesses_missed(lottery)):
        at = log.next_time()
        draw.void(lottery, "见证人未在外部随机数公开前全部录入，本次摇号作废并重新公告", SYSTEM, at=at)
        procedure.redraw(request, lottery)
    advance_awards(request)


def advance_many(requests: Sequence[SelectionRequest]) -> None:
    """:func:`advance` of each of a list's requests: their current lotteries and live awards
    are read at once, and :func:`advance` (which reads and checks again) runs only for the
    requests with one of its deadlines passed — the close, a frozen draw's external value,
    an offered award's confirmation — so a list of many settled requests costs two reads."""
    now = timeutil.now()
    lotteries = draw.current_lotteries(requests)
    awards = current_awards([r for r in requests if r.state == RequestState.SELECTED])
    for request in requests:
        lottery, award = lotteries.get(request.id), awards.get(request.id)
        if ((request.state == RequestState.OPEN and now >= request.signup_closes_at)
                or (lottery is not None and lottery.state == LotteryState.FROZEN
                    and now >= lottery.external_at)
                or (award is not None and award.state == AwardState.OFFERED
                    and now >= confirm_by(award))):
            advance(request)


def settled_until(request: SelectionRequest) -> datetime | None:
    """After :func:`advance`: until when time alone changes nothing about ``request`` — the
    earliest deadline :func:`advance` watches that is still ahead (the close, a frozen draw's
    external value, the current award's confirmation).  ``None`` when it may change at any
    moment (past the close and still open: sealed quotes waiting for their keys).  For public
    pages kept while nothing is written (``market.pagecache.fresh_until``)."""
    now = timeutil.now()
    until = datetime.max.replace(tzinfo=UTC)
    if request.state == RequestState.OPEN:
        if now >= request.signup_closes_at:
            return None
        until = request.signup_closes_at
    lottery = draw.current_lottery(request)
    if lottery is not None and lottery.state == LotteryState.FROZEN and now < lottery.external_at:
        until = min(until, lottery.external_at)
    if request.state == RequestState.SELECTED:
        award = current_award(request)
        if award is not None and award.state == AwardState.OFFERED:
            due = confirm_by(award)
            if now >= due:
                return None
            until = min(until, due)
    return until


def run_draw(lottery: Lottery) -> None:
    """Draw (once every planned value is in) and hand the result to the request's procedure."""
    draw.run_draw(lottery, of(lottery.request).drawn)


def submit_external(lottery: Lottery, user: User, value: str, signature: str = "",
                    official_date: date | None = None) -> str:
    """Type the external value (外部随机数录入或复核), see
    :func:`market.selection.external.enter_external`; once the second account confirmed it,
    the draw is run (``"drawn"``); the first entry waits (``"pending"``)."""
    if external.enter_external(lottery, user, value, signature, official_date) == "pending":
        return "pending"
    run_draw(lottery)
    return "drawn"


def present_key(request: SelectionRequest, user: User, text: str) -> bool:
    """A key holder presents its shares (:func:`market.selection.opening.present`); when this
    is the last presentation needed the quotes are opened at once.  Returns whether they are
    open now."""
    opening.present(request, user, text)
    of(request).close(request)
    return request.opened_at is not None


# --- decline, timeout --------------------------------------------------------------------------

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
    return pass_on(award, AwardState.DECLINED, reason, user.account_id)


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
        pass_on(award, AwardState.TIMED_OUT, "逾期未确认中选结果", SYSTEM)


def pass_on(award: Award, state: AwardState, reason: str, by: str,
            tag: str | None = None) -> Award | None:
    """Record the decline (the lottery's ``decline`` event, §7 rule 6, when a draw chose the
    award), then offer the award to the alternate the procedure names, or fail the request.
    ``state`` is how the award was lost: declined (also a contract not signed in time),
    timed out, or voided by an upheld objection whose notice named the next alternate;
    ``tag`` the audit event (by default the decline's or the timeout's)."""
    request = award.request
    at = log.next_time()
    agency_id = award.agency.public_id
    award.state, award.decided_at = state.value, at
    award.decline_reason, award.decided_by = reason, by
    lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == award.lottery_id)) \
        if award.lottery_id else None
    from_lottery: str | None = None
    if lottery is not None and lottery.record is not None:
        ranking = list(lottery.record["ranking"])
        k = int(lottery.record["k"])
        # one replacement is used per earlier decline or lapse of an award through this lottery
        # (§7 rule 6): a short list's replacement joins the selected set before it is awarded
        used = sum(1 for a in awards_of(request) if a.lottery_id == lottery.lottery_id
                   and a is not award and a.state in PASSED_ON)
        from_lottery = ranking[k + used] if k + used < len(ranking) else None
        log.append([("decline", lottery.lottery_id, {
            "agency_id": agency_id, "reason": event_text(reason, "reason"),
            "replacement": from_lottery, "by": by})], at=at)
    alternate = of(request).next_alternate(award, lottery, from_lottery, reason, by, at)
    tag = tag or ("agency:award:decline" if state == AwardState.DECLINED
                  else "system:award:timeout")
    audit.record(tag, request.public_id, {
        "agency": agency_id, "replacement": alternate.agency_id if alternate else None,
        "reason": reason})
    if alternate is None and of(request).awaits_choice(request):
        request.state = RequestState.CLOSED.value  # the owner chooses again from the short list
        _passed(award, at)
        return None
    if alternate is None:
        request.state = RequestState.FAILED.value
        request.failed_reason = ("中选结果作废，且没有候补，本次选取失败"
                                 if state == AwardState.VOIDED else
                                 "中选机构放弃或逾期未确认，且没有候补，本次选取失败")
        _passed(award, at)
        return None
    new = offer_award(request, alternate.lottery_id, alternate.agency_id, alternate.rank, at,
                      fee_fen=alternate.fee_fen)
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


# --- objections --------------------------------------------------------------------------------

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
    award = db.session.get(Award, objection.award_id)
    # Two agencies may object to one result notice.  Once the first upheld objection voided
    # that award, a second one is upheld on the record only: re-running again would void the
    # alternate's award (or the re-run itself), which nobody objected to.
    moot = award is None or award.state not in LIVE
    audit.record("regulator:objection:uphold", request.public_id,
                 {"objection": objection.id, "reason": reason, "award_already_voided": moot})
    if not moot:
        rerun(request, logged, regulator)


def rerun(request: SelectionRequest, reason: str, regulator: User) -> None:
    """The selection after an upheld objection, as its notice said (``on_upheld``, 异议成立后的
    处理): ``next`` — the voided award passes to the next alternate of the published ranking
    (the lottery's ``decline`` event by the regulator's account, the ranking stands), or the
    request fails when none remains; ``redraw`` — every live award is voided, the drawn lottery
    too (a ``void`` by the regulator's account), and the request runs again as its procedure
    does: a new window and a new lottery id that ``replaces`` the voided one, a new round of
    quotes, or (nothing to re-run) a failure.  Each voided award sends ``award.voided`` or
    ``award.passed`` (its engagement, if one started, is cancelled; everyone is told)."""
    live = [a for a in awards_of(request) if a.state in LIVE]
    if methods.on_upheld_of(request.method, request.on_upheld) == methods.ON_UPHELD_NEXT and live:
        for award in live:
            pass_on(lock_row(Award, award.id), AwardState.VOIDED, reason, regulator.account_id,
                    tag="regulator:award:void")
        audit.record("regulator:request:next", request.public_id, {"reason": reason})
        return
    at = timeutil.now()
    for a in live:
        a.state, a.decided_at, a.decided_by = AwardState.VOIDED.value, at, regulator.account_id
        a.decline_reason = reason[:500]
    lottery = draw.current_lottery(request)
    voided = None
    if lottery is not None and lottery.state in (LotteryState.DRAWN.value, LotteryState.FROZEN.value):
        draw.void(lottery, reason, regulator.account_id, at=log.next_time())
        voided = lottery
    of(request).rerun(request, voided, reason, regulator)
    audit.record("regulator:request:rerun", request.public_id, {"reason": reason})
    db.session.flush()
    for a in live:
        events.send(events.AwardVoided(
            at=at, award_id=a.id, request_id=request.id, request_public_id=request.public_id,
            agency_org_id=a.agency_org_id, agency_public_id=a.agency.public_id,
            reason=reason, rerun=request.state != RequestState.FAILED.value))
