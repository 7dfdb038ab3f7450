"""The sealed-bid log (报价承诺日志): a second append-only RFC 6962 log of the platform.

Why a second log: lottery-v1.md §7 fixes the draw log's event types and other implementations
audit it (``python -m lottery audit-log`` fails ``format`` on any other type), so commitments
cannot go there without breaking every conforming auditor.  The stricter reading of "the
commitment is written to the platform log" is therefore a log with the same guarantees — an
append-only Merkle tree, leaves ``cjson(event)``, ``at`` read under the append lock so it never
decreases, a checkpoint signed by the same platform key after every append — under its own
origin ``<LOG_ORIGIN>-bids``.  Events (``data`` keys exactly as listed):

=========  ======================================================================================
``bid``    ``{"round", "agency_id", "commitment", "replaces": old commitment or null, "by"}``
``open``   ``{"round", "bids": [{"agency_id", "amount_fen", "nonce", "commitment"}],
           "invalid": [commitments that did not open], "excluded": [{"agency_id", "reason"}],
           "winner": id or null,
           "tie_lottery": lottery id or null}``
``decline`` ``{"agency_id", "reason", "replacement": id or null, "by"}`` (sealed bids without a
           tie lottery; a tie lottery's declines go to the draw log as §7 says)
``void``   ``{"round", "reason", "decided_by"}`` (an upheld objection; or ``"system"`` when the
           key holders did not open the round by its opening deadline: never opened)
``proposal`` ``{"round", "agency_id", "commitment", "file_sha256", "replaces", "by"}``: a
           proposal (方案择优): its quote's sealed-bid/v1 commitment and the SHA-256 of its
           file, both committed before the opening
``scores`` ``{"round", "sheet", "scorers", "scores", "results", "winner", "tie_lottery"}``:
           the panel's published scores of a proposal selection (``sheet`` as published with
           the notice; ``scores``: ``[{"scorer", "agency_id", "tenths": [per criterion]}]``;
           ``results``: ``[{"agency_id", "quote_fen", "criteria_centi", "price_centi",
           "total_centi"}]``, highest total first)
=========  ======================================================================================

The amount never appears before ``open``; a replaced quote's ``bid`` leaf stays in the log and
the replacing one names it in ``replaces``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lottery.encoding import (
    b64encode,
    check_hex32,
    check_identifier,
    check_int,
    check_json_values,
    check_keys,
    check_list,
    check_object,
    check_text,
    cjson,
)
from market import timeutil
from market.db import db
from market.selection.models import BidLogCheckpoint, BidLogHead, BidLogLeaf, BidLogNode
from market.transparency.keys import platform_key
from market.transparency.stored import StoredLog


def _id(x: object) -> None:
    check_identifier(x, "identifier")


def _id_or_null(x: object) -> None:
    if x is not None:
        check_identifier(x, "identifier")


def _hex32(x: object) -> None:
    check_hex32(x, "commitment")


def _hex32_or_null(x: object) -> None:
    if x is not None:
        check_hex32(x, "commitment")


def _sha256(x: object) -> None:
    check_hex32(x, "file_sha256")


def _object(x: object) -> None:
    check_json_values(check_object(x, "object"))


def _names(x: object) -> None:
    for name in check_list(x, "scorers"):
        check_text(name, "scorer", 1, 60)


def _reason(x: object) -> None:
    check_text(x, "reason", 1, 500)


def _round(x: object) -> None:
    check_int(x, "round", 1)


def _json(x: object) -> None:
    check_json_values(check_list(x, "list"))


def _excluded(x: object) -> None:
    for item in check_list(x, "excluded"):
        entry = check_object(item, "excluded entry")
        check_keys(entry, {"agency_id", "reason"}, "excluded entry")
        _id(entry["agency_id"])
        _reason(entry["reason"])


# The draw log's rules (lottery-v1.md §1, §7) applied to this log's events: identifiers,
# integers, and reasons as text (NFC, no control or format characters, 1-500 code points).
SCHEMA: dict[str, dict[str, Callable[[object], None]]] = {
    "bid": {"round": _round, "agency_id": _id, "commitment": _hex32,
            "replaces": _hex32_or_null, "by": _id},
    "open": {"round": _round, "bids": _json, "invalid": _json, "excluded": _excluded,
             "winner": _id_or_null, "tie_lottery": _id_or_null},
    "decline": {"agency_id": _id, "reason": _reason, "replacement": _id_or_null, "by": _id},
    "void": {"round": _round, "reason": _reason, "decided_by": _id},
    "proposal": {"round": _round, "agency_id": _id, "commitment": _hex32,
                 "file_sha256": _sha256, "replaces": _hex32_or_null, "by": _id},
    "scores": {"round": _round, "sheet": _object, "scorers": _names, "scores": _json,
               "results": _json, "winner": _id_or_null, "tie_lottery": _id_or_null},
}
TYPES = set(SCHEMA)


def check_event_data(type_: str, data: dict[str, Any]) -> None:
    """An event's ``data``: exactly its keys, each checked; :class:`~lottery.errors.Invalid`
    otherwise.  Run before anything is written."""
    if type_ not in SCHEMA:
        raise ValueError(f"unknown bid-log event type {type_}")
    check_keys(check_object(data, "data"), frozenset(SCHEMA[type_]), f"{type_} data")
    for key, check in SCHEMA[type_].items():
        check(data[key])


def origin() -> str:
    return platform_key().name + "-bids"


BIDS = StoredLog(BidLogHead, BidLogNode, BidLogCheckpoint, origin=origin)


def next_time() -> datetime:
    return BIDS.next_time()


def append(type_: str, request_id: str, data: dict[str, Any],
           at: datetime | None = None) -> dict[str, Any]:
    """Log one event in the caller's transaction; sign and store the new checkpoint.  The
    event is checked (:func:`check_event_data`) before the log's head is locked."""
    check_event_data(type_, data)
    events: list[dict[str, Any]] = []

    def make(first: int, when: datetime) -> list[bytes]:
        event = {"seq": first, "type": type_, "request_id": request_id,
                 "at": timeutil.iso_z(when), "data": data}
        leaf = cjson(event)
        db.session.add(BidLogLeaf(seq=first, request_id=request_id, type=type_, at=when,
                                  data=leaf))
        events.append(event)
        return [leaf]

    BIDS.append_leaves(make, at=at)
    db.session.flush()
    return events[0]


