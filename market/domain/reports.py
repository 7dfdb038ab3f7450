"""The arithmetic of the managing department's monthly report (月度报告): the month, rates in
basis points, the saving rate (节约率) and the summary of cycle times (median and p90).

Every rate is an integer of basis points (1/100 of a percent), rounded half up, so the page, the
CSV and the PDF show the same figure and a test can state it exactly.  A rate over nothing is
``None`` ("no data"), never 0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction

_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})\Z")


@dataclass(frozen=True, order=True)
class Month:
    """A calendar month (月份) in the local (Asia/Shanghai) calendar."""

    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 2000 <= self.year <= 9999):
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """``YYYY-MM`` (e.g. ``2026-11``); ``ValueError`` for anything else."""
        match = _MONTH.match(text or "")
        if match is None:
            raise ValueError(f"not a month: {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))

    @classmethod
    def of(cls, d: date) -> Month:
        return cls(d.year, d.month)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.next().first_day - timedelta(days=1)

    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    def ended(self, today: date) -> bool:
        """Whether the whole month lies before ``today`` (a report is only made of an ended
        month, so that its figures no longer change with time)."""
        return today > self.last_day


def rate_bp(part: int, whole: int) -> int | None:
    """``part / whole`` in basis points, rounded half up; ``None`` when ``whole`` is 0."""
    if whole == 0:
        return None
    return math.floor(Fraction(part * 10_000, whole) + Fraction(1, 2))


def saving_rate_bp(cap_total_fen: int, award_total_fen: int) -> int | None:
    """节约率 = (Σ cap − Σ award amount) / Σ cap over the same awards, in basis points.

    Only awards of requests priced under a cap (最高限价) count, each with its own request's cap,
    so the sums compare like with like.  Negative if the awards exceed their caps (which the
    selection rules forbid, so it would show an error in the data, not hide it)."""
    return rate_bp(cap_total_fen - award_total_fen, cap_total_fen)


@dataclass(frozen=True)
class Spread:
    """How long something took over a set of cases: count, median and 90th percentile.

    The median is the middle value (the mean of the two middle ones for an even count, so it
    may end in .5); the p90 is by nearest rank, the smallest value that at least 90 % of the
    values do not exceed, so it is always one of the values."""

    count: int
    median: Fraction | None
    p90: int | None


def spread(values: Sequence[int]) -> Spread:
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return Spread(0, None, None)
    mid = n // 2
    median = Fraction(ordered[mid]) if n % 2 else Fraction(ordered[mid - 1] + ordered[mid], 2)
    rank = math.ceil(Fraction(9 * n, 10))
    return Spread(n, median, ordered[rank - 1])


def format_bp(value: int | None) -> str:
    """``1234`` → ``12.34%``; ``None`` → ``—``."""
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    whole, frac = divmod(abs(value), 100)
    return f"{sign}{whole}.{frac:02d}%"


def format_days(value: Fraction | int | None) -> str:
    """Working days as shown: an integer, or one decimal for a median of an even count."""
    if value is None:
        return "—"
    if Fraction(value).denominator == 1:
        return str(int(value))
    return f"{float(value):.1f}"
