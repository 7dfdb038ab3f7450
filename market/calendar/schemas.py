"""Query and response shapes of /api/calendar, for the OpenAPI document
(:mod:`market.web.openapi`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from market.web.openapi import REQUIRED, param

# The years the working calendar covers; /api/calendar refuses dates outside them.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_DAYS = 10_000


DIVISION = ("a division's GB/T 2260 code: its local holidays (地方性节假日) and those of the "
            "divisions above it count too; without it, the national calendar")


def _d(text: str) -> dict[str, str]:
    return {"description": text}


# --- /api/calendar ------------------------------------------------------------------------------

@dataclass
class CalendarAddQuery:
    start: date = param(REQUIRED, "the start day (not counted), 2000–2100",
                        minimum=FIRST_DAY, maximum=LAST_DAY)
    days: int = param(REQUIRED, "working days to add; 0 gives the start day itself",
                      minimum=0, maximum=MAX_DAYS)
    division: str | None = param(None, DIVISION, pattern=r"^[1-8][0-9]{5}$", max_length=6)


@dataclass
class DueDateOut:
    """The N-th working day strictly after the start."""

    due: date
    provisional: bool = field(metadata=_d(
        "an unconfirmed year (holidays not yet published) lies in (start, due]"))


@dataclass
class CalendarCountQuery:
    from_: date = param(REQUIRED, "the first day (not counted), 2000–2100", name="from",
                        minimum=FIRST_DAY, maximum=LAST_DAY)
    to: date = param(REQUIRED, "the last day (counted), 2000–2100, not before from",
                     minimum=FIRST_DAY, maximum=LAST_DAY)
    division: str | None = param(None, DIVISION, pattern=r"^[1-8][0-9]{5}$", max_length=6)


@dataclass
class WorkingDaysOut:
    """The number of working days in (from, to]."""

    working_days: int
    provisional: bool = field(metadata=_d(
        "an unconfirmed year (holidays not yet published) lies in (from, to]"))


