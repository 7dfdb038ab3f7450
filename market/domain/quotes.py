"""Quotes of a sealed bid (密封报价): an amount (报价金额) or a discount rate off a published base
price (下浮率), and the abnormally low quote rule (异常低价) published with the notice.

Pure: no Flask, no database.  Money is integer fen; rates are integer basis points (万分之一,
so 12.50 % is 1250).  The rules here are the ones the notice prints, stated once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

AMOUNT = "amount"  # 报价金额
RATE = "rate"  # 下浮率
QUOTE_KINDS = (AMOUNT, RATE)

BP = 10_000  # basis points in one (100 %)
MAX_RATE_BP = BP - 1  # a rate of 100 % would be a fee of nothing
# A rate is quoted to 0.01 %; with a base of at least 100 yuan (10,000 fen) one basis point is
# worth at least one fen, so every rate gives a different fee and the fee names its rate.
MIN_RATE_BASE_FEN = BP

SET_ASIDE = "set_aside"  # 作无效报价处理
EXPLAIN = "explain"  # 书面说明，未说明的不予中选
LOW_ACTIONS = (SET_ASIDE, EXPLAIN)
# the mean of the others needs at least this many other valid quotes to mean anything
LOW_MIN_OTHERS = 2

_RATE = re.compile(r"^\s*(\d{1,2})(?:\.(\d{1,2}))?\s*%?\s*$", re.ASCII)


def fee_at_rate(base_fen: int, rate_bp: int) -> int:
    """The fee of a discount rate: ``base × (1 − rate)``, rounded half up to the fen (四舍五入到分)."""
    if base_fen < 0 or not 0 <= rate_bp <= MAX_RATE_BP:
        raise ValueError("base or rate out of range")
    return (base_fen * (BP - rate_bp) + BP // 2) // BP


def rate_of_fee(base_fen: int, fee_fen: int) -> int | None:
    """The rate whose fee is ``fee_fen`` (None: no rate gives it).  Unique when the base is at
    least :data:`MIN_RATE_BASE_FEN`: the fee falls by at least one fen per basis point."""
    if base_fen <= 0:
        return None
    # fee ≈ base − base·r/BP: start from the nearest rate and look one either side
    guess = ((base_fen - fee_fen) * BP) // base_fen
    for r in (guess - 1, guess, guess + 1, guess + 2):
        if 0 <= r <= MAX_RATE_BP and fee_at_rate(base_fen, r) == fee_fen:
            return r
    return None


def parse_rate(text: str) -> int | None:
    """``"12.5"``, ``"12.50%"`` or ``"8"`` → basis points; None for anything else (at most two
    decimals, below 100 %); full-width digits and ％ typed with a Chinese input method count."""
    m = _RATE.match(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    whole, frac = int(m.group(1)), (m.group(2) or "").ljust(2, "0")
    return whole * 100 + int(frac)


def format_rate(rate_bp: int) -> str:
    """Basis points as a percentage with two decimals: 1250 → ``"12.50%"``."""
    return f"{rate_bp // 100}.{rate_bp % 100:02d}%"


def rate_range(base_fen: int, floor_fen: int | None) -> tuple[int, int]:
    """The rates a notice allows: from 0 % to the rate whose fee is the floor (or 99.99 %)."""
    top = MAX_RATE_BP
    while top > 0 and floor_fen is not None and fee_at_rate(base_fen, top) < floor_fen:
        top -= 1
    return 0, top


@dataclass(frozen=True)
class Quote:
    agency_id: str
    amount_fen: int


def abnormally_low(quotes: Sequence[Quote], share_bp: int) -> list[str]:
    """The agencies whose quote is more than ``share_bp`` below the mean of the *other* valid
    quotes: ``amount < mean(others) × (1 − share)``, in exact integer arithmetic.  Every quote
    is judged against the same set (no quote is removed before another is judged); with fewer
    than :data:`LOW_MIN_OTHERS` other quotes none is abnormal.  Canonical (byte) order."""
    if not 0 < share_bp < BP:
        raise ValueError("share out of range")
    n = len(quotes)
    if n - 1 < LOW_MIN_OTHERS:
        return []
    total = sum(q.amount_fen for q in quotes)
    low = [q.agency_id for q in quotes
           if q.amount_fen * (n - 1) * BP < (total - q.amount_fen) * (BP - share_bp)]
    return sorted(low, key=lambda a: a.encode())


def low_rule_problem(share_bp: int | None, action: str | None) -> str | None:
    """What is wrong with a notice's abnormally low rule (None: fine, or no rule)."""
    if share_bp is None and action is None:
        return None
    if share_bp is None or not 100 <= share_bp <= 5000:
        return "share"
    if action not in LOW_ACTIONS:
        return "action"
    return None
