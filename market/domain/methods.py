"""The selection methods (选取方式) and the rules of their terms: which price a method takes,
whether agencies sign up for a draw, whether there is a window at all, and which methods share
one kind of log (so that an amendment may move between them).

Pure: the procedures (``market.selection.procedures``) and the request form read these facts,
so that each rule is stated once.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MethodRules:
    """What a method's terms must be.

    ``price_kind``: the only price a method takes (``fixed``: agencies accept the published
    fee; ``cap``: they quote under a cap), ``draw``: agencies sign up and a lottery drawn at the
    close ranks them (the external source must be plannable when the notice is published);
    ``window``: agencies sign up or quote until a deadline (a direct selection has none);
    ``family``: the log that carries the procedure from its announcement (``draw``: the
    transparency log's lottery; ``sealed_bid``: the bid log; ``direct``: neither), which an
    amendment cannot change; ``delegate_witness``: a tie may be drawn at the opening, so one
    witness must be the owner's delegate; ``ranking``: the result is a published ranking
    whose next alternate an award can pass to (a direct selection names one agency)."""

    price_kind: str
    draw: bool
    window: bool
    family: str
    delegate_witness: bool = False
    ranking: bool = True


LOTTERY = "lottery"
CREDIT_MERIT = "credit_merit"
SEALED_BID = "sealed_bid"
DIRECT = "direct"
PROPOSALS = "proposals"

RULES: dict[str, MethodRules] = {
    LOTTERY: MethodRules(price_kind="fixed", draw=True, window=True, family="draw"),
    CREDIT_MERIT: MethodRules(price_kind="fixed", draw=True, window=True, family="draw"),
    SEALED_BID: MethodRules(price_kind="cap", draw=False, window=True, family="sealed_bid",
                            delegate_witness=True),
    DIRECT: MethodRules(price_kind="fixed", draw=False, window=False, family="direct",
                        ranking=False),
    # a tie of the panel's totals is drawn after the scores are published
    PROPOSALS: MethodRules(price_kind="cap", draw=False, window=True, family="proposals",
                           delegate_witness=True),
}

# What an upheld objection (异议成立) leads to, as the notice states it when published: the
# next alternate of the published ranking takes the voided award (``next``), or the selection
# runs again — a new draw, a new round of quotes (``redraw``).
ON_UPHELD_NEXT = "next"
ON_UPHELD_REDRAW = "redraw"
ON_UPHELD = (ON_UPHELD_NEXT, ON_UPHELD_REDRAW)


def on_upheld_of(method: str, chosen: str | None) -> str:
    """The rule a notice of ``method`` states: ``chosen`` where the method has a ranking to
    pass down, else a new selection (a direct selection has no alternate)."""
    r = RULES.get(method)
    if r is None or not r.ranking or chosen not in ON_UPHELD:
        return ON_UPHELD_REDRAW
    return chosen

DRAW_METHODS = frozenset(m for m, r in RULES.items() if r.draw)


def rules(method: str) -> MethodRules | None:
    """The rules of ``method``; None for a method the platform does not know."""
    return RULES.get(method)


def may_amend_into(old: str, new: str) -> bool:
    """Whether an amendment may change the method from ``old`` to ``new`` (same log)."""
    a, b = RULES.get(old), RULES.get(new)
    return a is not None and b is not None and a.family == b.family


def direct_allowed(social_funds: bool, price_fen: int, threshold_fen: int) -> bool:
    """Direct selection (直接选取) is only for social funds or a fee under the threshold."""
    return social_funds or price_fen < threshold_fen
