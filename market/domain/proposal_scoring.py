"""Proposal selection's scoring sheet and its arithmetic (方案择优 / 比选 评分办法).

Pure: no Flask, no database.  The sheet is published with the notice and cannot be read two
ways: every criterion (评审因素) has a name and its maximum points (分值), and the price
criterion (价格分) has its own maximum; all maxima add up to 100, so a criterion's maximum is
its weight in per cent.  The panel (评审小组) scores every proposal on every criterion other
than price, in tenths of a point from 0 to the maximum; a proposal's score on a criterion is
the mean of its scorers' points.  The price score is computed, never typed, by the
low-price-first formula (低价优先法, the one in 《政府采购货物和服务招标投标管理办法》 art. 55)::

    价格分 = 评审基准价 / 报价 × 价格分值      评审基准价 = the lowest valid quote

Everything is computed exactly (fractions) and the total is rounded once, half up, to
hundredths of a point; proposals with equal rounded totals at the top are tied, and the tie is
broken by a verifiable draw (lottery-v1) among them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

TOTAL_POINTS = 100
# Services: the price share of the total may not fall below 10 % (the same art. 55).
MIN_PRICE_POINTS = 10
MAX_PRICE_POINTS = 90  # at least one criterion besides price, or it is a sealed bid
MAX_CRITERIA = 20
MAX_NAME = 60
MIN_SCORERS = 3
MAX_SCORERS = 15

# One line of the sheet: a name, then its maximum points (a separator is optional).
_LINE = re.compile(r"^(?P<name>.+?)\s*[|｜:：,，\t ]\s*(?P<points>[0-9０-９]+)\s*分?\s*$")


@dataclass(frozen=True)
class Criterion:
    """One scored criterion (评审因素) other than price: its name and maximum points."""

    name: str
    max_points: int


@dataclass(frozen=True)
class Sheet:
    """The scoring sheet (评分标准) published with the notice."""

    criteria: tuple[Criterion, ...]
    price_points: int

    def as_json(self) -> dict[str, object]:
        return {"criteria": [{"name": c.name, "max_points": c.max_points} for c in self.criteria],
                "price_points": self.price_points, "total": TOTAL_POINTS,
                "price_formula": "lowest_valid_quote / quote * price_points",
                "rounding": "total, half up, to 0.01"}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Sheet:
        items = data.get("criteria")
        if not isinstance(items, list):
            raise ValueError("criteria must be a list")
        return cls(tuple(Criterion(str(i["name"]), int(i["max_points"])) for i in items),
                   int(str(data["price_points"])))

    def text(self) -> str:
        """The criteria as the form shows them: one ``name | points`` a line."""
        return "\n".join(f"{c.name} | {c.max_points}" for c in self.criteria)


def parse_criteria(text: str) -> tuple[list[Criterion], list[int]]:
    """The criteria typed one a line (``方案质量 | 40``); returns them and the (1-based) lines
    that are not ``name points``.  Blank lines are skipped; full-width digits are read."""
    criteria: list[Criterion] = []
    bad: list[int] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        match = _LINE.match(line)
        if match is None:
            bad.append(number)
            continue
        digits = match["points"].translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        criteria.append(Criterion(match["name"].strip(), int(digits)))
    return criteria, bad


def sheet_problems(sheet: Sheet) -> list[str]:
    """Every rule the sheet breaks, as codes (the form words them); empty: it may be published.

    ``none``: no criterion besides price; ``too_many``; ``name``: a name empty or too long;
    ``duplicate``: two criteria of one name; ``points``: a criterion below 1 point;
    ``price``: the price points outside [MIN_PRICE_POINTS, MAX_PRICE_POINTS];
    ``total``: the maxima (price included) do not add up to TOTAL_POINTS."""
    found: list[str] = []
    if not sheet.criteria:
        found.append("none")
    if len(sheet.criteria) > MAX_CRITERIA:
        found.append("too_many")
    if any(not c.name.strip() or len(c.name) > MAX_NAME for c in sheet.criteria):
        found.append("name")
    if len({c.name for c in sheet.criteria}) != len(sheet.criteria):
        found.append("duplicate")
    if any(c.max_points < 1 for c in sheet.criteria):
        found.append("points")
    if not MIN_PRICE_POINTS <= sheet.price_points <= MAX_PRICE_POINTS:
        found.append("price")
    if weights_total(sheet) != TOTAL_POINTS:
        found.append("total")
    return found


def weights_total(sheet: Sheet) -> int:
    """The maxima of every criterion and of price, added up (must be TOTAL_POINTS)."""
    return sum(c.max_points for c in sheet.criteria) + sheet.price_points


def points_problems(sheet: Sheet, tenths: Sequence[int]) -> list[int]:
    """The criteria (0-based) a scorer's points for one proposal break: one value per
    criterion, each from 0 to the criterion's maximum, in tenths of a point."""
    if len(tenths) != len(sheet.criteria):
        return list(range(len(sheet.criteria)))
    return [i for i, (c, t) in enumerate(zip(sheet.criteria, tenths, strict=True))
            if not 0 <= t <= c.max_points * 10]


