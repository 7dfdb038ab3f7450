"""The award windows shared by every method: the offer (中选), the result notice (中选公示), the
winner's confirmation, objections (异议) being filed, and how the result changed.

What depends on the method — who the award passes to after a decline or a timeout
(lottery-v1.md §7 rule 6), how an upheld objection re-runs the selection — is the request's
procedure's (:mod:`market.selection.procedures`).

Who may call: :func:`confirm` the awarded agency (its own award); :func:`file_objection` an
agency that registered (signed up or quoted) for the request, while the result notice is
public; :func:`offer_award` a procedure, when it selects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from market import events, timeutil
from market.accounts import audit
from market.accounts.models import Organisation, User
from market.agencies.models import Listing
from market.calendar.service import current_calendar
from market.db import db, lock_row
from market.domain.calendar import WorkingCalendar, local_date
from market.domain.publicity import window_end
from market.i18n import N_
from market.selection.errors import SelectionError
from market.selection.models import (
    Award,
    AwardState,
    Bid,
    Objection,
    ObjectionState,
    SelectionRequest,
    SignUp,
)
from market.settings import service as settings

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

def _adder(award: Award) -> Any:
    """Working-day addition in the calendar of the award's request's tenant."""
    cal = current_calendar(award.request.tenant_id)
    return cal.add_working_days


def _published(award: Award) -> datetime | None:
    """The moment whose settings an award's windows keep: its request's publication."""
    return award.request.published_at or award.offered_at


def publicity_end(award: Award) -> datetime:
    days = settings.effective("PUBLICITY_WORKING_DAYS", _published(award),
                              award.request.tenant_id)
    return window_end(award.offered_at, days, _adder(award))


def confirm_by(award: Award) -> datetime:
    return window_end(award.offered_at, settings.effective("CONFIRM_WORKING_DAYS",
                                                           _published(award),
                                                           award.request.tenant_id),
                      _adder(award))


def contract_from(award: Award) -> datetime | None:
    """When the contract (合同签订) of a confirmed award may begin: once its result notice
    (中选公示) has ended and no objection to it is pending — the end of the notice, the
    confirmation, or the decision of the last objection, whichever is latest.  None while the
    award is not confirmed or an objection to it waits for the regulator."""
    if award.state != AwardState.CONFIRMED:
        return None
    if has_pending_objection(award):
        return None
    decided = db.session.scalars(sa.select(Objection.decided_at).where(
        Objection.award_id == award.id, Objection.decided_at.is_not(None))).all()
    return max([publicity_end(award), award.decided_at or award.offered_at,
                *(at for at in decided if at is not None)])


def objection_due(objection: Objection, cal: WorkingCalendar | None = None) -> date:
    """The last working day for the regulators to decide an objection (异议处理期限):
    ``OBJECTION_WORKING_DAYS`` after the day it was filed, in the calendar of its request's
    tenant (``cal``, when given, must be that one).  The one deadline the objection pages
    show, the reminder announces and electronic supervision escalates after."""
    cal = cal or current_calendar(objection.request.tenant_id)
    return cal.add_working_days(local_date(objection.filed_at),
                                settings.effective("OBJECTION_WORKING_DAYS", objection.filed_at,
                                                   objection.request.tenant_id))


def remind_objections(now: datetime) -> int:
    """``objection.due`` for every pending objection whose deadline is today or the next
    working day (the notify area reminds the regulators, once each); past the deadline
    electronic supervision escalates it.  Idempotent; returns how many reminders were new."""
    today = local_date(now)
    made = 0
    for objection in db.session.scalars(sa.select(Objection).where(
            Objection.state == ObjectionState.PENDING.value).order_by(Objection.id)):
        cal = current_calendar(objection.request.tenant_id)
        due = objection_due(objection, cal)
        if today <= due and cal.working_days_between(today, due) <= 1:
            answers = events.send(events.ObjectionDue(
                at=now, objection_id=objection.id, request_id=objection.request_id,
                request_public_id=objection.request.public_id, due_on=due))
            made += sum(a for a in answers if isinstance(a, int))
    return made


def has_pending_objection(award: Award) -> bool:
    """An objection to the award waits for the regulator's decision."""
    return db.session.scalar(sa.select(Objection.id).where(
        Objection.award_id == award.id,
        Objection.state == ObjectionState.PENDING.value).limit(1)) is not None


def current_award(request: SelectionRequest) -> Award | None:
    """The live award (offered or confirmed) of the request, if any."""
    return current_of(awards_of(request))


def current_of(awards: list[Award]) -> Award | None:
    """The live award among one request's awards (in id order): the latest offered or
    confirmed; a request has at most one, since an award is passed on only once it is lost."""
    return next((a for a in reversed(awards) if a.state in LIVE), None)


def current_awards(requests: list[SelectionRequest]) -> dict[int, Award]:
    """The live award of each of ``requests`` that has one, by request id, their agencies
    loaded: one query for a whole list (what :func:`current_award` reads for one)."""
    ids = [r.id for r in requests]
    if not ids:
        return {}
    found = db.session.scalars(sa.select(Award).where(Award.request_id.in_(ids),
                                                      Award.state.in_(LIVE))
                               .options(joinedload(Award.agency)).order_by(Award.id))
    # the latest live one, as current_of picks it (a request has at most one)
    return {a.request_id: a for a in found}


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
        # a voided award: the regulator's reason as written (its stored reason is the logged
        # line, "异议成立：…"); otherwise the decline's
        reason = (upheld.get(a.id) if a.state == AwardState.VOIDED and a.id in upheld
                  else a.decline_reason) or ""
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
    if explanation_due(award) and not award.low_explanation:
        raise SelectionError(None, N_("本机构的报价为异常低价，须先提交书面说明才能确认中选。"))
    award.state = AwardState.CONFIRMED.value
    award.decided_at = now
    audit.record("agency:award:confirm", award.request.public_id,
                 {"agency": agency.public_id, "award": award.id})
    return award


def explanation_due(award: Award) -> bool:
    """The notice asks an abnormally low quote to be explained in writing (异常低价), and the
    award is on such a quote: no confirmation without the explanation."""
    if award.request.low_action != "explain":
        return False
    return bool(db.session.scalar(sa.select(Bid.id).where(
        Bid.request_id == award.request_id, Bid.round == award.request.bid_round,
        Bid.agency_org_id == award.agency_org_id, Bid.replaced_at.is_(None),
        Bid.abnormally_low.is_(True)).limit(1)))


def offer_award(request: SelectionRequest, lottery_id: str | None, agency_id: str, rank: int,
                at: datetime, fee_fen: int | None = None) -> Award:
    """The award to a selected agency, with the fee and days fixed now (see :class:`Award`)."""
    org = db.session.scalar(sa.select(Organisation).where(Organisation.public_id == agency_id))
    if org is None:
        raise RuntimeError(f"selected agency {agency_id} does not exist")
    listing = db.session.scalar(sa.select(Listing).where(
        Listing.organisation_id == org.id, Listing.service_type_id == request.service_type_id))
    days = request.service_days if listing is None else min(request.service_days,
                                                            listing.committed_days)
    award = Award(request_id=request.id, lottery_id=lottery_id, agency_org_id=org.id, rank=rank,
                  fee_fen=fee_fen if fee_fen is not None else (
                      request.price_fen or request.cap_fen or 0), service_days=days,
                  state=AwardState.OFFERED.value, offered_at=at)
    db.session.add(award)
    audit.record("system:award:offer", request.public_id, {"agency": agency_id, "rank": rank})
    return award


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
