"""What the home page shows of the city's work (首页): the notices open for sign-up, today's
draws and their state, the latest results and contract notices, and last month's headline
figures.  ``division``: a city's or county's home (``/d/<code>/``) shows only its own
requests' (a city's with its counties'); none, the whole platform's."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from market import timeutil
from market.db import db
from market.domain.reports import Month
from market.engagements.models import Engagement
from market.extensions import cache
from market.reports.figures import monthly
from market.selection.models import (
    Award,
    AwardState,
    Lottery,
    LotteryState,
    RequestState,
    SelectionRequest,
)
from market.selection.scope import in_division

ROWS = 6
Stmt = sa.Select[Any]


def _in(stmt: Stmt, division: str | None) -> Stmt:
    """``stmt`` (which selects from or joins ``selection_request``) narrowed to a division."""
    return in_division(stmt, division) if division else stmt


def open_for_signup(now: datetime, division: str | None = None) -> list[SelectionRequest]:
    """Published notices still taking sign-ups or quotes, the nearest deadline first."""
    return list(db.session.scalars(_in(
        sa.select(SelectionRequest).options(joinedload(SelectionRequest.service_type))
        .where(SelectionRequest.state == RequestState.OPEN.value,
               SelectionRequest.signup_closes_at > now), division)
        .order_by(SelectionRequest.signup_closes_at).limit(ROWS)))


def draws_today(now: datetime, division: str | None = None) -> list[Lottery]:
    """Draws whose external value comes out today (Beijing), or that wait for it now."""
    day = timeutil.today_local()
    start = datetime.combine(day, time(0), tzinfo=timeutil.SHANGHAI)
    end = start + timedelta(days=1)
    stmt = (sa.select(Lottery).options(joinedload(Lottery.request))
            .where(Lottery.state.in_([LotteryState.FROZEN.value, LotteryState.DRAWN.value,
                                      LotteryState.OPEN.value]),
                   Lottery.external_at >= start, Lottery.external_at < end))
    if division:
        stmt = _in(stmt.join(SelectionRequest, SelectionRequest.id == Lottery.request_id),
                   division)
    return list(db.session.scalars(stmt.order_by(Lottery.external_at).limit(ROWS)))


def latest_results(division: str | None = None) -> list[Award]:
    """The latest awards offered or confirmed (中选结果), newest first."""
    stmt = (sa.select(Award).options(joinedload(Award.request), joinedload(Award.agency))
            .where(Award.state.in_([AwardState.OFFERED.value, AwardState.CONFIRMED.value])))
    if division:
        stmt = _in(stmt.join(SelectionRequest, SelectionRequest.id == Award.request_id),
                   division)
    return list(db.session.scalars(stmt.order_by(Award.offered_at.desc()).limit(ROWS)))


def latest_contracts(division: str | None = None) -> list[Engagement]:
    """The latest contract notices (合同公告): contracts both sides confirmed, newest first."""
    stmt = (sa.select(Engagement).options(joinedload(Engagement.project),
                                          joinedload(Engagement.agency),
                                          joinedload(Engagement.service_type))
            .where(Engagement.contract_confirmed_at.is_not(None)))
    if division:
        stmt = _in(stmt.join(SelectionRequest, SelectionRequest.id == Engagement.request_id),
                   division)
    return list(db.session.scalars(stmt.order_by(Engagement.contract_confirmed_at.desc(),
                                                 Engagement.id.desc()).limit(ROWS)))


def headline() -> dict[str, Any]:
    """Last month's headline figures from the monthly report (每月统计).  Worked out once a day
    and kept: the month is over, and the report reads every area."""
    month = Month.of(timeutil.today_local()).previous()
    key = f"home-headline|{month.label}|{timeutil.today_local().isoformat()}"
    found = cache.get(key)
    if found is None:
        report = monthly(month)
        found = {"month": month.label, "requests": report.requests_total,
                 "saving_bp": report.saving_bp, "on_time_bp": report.engagements_on_time_bp,
                 "intermediary_bp": report.intermediary_share_bp}
        cache.set(key, found)
    return dict(found)
