"""Query and response shapes of the signed draw log's URLs, for the OpenAPI document
(:mod:`market.web.openapi`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from market.web.openapi import BASE64, REQUIRED, RawBody, param


def _d(text: str) -> dict[str, str]:
    return {"description": text}


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
        "from_root": {**BASE64, "description": "the root of the first `from` leaves"},
        "to_root": {**BASE64, "description": "the root of the first `to` leaves"},
        "proof": {"type": "array", "items": BASE64},
    },
})

