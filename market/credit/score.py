"""Credit scores (信用分) from the published formula (:mod:`market.domain.credit_formula`).

:func:`score_for` is what credit-merit selection calls: it computes the score from the current
inputs (so a sanction that just ended, or a decline just logged, counts at once).
:func:`recompute` also stores the result (:class:`CreditRecord`); it runs when an input changes
here: a rating (evaluation), an upheld complaint (the regulator), a sanction issued (the
``sanction.issued`` event).

The inputs other areas hold are read through :class:`Readers` that ``create_app`` connects
(:func:`connect`): this area sits below all of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import date

import sqlalchemy as sa

from market import timeutil
from market.credit.models import CreditRecord, Sanction
from market.db import db
from market.domain.credit_formula import CreditInputs, CreditScore, compute
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
}


@dataclass(frozen=True)
class Readers:
    """Where the formula's inputs held above this area are read, for one agency (by its
    organisation id): its ratings' average over every dimension and their number
    (evaluation), the share of its accepted engagements finished on time (engagements), its
    declines and confirmation timeouts (selection) and the complaints upheld against it (the
    regulator)."""

    ratings: Callable[[int], tuple[float | None, int]]
    on_time_rate: Callable[[int], float | None]
    declines: Callable[[int], int]
    upheld_complaints: Callable[[int], int]


_readers: list[Readers] = []


def connect(readers: Readers) -> None:
    """Where to read the inputs (``create_app``); the last one connected counts."""
    _readers[:] = [readers]


def _read() -> Readers:
    if not _readers:
        raise RuntimeError("the credit inputs are not connected (create_app)")
    return _readers[0]


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
        blacklisted=any(s.kind == "blacklist" for s in running))


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
