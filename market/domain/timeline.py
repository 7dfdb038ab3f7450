"""The project timeline's rule (全流程时间归属): every working day of a project's span goes to
exactly one bucket, so the buckets add up to the span.

Inputs are *claims*: "from local date ``after`` (not counted) up to and including ``until``,
this project's time was <bucket>" (the same convention as the clocks: the day something starts
is free, the day it ends counts).  A case's running clock claims approval days, a selection
request claims the days from its publication to its award, an engagement's service clock claims
service days, and so on; the caller (:mod:`market.approvals.timeline`) reads them from the
records.  Several claims may cover one day (two engagements at once, a case running while
another is suspended); the day goes to the claim of highest priority in :data:`PRIORITY`, and
among claims of the same bucket to the one with the smallest ``source`` (so the result never
depends on the order the claims are given in).  A working day that no claim covers is
``waiting`` ("other / waiting"): nothing recorded accounts for it.

The priority (published on the project timeline page), highest first:

1. ``approval`` - an approval case's clock runs (受理 to decision, not suspended);
2. ``special_intermediary`` - a case is suspended by an Art. 45 special procedure performed by
   an engagement of the marketplace;
3. ``special_other`` - a case is suspended by another special procedure (expert review,
   hearing, testing by the department's own arrangement…);
4. ``service_late`` - an engagement's service clock runs past its due date;
5. ``service_ok`` - an engagement's service clock runs within its committed days;
6. ``owner_review`` - the owner holds a submitted deliverable for acceptance (验收);
7. ``owner_correction`` - the applicant corrects its materials (补正, before 受理);
8. ``owner_materials`` - the agency waits for the owner's materials;
9. ``owner_signing`` - the contract waits to be signed after the award;
10. ``acceptance`` - an application is with the department before 受理 (受理审查);
11. ``selection`` - a selection request is open (publication to award).

The approval clock comes first because its days are the ones the time limit counts; the
special procedures that suspend it next (excluded from the limit by Art. 45, counted here);
then the agencies' work (late work before work on time, so that overlapping engagements never
hide a delay); then the owner's.  The department's examination before 受理 has no clock of its
own (Art. 32: 补正 is asked for within five days, or the application counts as accepted), so
it only takes the days on which nothing above is going on; selection last.
"""

from __future__ import annotations

import enum
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Final


class Bucket(enum.StrEnum):
    """Where a working day of the project's span went."""

    APPROVAL = "approval"  # 审批用时（法定时限计时中）
    SPECIAL_INTERMEDIARY = "special_intermediary"  # 特别程序：中介服务
    SPECIAL_OTHER = "special_other"  # 特别程序：其他（专家评审、听证、检测…）
    SERVICE_LATE = "service_late"  # 中介服务（逾期）
    SERVICE_OK = "service_ok"  # 中介服务（承诺时限内）
    OWNER_REVIEW = "owner_review"  # 业主验收成果
    OWNER_CORRECTION = "owner_correction"  # 补正
    OWNER_MATERIALS = "owner_materials"  # 业主提供资料
    OWNER_SIGNING = "owner_signing"  # 签订合同
    ACCEPTANCE = "acceptance"  # 受理审查
    SELECTION = "selection"  # 选取中介（公告至确定）
    WAITING = "waiting"  # 其他/等待：没有记录说明这一天


PRIORITY: Final[tuple[Bucket, ...]] = (
    Bucket.APPROVAL,
    Bucket.SPECIAL_INTERMEDIARY,
    Bucket.SPECIAL_OTHER,
    Bucket.SERVICE_LATE,
    Bucket.SERVICE_OK,
    Bucket.OWNER_REVIEW,
    Bucket.OWNER_CORRECTION,
    Bucket.OWNER_MATERIALS,
    Bucket.OWNER_SIGNING,
    Bucket.ACCEPTANCE,
    Bucket.SELECTION,
    Bucket.WAITING,
)
"""Highest first; :data:`Bucket.WAITING` is never claimed, it is what no claim covers."""

_RANK: Final[dict[Bucket, int]] = {b: i for i, b in enumerate(PRIORITY)}

INTERMEDIARY: Final[frozenset[Bucket]] = frozenset(
    {Bucket.SELECTION, Bucket.SERVICE_OK, Bucket.SERVICE_LATE, Bucket.SPECIAL_INTERMEDIARY})
"""The buckets that are time spent on intermediaries (selection and service, before or after
受理): the share the reports could only estimate."""


@dataclass(frozen=True)
class Claim:
    """Working days in (``after``, ``until``] belong to ``bucket``; ``source`` names what
    claims them (e.g. an engagement), for the per-agency counts and to break ties."""

    bucket: Bucket
    after: date
    until: date
    source: str = ""

    def __post_init__(self) -> None:
        if self.bucket is Bucket.WAITING:
            raise ValueError("'waiting' is what no claim covers; it cannot be claimed")


@dataclass(frozen=True)
class Attribution:
    """The span (working days in (``start``, ``end``]) and each of its working days' bucket
    and winning claim's source."""

    start: date
    end: date
    days: Mapping[date, Bucket]
    sources: Mapping[date, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.days)

    def totals(self) -> dict[Bucket, int]:
        """Working days per bucket, every bucket present (zero included), in priority order."""
        out = {b: 0 for b in PRIORITY}
        for b in self.days.values():
            out[b] += 1
        return out

    def runs(self) -> list[tuple[date, date, Bucket]]:
        """Consecutive working days of one bucket as (first day, last day, bucket), in order;
        non-working days between two days of a run do not break it."""
        out: list[tuple[date, date, Bucket]] = []
        for d in sorted(self.days):
            b = self.days[d]
            if out and out[-1][2] is b:
                out[-1] = (out[-1][0], d, b)
            else:
                out.append((d, d, b))
        return out


def attribute(start: date, end: date, claims: Iterable[Claim],
              is_working_day: Callable[[date], bool]) -> Attribution:
    """Attribute every working day in (``start``, ``end``] to one bucket (see the module
    docstring).  Claims reaching outside the span are clipped to it."""
    # The claims in priority order (bucket, then source); each working day goes to the first
    # claim that covers it.  A day once given is skipped by the claims after it ("next free
    # day" pointers with path halving), so the work is the span plus the claims, not the sum
    # of the claims' lengths: a project's fifty open cases all claim the same months.
    working = [d for d in (start + timedelta(days=i) for i in range(1, (end - start).days + 1))
               if is_working_day(d)]
    won: list[Claim | None] = [None] * len(working)
    free = list(range(len(working) + 1))  # free[i]: towards the first unclaimed day >= i

    def first_free(i: int) -> int:
        while free[i] != i:
            free[i] = free[free[i]]
            i = free[i]
        return i

    for c in sorted(claims, key=lambda c: (_RANK[c.bucket], c.source)):
        i = first_free(bisect_right(working, c.after))
        last = bisect_right(working, c.until)
        while i < last:
            won[i] = c
            free[i] = i + 1
            i = first_free(i + 1)
    days = {d: c.bucket if c else Bucket.WAITING for d, c in zip(working, won, strict=True)}
    sources = {d: c.source if c else "" for d, c in zip(working, won, strict=True)}
    return Attribution(start=start, end=end, days=days, sources=sources)
