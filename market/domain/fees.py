"""Fee schedules (收费标准): validation, the comparable "from" price, estimates, display.

Money is an integer number of fen.  A rate of the project investment is an integer number of
basis points (万分之一, 1 bp = 0.01 %), so no floating point ever touches a fee.  Validators
return an error *key* or ``None``; the application maps keys to translated messages.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final

MAX_FEE_FEN: Final = 10_000_000_000  # 1 亿元: anything above is a typing error, not a fee
MAX_RATE_BP: Final = 10_000  # 100 % of the investment
MAX_COMMITTED_DAYS: Final = 365  # working days; more than a working year is not a commitment


class FeeKind(enum.StrEnum):
    """The three shapes of a public fee schedule."""

    FIXED = "fixed"  # 固定价格
    RATE = "rate"  # 按投资额费率，设最低收费
    RANGE = "range"  # 价格区间


@dataclass(frozen=True)
class FeeSchedule:
    """One fee schedule.  Which amounts are set depends on ``kind``:

    * fixed: ``amount_fen``;
    * rate: ``rate_bp`` and ``minimum_fen``;
    * range: ``minimum_fen`` and ``maximum_fen``.
    """

    kind: FeeKind
    amount_fen: int | None = None
    rate_bp: int | None = None
    minimum_fen: int | None = None
    maximum_fen: int | None = None

    @property
    def low_fen(self) -> int:
        """The lowest fee this schedule can charge (起步价): what "sort by fee" compares."""
        value = self.amount_fen if self.kind == FeeKind.FIXED else self.minimum_fen
        if value is None:
            raise ValueError("incomplete fee schedule")
        return value

    @property
    def high_fen(self) -> int | None:
        """The highest fee, or ``None`` when it grows with the investment."""
        if self.kind == FeeKind.FIXED:
            return self.amount_fen
        if self.kind == FeeKind.RANGE:
            return self.maximum_fen
        return None


def _fee_error(value: int | None) -> str | None:
    if value is None:
        return "fee_missing"
    if value <= 0:
        return "fee_not_positive"
    if value > MAX_FEE_FEN:
        return "fee_too_large"
    return None


def validate_fee_schedule(fee: FeeSchedule) -> tuple[str, str] | None:
    """Return ``(field, key)`` for the first broken rule, or ``None`` when the schedule is valid.

    Fields: ``amount``, ``rate``, ``minimum``, ``maximum``.  Keys: ``fee_missing``,
    ``fee_not_positive``, ``fee_too_large``, ``rate_missing``, ``rate_out_of_range``,
    ``range_inverted``, ``kind``.
    """
    if fee.kind == FeeKind.FIXED:
        error = _fee_error(fee.amount_fen)
        return ("amount", error) if error else None
    if fee.kind == FeeKind.RATE:
        if fee.rate_bp is None:
            return ("rate", "rate_missing")
        if not 0 < fee.rate_bp <= MAX_RATE_BP:
            return ("rate", "rate_out_of_range")
        error = _fee_error(fee.minimum_fen)
        return ("minimum", error) if error else None
    if fee.kind == FeeKind.RANGE:
        for name, value in (("minimum", fee.minimum_fen), ("maximum", fee.maximum_fen)):
            error = _fee_error(value)
            if error:
                return (name, error)
        if fee.maximum_fen < fee.minimum_fen:  # type: ignore[operator]  # both checked above
            return ("maximum", "range_inverted")
        return None
    return ("kind", "kind")  # pragma: no cover - FeeKind is closed


def validate_committed_days(days: int | None) -> str | None:
    """``None`` when ``days`` is a usable commitment (1 to 365 working days), else a key."""
    if days is None:
        return "days_missing"
    if days < 1:
        return "days_not_positive"
    if days > MAX_COMMITTED_DAYS:
        return "days_too_large"
    return None


def estimate_fen(fee: FeeSchedule, investment_fen: int) -> int:
    """The fee for a project of ``investment_fen``: a rate rounds half up to the fen and never
    goes below the minimum; a range answers its minimum (the agency quotes inside it)."""
    if investment_fen < 0:
        raise ValueError("investment cannot be negative")
    if fee.kind == FeeKind.RATE:
        if fee.rate_bp is None or fee.minimum_fen is None:
            raise ValueError("incomplete fee schedule")
        by_rate = (investment_fen * fee.rate_bp + 5_000) // 10_000
        return max(by_rate, fee.minimum_fen)
    return fee.low_fen


def parse_yuan(text: str) -> int | None:
    """Parse an amount in 元 with at most two decimals into fen; ``None`` if it is not one.

    Accepts ``1234``, ``1,234.5``; ASCII digits only (forms fold ``１２３`` to ``123`` first,
    :mod:`market.forms`); no floats involved.
    """
    text = text.strip().replace(",", "").replace("，", "")
    if not text:
        return None
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    whole, dot, frac = text.partition(".")
    if not whole:
        whole = "0"
    if not (whole.isascii() and whole.isdigit()) or len(whole) > 15:
        return None
    if dot and not (frac.isascii() and frac.isdigit() and 1 <= len(frac) <= 2):
        return None
    fen = int(whole) * 100 + int((frac + "00")[:2] if dot else "0")
    return -fen if negative else fen


def format_yuan(fen: int) -> str:
    """``123456`` → ``"1,234.56"`` (元, two decimals, thousands separated)."""
    sign = "-" if fen < 0 else ""
    whole, part = divmod(abs(fen), 100)
    return f"{sign}{whole:,}.{part:02d}"


def parse_rate_percent(text: str) -> int | None:
    """Parse a rate written in per cent with at most two decimals (``0.35`` → 35 bp)."""
    return parse_yuan(text)  # the same shape: digits with up to two decimals, times 100


def format_rate(bp: int) -> str:
    """``35`` → ``"0.35%"``."""
    return f"{bp // 100}.{bp % 100:02d}%"