def size() -> int:
    return BIDS.size()


def latest_checkpoint() -> BidLogCheckpoint | None:
    cp: BidLogCheckpoint | None = BIDS.latest_checkpoint()
    return cp


def receipt(event: dict[str, Any]) -> dict[str, Any]:
    """What a bidder keeps: the event (its commitment, no amount), the inclusion proof against
    the checkpoint right after it, and that signed checkpoint."""
    tree_size = event["seq"] + 1
    cp = BIDS.checkpoint_at(tree_size)
    proof = BIDS.reader(tree_size).inclusion_proof(event["seq"], tree_size)
    return {"log": origin(), "index": event["seq"], "event": event, "tree_size": tree_size,
            "proof": [b64encode(h) for h in proof], "checkpoint": cp.note if cp else None}


def leaves(start: int, end: int) -> list[bytes]:
    rows = db.session.scalars(sa.select(BidLogLeaf.data).where(
        BidLogLeaf.seq >= start, BidLogLeaf.seq < end).order_by(BidLogLeaf.seq)).all()
    return [bytes(r) for r in rows]


def events_of(request_id: str) -> list[dict[str, Any]]:
    rows = db.session.scalars(sa.select(BidLogLeaf.data).where(
        BidLogLeaf.request_id == request_id).order_by(BidLogLeaf.seq)).all()
    return [json.loads(bytes(r)) for r in rows]
