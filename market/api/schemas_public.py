"""Response and query shapes of the lottery, calendar and OCDS endpoints (see :mod:`market.api`).

The views live with their areas (``market/selection/views_public.py``,
``market/calendar/views.py``, ``market/ocds/views.py``); only their descriptions are here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from market.api.spec import MAX_PAGE, REQUIRED, param

# The years the working calendar covers; /api/calendar refuses dates outside them.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2100, 12, 31)
MAX_DAYS = 10_000
LOTTERY_STATES = ("open", "frozen", "drawn", "void")
OCDS_BULK_PAGE = 100


def _d(text: str) -> dict[str, str]:
    return {"description": text}


# --- /api/lotteries -----------------------------------------------------------------------------

@dataclass
class LotteryOut:
    """A lottery (摇号) of a selection request; a voided one is re-run under a new id."""

    id: str = field(metadata=_d("the lottery id (LT-000123)"))
    request_id: str = field(metadata=_d("the selection request's public id (RQ-000123)"))
    state: str = field(metadata={"description": "open, frozen (pool fixed), drawn or void",
                                 "enum": LOTTERY_STATES})
    winners: list[str] = field(metadata=_d(
        "the signed draw record's winners, as drawn, before any decline; empty until drawn"))
    awarded: list[str] = field(metadata=_d(
        "the agencies holding the award through this lottery now: after a decline or a "
        "confirmation timeout the alternate it passed to; empty when none (or not drawn)"))
    bundle_url: str | None = field(metadata={
        "description": "the verification bundle (lottery-v1 §8); null until drawn",
        "format": "uri"})


# --- /api/calendar ------------------------------------------------------------------------------

@dataclass
class CalendarAddQuery:
    start: date = param(REQUIRED, "the start day (not counted), 2000–2100",
                        minimum=FIRST_DAY, maximum=LAST_DAY)
    days: int = param(REQUIRED, "working days to add; 0 gives the start day itself",
                      minimum=0, maximum=MAX_DAYS)


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


@dataclass
class WorkingDaysOut:
    """The number of working days in (from, to]."""

    working_days: int
    provisional: bool = field(metadata=_d(
        "an unconfirmed year (holidays not yet published) lies in (from, to]"))


# --- /api/ocds ----------------------------------------------------------------------------------

@dataclass
class OcdsPublisher:
    name: str


@dataclass
class OcdsReleasePackage:
    """An OCDS 1.1 release package. Only the envelope is described here; each release follows
    the OCDS 1.1 release schema (https://standard.open-contracting.org/1.1/en/schema/)."""

    uri: str = field(metadata={"format": "uri"})
    version: str = field(metadata={"enum": ("1.1",)})
    publishedDate: datetime
    publisher: OcdsPublisher
    license: str = field(metadata={"format": "uri"})
    publicationPolicy: str = field(metadata={"format": "uri"})
    releases: list[dict[str, Any]] = field(metadata=_d("OCDS 1.1 releases"))


@dataclass
class OcdsBulkQuery:
    page: int = param(1, f"page number, from 1; {OCDS_BULK_PAGE} releases a page, newest first",
                      minimum=1, maximum=MAX_PAGE)
