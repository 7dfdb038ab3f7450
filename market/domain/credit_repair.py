"""Credit repair (信用修复) of a sanction: the earliest day a regulator's decision may end its
effect, as one pure function.

The national rule (国家发展改革委《信用修复管理办法》, 令第36号, in force 2026-04-01) sorts
失信信息 by severity and sets a minimum publication period (最短公示期) before repair can be
applied for: 一般 at least 3 months, 严重 at least 1 year.  Here a warning (警告) and a
suspension (暂停) are 一般, a blacklisting (黑名单, the serious-breach list) is 严重.
"""

from __future__ import annotations

import calendar
from datetime import date

# months from a sanction's first day before a repair may take effect, by sanction kind
MINIMUM_MONTHS = {"warning": 3, "suspension": 3, "blacklist": 12}


def earliest_repair(kind: str, starts_on: date) -> date:
    """The first day a credit repair of a ``kind`` sanction starting ``starts_on`` may take
    effect (the minimum publication period has then run)."""
    return add_months(starts_on, MINIMUM_MONTHS[kind])


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later; the month's last day when it has no such day (31 March
    + 3 months = 30 June)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))
