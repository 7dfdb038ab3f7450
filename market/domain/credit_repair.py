"""Credit repair (信用修复) and the publication of a sanction (失信信息公示), as pure functions.

The national rule, 国家发展改革委《信用修复管理办法》(令 2025 年第 36 号, in force 2026-04-01; it
repealed 《失信行为纠正后的信用信息修复管理办法（试行）》, 令 2023 年第 58 号), sorts 失信信息
into three classes by severity, each with a publication period counted from the decision:

* 轻微 (minor): in principle not published; where the sector regulator finds publication
  necessary, at most 3 months; repair may be applied for as soon as the legal duty is done.
* 一般 (general): published at least 3 months and at most 1 year.
* 严重 (serious): published at least 1 year and at most 3 years.

Repair may be applied for once the shortest period has run; when the longest has run the
information is no longer published (相关信息自动停止公示), although the regulators' record
keeps it.

Our sanction kinds map onto the classes as follows:

* a warning (警告) is 轻微: it is the lightest administrative penalty (《行政处罚法》 art. 9
  (一) 警告、通报批评), it blocks nothing here, and the published summaries of the rule and
  several provinces' rules class 警告、通报批评 as 轻微.  A warning on this marketplace exists to tell owners choosing agencies, so
  the regulator's publication is the "necessary" case: published for at most 3 months, never
  longer, and repairable from the day after it starts.
* a suspension (暂停) is 一般: a temporary bar from signing up on this marketplace, neither a
  revoked licence nor a bar from the trade (which the rule's summaries class 严重).
* a blacklisting (黑名单) is 严重: it is the serious-breach list (严重失信主体名单).

Periods run from the sanction's first day (``starts_on``, the day the regulator's decision
takes effect) and add calendar months (:func:`add_months`).
"""

from __future__ import annotations

import calendar
import enum
from dataclasses import dataclass
from datetime import date, timedelta


class Severity(enum.StrEnum):
    """A class of 失信信息: 轻微, 一般 or 严重."""

    MINOR = "minor"  # 轻微失信信息
    GENERAL = "general"  # 一般失信信息
    SERIOUS = "serious"  # 严重失信信息


# each class as the rule names it (轻微失信信息、一般失信信息、严重失信信息), for records kept
# outside the platform (the regulators' CSV): the statutory term, whatever the reader's language
TERMS = {Severity.MINOR: "轻微失信信息", Severity.GENERAL: "一般失信信息",
         Severity.SERIOUS: "严重失信信息"}

# the class of each sanction kind (see the module's docstring for why)
SEVERITY = {"warning": Severity.MINOR, "suspension": Severity.GENERAL,
            "blacklist": Severity.SERIOUS}
# the shortest publication period (最短公示期) before a repair, in months
SHORTEST_MONTHS = {Severity.MINOR: 0, Severity.GENERAL: 3, Severity.SERIOUS: 12}
# the longest publication period (最长公示期), in months: then no longer published
LONGEST_MONTHS = {Severity.MINOR: 3, Severity.GENERAL: 12, Severity.SERIOUS: 36}


@dataclass(frozen=True)
class Publication:
    """How long a sanction is published and when it may be repaired.

    ``earliest_repair``: the first day a repair may take effect.  ``ends``: the first day it
    is no longer published (the longest period has run); ``last_day`` is the day before."""

    severity: Severity
    earliest_repair: date
    ends: date

    @property
    def last_day(self) -> date:
        return self.ends - timedelta(days=1)


def severity(kind: str) -> Severity:
    """The class of a ``kind`` sanction; KeyError for an unknown kind."""
    return SEVERITY[kind]


def publication(kind: str, starts_on: date) -> Publication:
    """The publication periods of a ``kind`` sanction starting ``starts_on``."""
    cls = severity(kind)
    # a repair ends the effect from its day, so the sanction keeps at least its first day
    earliest = max(add_months(starts_on, SHORTEST_MONTHS[cls]), starts_on + timedelta(days=1))
    return Publication(cls, earliest, add_months(starts_on, LONGEST_MONTHS[cls]))


def earliest_repair(kind: str, starts_on: date) -> date:
    """The first day a credit repair of a ``kind`` sanction starting ``starts_on`` may take
    effect (the shortest publication period has then run)."""
    return publication(kind, starts_on).earliest_repair


def published_on(kind: str, starts_on: date, repaired_on: date | None, on: date) -> bool:
    """Whether a sanction is published on public pages on ``on``: not once the longest
    publication period has run, nor from the day a credit repair takes effect (终止公示).
    A sanction decided to start later is published from its decision."""
    if repaired_on is not None and on >= repaired_on:
        return False
    return on < publication(kind, starts_on).ends


def published_until(kind: str, starts_on: date, repaired_on: date | None) -> date:
    """The last day a sanction is published: the end of its class's longest period, or the
    day before a credit repair takes effect (终止公示) when that comes first."""
    last = publication(kind, starts_on).last_day
    if repaired_on is not None:
        return min(last, repaired_on - timedelta(days=1))
    return last


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day (31 March
    + 3 months = 30 June)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
