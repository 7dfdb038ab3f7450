"""Credit scores (信用分) as selection uses them — the single place issue 8 will replace.

Until the evaluation issue computes real scores from ratings, on-time rate, declines, upheld
complaints and sanctions, every agency has the documented default below, reduced for the
declines it already has (so a decline already "counts for the agency's credit").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_CREDIT_SCORE = 80  # out of 100: an agency with no history
DECLINE_PENALTY = 5  # points per decline or confirmation timeout, floor 0


def default_credit_score(declines: int = 0) -> int:
    """The score of an agency with no rated history and ``declines`` declines/timeouts."""
    return max(0, min(100, DEFAULT_CREDIT_SCORE - DECLINE_PENALTY * max(0, declines)))


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
