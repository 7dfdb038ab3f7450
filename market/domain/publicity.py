"""Result notice (中选公示) and confirmation deadlines, in working days (pure).

A window of ``n`` working days that starts at ``start`` ends at the end of the ``n``-th working
day strictly after the local (Asia/Shanghai) date of ``start``: a result published on a
Monday with 3 working days is public until the end of Thursday.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime

from market.domain.calendar import local_date, local_day_start

AddWorkingDays = Callable[[date, int], date]


def window_end(start: datetime, working_days: int, add: AddWorkingDays) -> datetime:
    """The first instant after the window (midnight after its last working day), aware UTC."""
    last = add(local_date(start), working_days)
    return local_day_start(date.fromordinal(last.toordinal() + 1))


def is_open(start: datetime, working_days: int, add: AddWorkingDays, now: datetime) -> bool:
    return start <= now < window_end(start, working_days, add)
