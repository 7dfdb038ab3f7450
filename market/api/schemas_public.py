"""Response and query shapes of the lottery, calendar and OCDS endpoints (see :mod:`market.api`).

The views live with their areas (``market/selection/views_public.py``,
``market/calendar/views.py``, ``market/ocds/views.py``); only their descriptions are here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from market.api.spec import MAX_PAGE, REQUIRED, RawBody, param

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


# --- the signed draw log and the draw bundle (lottery-v1) ------------------------------------
# Their bytes are specified by lottery-v1 (§7, §8) and written by the views as they are; these
# describe them for clients and for schemathesis.

LOG_INDEX_MAX = 10**15 - 1  # fifteen digits: far past any log, small enough for every database


@dataclass
class TransparencyKeyOut:
    """The platform's Ed25519 public key: it signs every draw record and log checkpoint."""

    public_key: str = field(metadata=_d("the raw 32-byte public key, base64 (verify --pubkey)"))
    verifier_key: str = field(metadata=_d("the signed-note verifier key: name+key id+key"))
    key_name: str = field(metadata=_d("the key name on every checkpoint's signature line"))
    origin: str = field(metadata=_d("the log's origin, the first line of every checkpoint"))
    algorithm: str = field(metadata={"description": "always Ed25519", "enum": ("Ed25519",)})


@dataclass
class LogQuery:
    start: int | None = param(None, "the first leaf's index; default 0",
                              minimum=0, maximum=LOG_INDEX_MAX)
    end: int | None = param(None, "one past the last leaf's index, not before start and at "
                                  "most the log's size (X-Log-Size); default the log's size",
                            minimum=0, maximum=LOG_INDEX_MAX)


@dataclass
class ConsistencyQuery:
    from_: int = param(REQUIRED, "the older tree size", name="from",
                       minimum=0, maximum=LOG_INDEX_MAX)
    to: int | None = param(None, "the newer tree size, not before from and at most the log's "
                                 "size; default the log's size", minimum=0, maximum=LOG_INDEX_MAX)


_B64 = {"type": "string", "pattern": "^[A-Za-z0-9+/]*={0,2}$"}
_HEX = {"type": "string", "pattern": "^[0-9a-f]*$"}

CHECKPOINT = RawBody("text/plain", {
    "type": "string",
    "description": "the latest checkpoint, a C2SP signed note (lottery-v1 §7): origin, size "
                   "and base64 root, an empty line, then signature lines"})

LOG_LINES = RawBody("application/x-ndjson", {
    "type": "string",
    "description": "one leaf per line, each exactly the cjson bytes of a log event that were "
                   "hashed (lottery-v1 §7), in index order"})

CONSISTENCY = RawBody("application/json", {
    "type": "object",
    "description": "an RFC 9162 §2.1.4 consistency proof between two tree sizes",
    "required": ["from", "to", "from_root", "to_root", "proof"],
    "additionalProperties": False,
    "properties": {
        "from": {"type": "integer", "minimum": 0}, "to": {"type": "integer", "minimum": 0},
        "from_root": {**_B64, "description": "the root of the first `from` leaves"},
        "to_root": {**_B64, "description": "the root of the first `to` leaves"},
        "proof": {"type": "array", "items": _B64},
    },
})

_RECORD_KEYS = ("v", "lottery_id", "announcement_hash", "k", "pool", "pool_root", "commitment",
                "secret", "sources", "draw_key", "tickets", "ranking", "winners", "drawn_at")
_IDS = {"type": "array", "items": {"type": "string"}}

BUNDLE = RawBody("application/json", {
    "type": "object",
    "description": "the verification bundle of lottery-v1 §8; `python -m lottery verify` checks "
                   "it offline",
    "required": ["v", "announcement", "record", "signature", "public_key", "log"],
    "additionalProperties": False,
    "properties": {
        "v": {"type": "string", "enum": ["agency-lottery/v1"]},
        "announcement": {"type": "object", "description": "the announcement (lottery-v1 §2)",
                         "required": ["v", "lottery_id", "request_id", "replaces", "k",
                                      "signup_closes_at", "commitment", "entropy_plan"]},
        "record": {
            "type": "object", "description": "the draw record (lottery-v1 §8)",
            "required": list(_RECORD_KEYS), "additionalProperties": False,
            "properties": {
                "v": {"type": "string"}, "lottery_id": {"type": "string"},
                "announcement_hash": _HEX, "k": {"type": "integer", "minimum": 1},
                "pool": _IDS, "pool_root": _HEX, "commitment": _HEX, "secret": _HEX,
                "sources": {"type": "array", "items": {"type": "object"}}, "draw_key": _HEX,
                "tickets": {"type": "object", "additionalProperties": _HEX},
                "ranking": _IDS, "winners": _IDS, "drawn_at": {"type": "string"},
            },
        },
        "signature": {**_B64, "description": "Ed25519 over the record (lottery-v1 §8)"},
        "public_key": {**_B64, "description": "the platform key, raw 32 bytes"},
        "log": {
            "type": "object", "required": ["origin", "key_name", "checkpoint", "entries"],
            "additionalProperties": False,
            "properties": {
                "origin": {"type": "string"}, "key_name": {"type": "string"},
                "checkpoint": {"type": "string", "description": "a signed note"},
                "entries": {"type": "array", "items": {
                    "type": "object", "required": ["index", "event", "proof"],
                    "additionalProperties": False,
                    "properties": {"index": {"type": "integer", "minimum": 0},
                                   "event": {"type": "object"},
                                   "proof": {"type": "array", "items": _B64}}}},
            },
        },
    },
})
