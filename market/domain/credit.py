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


# Credit merit as the notice states it (信用择优): the credit score an agency needs to enter the
# long list, and how many the draw puts on the short list the owner chooses from.
THRESHOLD_RANGE = (60, 100)
SHORTLIST_RANGE = (2, 7)


def long_list(scored: Sequence[Scored], threshold: int) -> tuple[list[str], list[str]]:
    """Split into (long list, left out): the long list (入围名单) holds every agency whose score
    is at least the published ``threshold`` (入围线).  Both in canonical (byte) order."""
    kept = sorted((s.agency_id for s in scored if s.score >= threshold), key=lambda a: a.encode())
    out = sorted((s.agency_id for s in scored if s.score < threshold), key=lambda a: a.encode())
    return kept, out


def shortlist_minimum(minimum: int, shortlist_size: int) -> int:
    """How many the long list needs for the draw to fill the short list: the platform's minimum
    of eligible registrants, and never fewer than the short list (lottery-v1 §4: ``k`` may not
    exceed the pool)."""
    return max(minimum, shortlist_size)


def still_selected(ranking: Sequence[str], k: int, passed: Sequence[str]) -> list[str]:
    """The selected set of a drawn short list after ``passed`` agencies declined or let the
    confirmation lapse (lottery-v1 §7 rule 6): the first ``k`` of the ranking, one alternate
    more per decline, less those that passed — in ranking order."""
    reach = min(len(ranking), k + len(passed))
    gone = set(passed)
    return [a for a in ranking[:reach] if a not in gone]
