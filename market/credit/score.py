"""Credit scores (信用分) from the published formula (:mod:`market.domain.credit_formula`).

:func:`score_for` is what credit-merit selection calls: it computes the score from the current
inputs (so a sanction that just ended, or a decline just logged, counts at once).
:func:`recompute` also stores the result (:class:`CreditRecord`); it runs when an input changes
here: a rating (evaluation), an upheld complaint (the regulator), a sanction issued or repaired
(the ``sanction.issued`` event, :func:`market.regulator.sanctions.repair`).  :func:`red_list`
and :func:`black_list` are the public lists (守信激励 / 失信惩戒).

The inputs other areas hold are read through :class:`Readers` that ``create_app`` connects
(:func:`connect`): this area sits below all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa

from market import timeutil
from market.credit.models import CreditRecord, Sanction
from market.db import db
from market.domain.calendar import local_day_start
from market.domain.credit_formula import (
    RED_LIST_DAYS,
    RED_LIST_MIN_RATINGS,
    CreditInputs,
    CreditScore,
    RedListFacts,
    compute,
    red_listed,
)
from market.i18n import N_

PART_LABELS = {
    "base": N_("基础分"),
    "rating": N_("服务评价"),
    "on_time": N_("按时率"),
    "declines": N_("放弃中选或逾期未确认"),
    "complaints": N_("投诉成立"),
    "warnings": N_("有效警告"),
    "suspensions": N_("有效暂停"),
    "blacklist": N_("黑名单"),
    "red_list": N_("守信激励（红名单）"),
}


@dataclass(frozen=True)
class Readers:
    """Where the formula's inputs held above this area are read, for one agency (by its
    organisation id): its ratings' average over every dimension and their number
    (evaluation), the share of its accepted engagements finished on time (engagements), its
    declines and confirmation timeouts (selection) and the complaints upheld against it (the
    regulator); for the red list since a moment: its 好差评 levels (satisfied, all) and its
    complaints upheld, and which agencies have at least some number of levels (the
    candidates, so the list is not computed for every agency)."""

    ratings: Callable[[int], tuple[float | None, int]]
    on_time_rate: Callable[[int], float | None]
    declines: Callable[[int], int]
    upheld_complaints: Callable[[int], int]
    levels_since: Callable[[int, datetime], tuple[int, int]]
    upheld_since: Callable[[int, datetime], int]
    rated_at_least: Callable[[int, datetime], list[int]]


_readers: list[Readers] = []


def connect(readers: Readers) -> None:
    """Where to read the inputs (``create_app``); the last one connected counts."""
    _readers[:] = [readers]


def _read() -> Readers:
    if not _readers:
        raise RuntimeError("the credit inputs are not connected (create_app)")
    return _readers[0]


def _period_start(on: date) -> datetime:
    return local_day_start(on - timedelta(days=RED_LIST_DAYS - 1))


def red_list_facts(org_id: int, on: date | None = None) -> RedListFacts:
    """What decides whether the agency is on the red list on ``on`` (today): the
    :data:`~market.domain.credit_formula.RED_LIST_DAYS` days ending that day.  With fewer
    levels than the list needs, its sanctions and complaints are not read (they could not
    change the answer; most agencies stop here, and every score reads this)."""
    read = _read()
    on = on or timeutil.today_local()
    first = on - timedelta(days=RED_LIST_DAYS - 1)
    since = _period_start(on)
    satisfied, levels = read.levels_since(org_id, since)
    if levels < RED_LIST_MIN_RATINGS:
        return RedListFacts(levels=levels, satisfied=satisfied)
    sanctioned = any(s.starts_on <= on and s.effective_end >= first for s in db.session.scalars(
        sa.select(Sanction).where(Sanction.agency_org_id == org_id)))
    return RedListFacts(levels=levels, satisfied=satisfied, sanctioned=sanctioned,
                        upheld_complaints=read.upheld_since(org_id, since))


def red_list(on: date | None = None) -> list[int]:
    """The agencies (organisation ids) on the red list (守信激励) on ``on`` (today)."""
    on = on or timeutil.today_local()
    candidates = _read().rated_at_least(RED_LIST_MIN_RATINGS, _period_start(on))
    return [i for i in candidates if red_listed(red_list_facts(i, on))]


def black_list(on: date | None = None) -> list[Sanction]:
    """The published blacklistings (黑名单) in force on ``on`` (today), earliest end first: one
    whose longest publication period (3 years) has run is in force but no longer listed."""
    on = on or timeutil.today_local()
    rows = db.session.scalars(sa.select(Sanction).where(
        Sanction.kind == "blacklist", Sanction.starts_on <= on, Sanction.ends_on >= on)
        .order_by(Sanction.ends_on, Sanction.id))
    return [s for s in rows if s.active_on(on) and s.published_on(on)]


def inputs_for(org_id: int, on: date | None = None) -> CreditInputs:
    """The formula's inputs for one agency, read now."""
    read = _read()
    on = on or timeutil.today_local()
    average, ratings = read.ratings(org_id)
    on_time = read.on_time_rate(org_id)
    declines = read.declines(org_id)
    upheld = read.upheld_complaints(org_id)
    running = [s for s in db.session.scalars(
        sa.select(Sanction).where(Sanction.agency_org_id == org_id)) if s.active_on(on)]
    return CreditInputs(
        average_rating=average, ratings=ratings, on_time_rate=on_time, declines=declines,
        upheld_complaints=upheld,
        active_warnings=sum(1 for s in running if s.kind == "warning"),
        active_suspensions=sum(1 for s in running if s.kind == "suspension"),
        blacklisted=any(s.kind == "blacklist" for s in running),
        red_listed=red_listed(red_list_facts(org_id, on)))


def explain(org_id: int) -> tuple[CreditInputs, CreditScore]:
    inputs = inputs_for(org_id)
    return inputs, compute(inputs)


def score_for(org_id: int) -> int:
    """The agency's credit score (0–100) now — for credit-merit selection."""
    return compute(inputs_for(org_id)).score


def scores_for(org_ids: Iterable[int]) -> dict[int, int]:
    return {i: score_for(i) for i in org_ids}


def recompute(org_id: int) -> CreditRecord:
    """Compute and store the agency's score (same transaction as the change that caused it)."""
    inputs, result = explain(org_id)
    row = db.session.get(CreditRecord, org_id)
    if row is None:
        row = CreditRecord(organisation_id=org_id)
        db.session.add(row)
    row.score = result.score
    row.version = result.version
    row.inputs = asdict(inputs)
    row.parts = [[p.code, round(p.points, 2)] for p in result.parts]
    row.computed_at = timeutil.now()
    db.session.flush()
    return row
