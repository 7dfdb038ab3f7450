"""The published credit formula (信用分计算公式), versioned, as one pure function.

The score is 0–100.  It starts from the same base an agency without history has in
:mod:`market.domain.credit` (80) and moves with each input; every input moves it one way only
(better ratings and punctuality up; declines, upheld complaints and sanctions down), and the
result is clamped to 0–100 and rounded.  A blacklisted agency scores 0.

Besides the black list (黑名单, a regulator's sanction) there is a red list (守信激励名单, 红名单)
that nobody puts an agency on by hand: :func:`red_listed` decides it from the published
criteria (:data:`RED_LIST_DAYS` … :data:`RED_LIST_SATISFIED_BP`) and it adds
:data:`RED_LIST_BONUS` points.  A sanction ended early by credit repair (信用修复) counts only up
to the repair: the inputs count what is in force.

A new formula gets a new :data:`VERSION`; the stored scores say which version made them.
"""

from __future__ import annotations

from dataclasses import dataclass

VERSION = "credit/v2"

BASE = 80.0
RATING_NEUTRAL = 3.0  # an average rating of 3 (of 1–5) moves nothing
RATING_WEIGHT = 7.5  # points per rating point above or below neutral: −15 … +15
ON_TIME_NEUTRAL = 0.8  # 80 % on time moves nothing
ON_TIME_WEIGHT = 50.0  # points per unit of on-time rate: −40 … +10
DECLINE_PENALTY = 5.0  # per decline or confirmation timeout
COMPLAINT_PENALTY = 10.0  # per upheld complaint
WARNING_PENALTY = 5.0  # per active warning
SUSPENSION_PENALTY = 30.0  # per active suspension
RED_LIST_BONUS = 5.0  # while on the red list

# The red list's criteria, over the RED_LIST_DAYS days ending today (all must hold):
RED_LIST_DAYS = 365
RED_LIST_MIN_RATINGS = 5  # at least this many 好差评 levels given (not hidden)
RED_LIST_SATISFIED_BP = 9500  # 满意率 (非常满意, 满意, 基本满意 of all levels) ≥ 95 %
# … and no sanction in force on any day of the period, no complaint upheld in it.


@dataclass(frozen=True)
class RedListFacts:
    """What the red list is decided on, over the last :data:`RED_LIST_DAYS` days."""

    levels: int = 0  # 好差评 levels given (not hidden)
    satisfied: int = 0  # of which 非常满意, 满意 or 基本满意
    sanctioned: bool = False  # a sanction was in force on some day of the period
    upheld_complaints: int = 0  # complaints against it upheld in the period


def satisfied_bp(satisfied: int, levels: int) -> int | None:
    """满意率 in basis points (rounded down), None without any level."""
    return satisfied * 10000 // levels if levels else None


def red_listed(facts: RedListFacts) -> bool:
    """Whether the facts meet every published criterion of the red list (守信激励)."""
    share = satisfied_bp(facts.satisfied, facts.levels)
    return (facts.levels >= RED_LIST_MIN_RATINGS and share is not None
            and share >= RED_LIST_SATISFIED_BP and not facts.sanctioned
            and facts.upheld_complaints == 0)


@dataclass(frozen=True)
class CreditInputs:
    """What the score is made of.  ``None``: no record yet (moves nothing)."""

    average_rating: float | None = None  # 1.0–5.0, mean of the five dimensions of every rating
    ratings: int = 0
    on_time_rate: float | None = None  # 0.0–1.0 of accepted engagements
    declines: int = 0
    upheld_complaints: int = 0
    active_warnings: int = 0
    active_suspensions: int = 0
    blacklisted: bool = False
    red_listed: bool = False


@dataclass(frozen=True)
class Part:
    """One line of the breakdown: a code (for the page's label) and its points."""

    code: str
    points: float


@dataclass(frozen=True)
class CreditScore:
    version: str
    score: int
    parts: tuple[Part, ...]


def compute(inputs: CreditInputs) -> CreditScore:
    """The score of ``inputs`` under :data:`VERSION`, with how it was made."""
    parts = [Part("base", BASE)]
    if inputs.average_rating is not None and inputs.ratings > 0:
        rating = min(5.0, max(1.0, inputs.average_rating))
        parts.append(Part("rating", (rating - RATING_NEUTRAL) * RATING_WEIGHT))
    if inputs.on_time_rate is not None:
        rate = min(1.0, max(0.0, inputs.on_time_rate))
        parts.append(Part("on_time", (rate - ON_TIME_NEUTRAL) * ON_TIME_WEIGHT))
    if inputs.declines > 0:
        parts.append(Part("declines", -DECLINE_PENALTY * inputs.declines))
    if inputs.upheld_complaints > 0:
        parts.append(Part("complaints", -COMPLAINT_PENALTY * inputs.upheld_complaints))
    if inputs.active_warnings > 0:
        parts.append(Part("warnings", -WARNING_PENALTY * inputs.active_warnings))
    if inputs.active_suspensions > 0:
        parts.append(Part("suspensions", -SUSPENSION_PENALTY * inputs.active_suspensions))
    if inputs.red_listed and not inputs.blacklisted:
        parts.append(Part("red_list", RED_LIST_BONUS))
    if inputs.blacklisted:
        parts.append(Part("blacklist", -100.0))
    total = sum(p.points for p in parts)
    score = 0 if inputs.blacklisted else int(min(100.0, max(0.0, total)) + 0.5)
    return CreditScore(VERSION, score, tuple(parts))
