"""Credit merit (信用择优) at the close: who goes into the draw by credit score.

The score itself is the published formula (:mod:`market.domain.credit_formula`), computed from
the current inputs by :mod:`market.credit.score`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Scored:
    agency_id: str
    score: int


def keep_count(eligible: int, minimum: int = 3) -> int:
    """How many go into the credit-merit draw: the top half (rounded up), at least ``minimum``
    (all of them when fewer are eligible)."""
    return min(eligible, max(minimum, -(-eligible // 2)))


def credit_cut(scored: Sequence[Scored], minimum: int = 3) -> tuple[list[str], list[str]]:
    """Split into (kept, left out) by score, highest first.

    Agencies tied with the last kept one are all kept: the draw among the kept then breaks
    the tie (one lottery per request, lottery-v1.md §7 rule 7), rather than a second draw.
    Both lists come in canonical (byte) order of ids within equal scores.
    """
    ordered = sorted(scored, key=lambda s: (-s.score, s.agency_id.encode()))
    n = keep_count(len(ordered), minimum)
    if n == 0:
        return [], [s.agency_id for s in ordered]
    bar = ordered[n - 1].score
    kept = [s.agency_id for s in ordered if s.score >= bar]
    out = [s.agency_id for s in ordered if s.score < bar]
    return kept, out
