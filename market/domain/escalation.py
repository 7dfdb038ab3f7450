"""The escalation ladder of electronic supervision (电子监察): how far past its due date a
supervised matter is decides which steps it has reached.

A matter (an engagement's service, an approval case, a 容缺受理 report, an objection, a
complaint) that is ``late`` working days past its due date climbs, in order:

1. warning (预警提醒) to the responsible party, from ``warning_days`` late;
2. yellow card (黄牌) to the responsible regulator, with a supervision order (督办) it must
   answer in writing, from ``yellow_days`` late;
3. red card (红牌) to the managing department (主管部门), from ``red_days`` late.

The rule is monotone (a later day never reaches a lower step) and each step is raised once: a
run that finds a matter further up than what was raised raises every step in between, in order.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Step(enum.IntEnum):
    """A rung of the ladder; the order is the order of escalation."""

    NONE = 0
    WARNING = 1  # 预警提醒
    YELLOW = 2  # 黄牌（督办）
    RED = 3  # 红牌

    @property
    def code(self) -> str:
        return self.name.lower()


RAISED_STEPS = (Step.WARNING, Step.YELLOW, Step.RED)


@dataclass(frozen=True)
class Ladder:
    """The thresholds, in working days past the due date (settings with published defaults)."""

    warning_days: int = 1
    yellow_days: int = 3
    red_days: int = 10

    def __post_init__(self) -> None:
        if not 1 <= self.warning_days < self.yellow_days < self.red_days:
            raise ValueError("the ladder needs 1 <= warning_days < yellow_days < red_days, "
                             f"not {self.warning_days}, {self.yellow_days}, {self.red_days}")

    def threshold(self, step: Step) -> int:
        return {Step.WARNING: self.warning_days, Step.YELLOW: self.yellow_days,
                Step.RED: self.red_days}[step]


def reached(late: int, ladder: Ladder) -> Step:
    """The highest step a matter ``late`` working days past due has reached (NONE when on time
    or less late than the first threshold)."""
    top = Step.NONE
    for step in RAISED_STEPS:
        if late >= ladder.threshold(step):
            top = step
    return top


def to_raise(late: int, raised: frozenset[Step] | set[Step], ladder: Ladder) -> list[Step]:
    """The steps still to raise, lowest first: every step up to :func:`reached` not yet in
    ``raised``."""
    top = reached(late, ladder)
    return [step for step in RAISED_STEPS if step <= top and step not in raised]
