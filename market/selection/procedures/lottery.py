"""Random selection (随机抽取) and credit merit (信用择优): agencies sign up at the published
price, the pool is frozen at the close and a verifiable draw (lottery-v1) ranks it.  A random
selection awards the first drawn and passes the award down the ranking; credit merit first
keeps the long list above the published credit threshold, draws the short list from it, and
the owner chooses from the short list with a written reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import current_app

from market import timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.credit.score import scores_for
from market.db import db, lock_row
from market.domain.credit import (
    SHORTLIST_RANGE,
    THRESHOLD_RANGE,
    Scored,
    credit_cut,
    long_list,
    shortlist_minimum,
    still_selected,
)
from market.i18n import N_
from market.selection import draw
from market.selection.award import LIVE, awards_of, offer_award
from market.selection.errors import SelectionError
from market.selection.models import (
    Award,
    AwardState,
    Lottery,
    LotteryState,
    Method,
    Project,
    RequestState,
    SelectionRequest,
    SignUp,
)
from market.selection.procedures.base import Alternate, NoticeView, Procedure, closed_refusal
from market.selection.terms import Problem, RequestInput
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
    """Credit merit under the earlier rule (requests published without a threshold): rank the
    eligible by credit score, keep the top half (at least ``minimum``; everyone tied with the
    last kept stays, and the draw decides among them); the others leave the pool as
    ``exclude`` events with their score in the reason."""
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


def long_list_items(lottery: Lottery, eligible: list[SignUp], minimum: int,
                    at: datetime) -> list[tuple[str, str, dict[str, Any]]]:
    """Credit merit (信用择优) at the close: the long list (入围名单) is every eligible agency
    whose credit score reaches the published threshold; the others leave the pool as
    ``exclude`` events with their score and the threshold in the reason."""
    threshold = int(lottery.request.credit_threshold or 0)
    scores = scores_for([s.agency_org_id for s in eligible])
    by_id = {s.agency.public_id: s for s in eligible}
    _kept, out = long_list([Scored(a, scores[s.agency_org_id]) for a, s in by_id.items()],
                           threshold)
    items: list[tuple[str, str, dict[str, Any]]] = []
    for agency_id in out:
        s = by_id[agency_id]
        text = f"信用择优：信用分 {scores[s.agency_org_id]} 分，低于入围线 {threshold} 分"
        s.excluded_at, s.exclude_reason = at, text
        items.append(("exclude", lottery.lottery_id,
                      {"agency_id": agency_id, "reason": text, "by": draw.SYSTEM}))
    return items


def shortlisted(request: SelectionRequest) -> bool:
    """Whether the request runs credit merit with a short list the owner chooses from (its
    notice published a threshold); requests published before keep the top-half rule."""
    return request.method == Method.CREDIT_MERIT and request.credit_threshold is not None


def selected_set(request: SelectionRequest, lottery: Lottery) -> list[str]:
    """The short list the owner may choose from now (lottery-v1 §7 rule 6): the drawn short
    list, one alternate more per decline or lapse (or award voided by an upheld objection
    under "next", logged as a decline too), less the agencies that passed."""
    if lottery.record is None:
        return []
    passed = [a.agency.public_id for a in awards_of(request)
              if a.lottery_id == lottery.lottery_id
              and a.state in (AwardState.DECLINED.value, AwardState.TIMED_OUT.value,
                              AwardState.VOIDED.value)]
    return still_selected(list(lottery.record["ranking"]), int(lottery.record["k"]), passed)


class CreditMerit(RandomDraw):
    """信用择优: agencies sign up at the published price; at the close the long list is every
    eligible agency at or above the published credit threshold; a verifiable draw (lottery-v1,
    ``k`` = the short list's size) puts the short list (入围候选) on the notice; the owner
    chooses one of it with a written reason, published on the notice.  A decline or a lapse
    brings the draw's next alternate onto the short list and the owner chooses again."""

    method = Method.CREDIT_MERIT.value

    def check_terms(self, owner: Organisation, project: Project | None, data: RequestInput,
                    now: datetime, found: list[Problem]) -> None:
        # the long list's credit threshold and the short list's size
        low, high = THRESHOLD_RANGE
        if data.credit_threshold is None or not low <= data.credit_threshold <= high:
            found.append(Problem("credit_threshold", N_("入围信用分须为 %(low)s–%(high)s 分。"),
                                 {"low": low, "high": high}))
        low, high = SHORTLIST_RANGE
        if data.shortlist_size is None or not low <= data.shortlist_size <= high:
            found.append(Problem("shortlist_size", N_("入围候选须为 %(low)s–%(high)s 家。"),
                                 {"low": low, "high": high}))

    def apply_terms(self, request: SelectionRequest, data: RequestInput) -> None:
        super().apply_terms(request, data)
        request.credit_threshold = data.credit_threshold
        request.shortlist_size = data.shortlist_size

    def notice_view(self, request: SelectionRequest) -> NoticeView:
        return NoticeView(shortlist=shortlist_of(request))

    def close(self, request: SelectionRequest) -> None:
        if not shortlisted(request):
            draw.close(request, credit_cut_items)
            return
        minimum = shortlist_minimum(int(current_app.config["MIN_ELIGIBLE_REGISTRANTS"]),
                                    int(request.shortlist_size or 1))
        draw.close(request, long_list_items, minimum)

    def drawn(self, request: SelectionRequest, lottery: Lottery, record: dict[str, Any],
              at: datetime) -> None:
        if not shortlisted(request):
            super().drawn(request, lottery, record, at)
            return
        # the request stays closed: the short list is public and the owner chooses
        audit.record("system:request:shortlist", request.public_id,
                     {"lottery": lottery.lottery_id, "shortlist": list(record["winners"])})

    def next_alternate(self, award: Award, lottery: Lottery | None, from_lottery: str | None,
                       reason: str, by: str, at: datetime) -> Alternate | None:
        if not shortlisted(award.request):
            return super().next_alternate(award, lottery, from_lottery, reason, by, at)
        return None  # the owner chooses again from the short list (awaits_choice)

    def awaits_choice(self, request: SelectionRequest) -> bool:
        lottery = draw.current_lottery(request)
        return (shortlisted(request) and lottery is not None
                and lottery.state == LotteryState.DRAWN and bool(selected_set(request, lottery)))


def choose(request: SelectionRequest, owner: Organisation, user: User, agency_id: str,
           reason: str) -> Award:
    """The owner chooses one agency of the short list (择优选定), with a written reason that
    the notice publishes; the award is offered to it at the published price.

    Who may call: the owner organisation's administrator or delegates, for their own
    request.  Changes: an award (its ``choice_reason``), the request becomes selected."""
    reason = reason.strip()
    if request.owner_org_id != owner.id:
        raise SelectionError(None, N_("只有本单位的公告可以选定中选机构。"))
    if not 1 <= len(reason) <= 500:
        raise SelectionError("reason", N_("请写明选定理由（不超过 500 字），理由将公开。"))
    request = lock_row(SelectionRequest, request.id)
    lottery = draw.current_lottery(request)
    if (not shortlisted(request) or request.state != RequestState.CLOSED or lottery is None
            or lottery.state != LotteryState.DRAWN):
        raise SelectionError(None, N_("现在不是从入围候选中选定的时候。"))
    lottery = lock_row(Lottery, lottery.id)
    choices = selected_set(request, lottery)
    if agency_id not in choices:
        raise SelectionError("agency", N_("请从入围候选中选择一家。"))
    if any(a.state in LIVE for a in awards_of(request)):
        raise SelectionError(None, N_("已选定中选机构。"))
    at = timeutil.now()
    award = offer_award(request, lottery.lottery_id, agency_id,
                        list(lottery.record["ranking"]).index(agency_id), at)
    award.choice_reason = reason
    request.state = RequestState.SELECTED.value
    audit.record("owner:request:choose", request.public_id,
                 {"agency": agency_id, "reason": reason, "shortlist": choices})
    return award


LONG_LIST_SHOWN = 200


@dataclass(frozen=True)
class Shortlist:
    """What a credit merit's notice shows (信用择优): its published terms, the long list once
    the pool is frozen, the drawn short list, and whom the owner may choose from now."""

    threshold: int
    size: int
    lottery_id: str | None
    long_count: int
    long_list: list[tuple[str, str]]  # the first LONG_LIST_SHOWN (the draw page has them all)
    shortlist: list[tuple[str, str]]
    choices: list[tuple[str, str]]


def shortlist_of(request: SelectionRequest) -> Shortlist | None:
    """The short list's facts for the pages (None: not a credit merit with a short list)."""
    if not shortlisted(request):
        return None
    lottery = draw.current_lottery(request)
    pool = list(lottery.pool or []) if lottery is not None else []
    record = lottery.record if lottery is not None and lottery.state == LotteryState.DRAWN else None
    drawn = list(record["winners"]) if record else []
    choices = selected_set(request, lottery) if lottery is not None and record else []
    if any(a.state in LIVE for a in awards_of(request)):
        choices = []
    wanted = sorted({*pool[:LONG_LIST_SHOWN], *drawn, *choices})
    names = dict(db.session.execute(sa.select(Organisation.public_id, Organisation.name)
                                    .where(Organisation.public_id.in_(wanted))).all()) \
        if wanted else {}
    return Shortlist(int(request.credit_threshold or 0), int(request.shortlist_size or 0),
                     lottery.lottery_id if lottery is not None else None, len(pool),
                     [(a, names.get(a, "")) for a in pool[:LONG_LIST_SHOWN]],
                     [(a, names.get(a, "")) for a in drawn],
                     [(a, names.get(a, "")) for a in choices])