def price_score(price_points: int, lowest_fen: int, quote_fen: int) -> Fraction:
    """Low price first (低价优先法): the lowest valid quote scores full price points, any other
    ``lowest / quote`` of them."""
    if not 0 < lowest_fen <= quote_fen:
        raise ValueError("the base price is the lowest valid quote, above zero")
    return Fraction(price_points * lowest_fen, quote_fen)


def criterion_means(sheet: Sheet, by_scorer: Sequence[Sequence[int]]) -> list[Fraction]:
    """Per criterion, the mean of the scorers' points (tenths in, points out)."""
    if not by_scorer:
        raise ValueError("no scorer")
    n = len(by_scorer)
    return [Fraction(sum(s[i] for s in by_scorer), 10 * n) for i in range(len(sheet.criteria))]


def to_centi(x: Fraction) -> int:
    """Hundredths of a point, rounded half up (scores are never negative)."""
    if x < 0:
        raise ValueError("negative score")
    return int((x * 100 + Fraction(1, 2)).__floor__())


@dataclass(frozen=True)
class Scored:
    """A proposal's result: its agency, quote, per-criterion means, price score and total (all
    in hundredths of a point, rounded half up; the total is rounded from exact values)."""

    agency_id: str
    quote_fen: int
    criteria_centi: tuple[int, ...]
    price_centi: int
    total_centi: int


def score_all(sheet: Sheet, quotes: Mapping[str, int],
              points: Mapping[str, Sequence[Sequence[int]]]) -> list[Scored]:
    """Score every valid proposal: ``quotes`` agency → quote (fen), ``points`` agency → each
    scorer's tenths per criterion (every scorer scored every proposal)."""
    if not quotes:
        return []
    lowest = min(quotes.values())
    out = []
    for agency, quote in quotes.items():
        means = criterion_means(sheet, points[agency])
        price = price_score(sheet.price_points, lowest, quote)
        out.append(Scored(agency, quote, tuple(to_centi(m) for m in means), to_centi(price),
                          to_centi(sum(means, Fraction(0)) + price)))
    return out


def top_tie(scored: Sequence[Scored]) -> list[str]:
    """The agencies sharing the highest total, in canonical (byte) order; empty for none."""
    if not scored:
        return []
    best = max(s.total_centi for s in scored)
    return sorted((s.agency_id for s in scored if s.total_centi == best), key=lambda a: a.encode())


def ranking(scored: Sequence[Scored], tie_order: Sequence[str] = ()) -> list[str]:
    """Highest total first: equal totals in the tie-break draw's order when they are in it,
    then the lower quote, then canonical order — the order alternates are offered the award."""
    position = {a: i for i, a in enumerate(tie_order)}
    return [s.agency_id for s in sorted(
        scored, key=lambda s: (-s.total_centi, position.get(s.agency_id, len(position)),
                               s.quote_fen, s.agency_id.encode()))]
