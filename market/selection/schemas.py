"""Response shapes of the lottery endpoints (/api/lotteries, the draw bundles), for the OpenAPI
document (:mod:`market.web.openapi`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from market.web.openapi import BASE64, HEX, RawBody

LOTTERY_STATES = ("open", "frozen", "drawn", "void")


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
                "announcement_hash": HEX, "k": {"type": "integer", "minimum": 1},
                "pool": _IDS, "pool_root": HEX, "commitment": HEX, "secret": HEX,
                "sources": {"type": "array", "items": {"type": "object"}}, "draw_key": HEX,
                "tickets": {"type": "object", "additionalProperties": HEX},
                "ranking": _IDS, "winners": _IDS, "drawn_at": {"type": "string"},
            },
        },
        "signature": {**BASE64, "description": "Ed25519 over the record (lottery-v1 §8)"},
        "public_key": {**BASE64, "description": "the platform key, raw 32 bytes"},
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
                                   "proof": {"type": "array", "items": BASE64}}}},
            },
        },
    },
})
