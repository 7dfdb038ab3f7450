"""Draw records and public bundles (spec §8): the builders the platform uses.

The verifier is in :mod:`lottery.verify`; these functions produce exactly what it accepts.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from lottery.draw import rank
from lottery.encoding import JSON, V, b64encode, cjson, utf8
from lottery.log import MerkleLog
from lottery.note import raw_public_key

RECORD_CONTEXT = utf8(V + "/draw-record\n")


def announcement_hash(announcement: dict[str, JSON]) -> bytes:
    return hashlib.sha256(cjson(announcement)).digest()


def build_record(
    announcement: dict[str, Any],
    secret: bytes,
    sources: Sequence[dict[str, JSON]],
    pool: Iterable[str],
    drawn_at: str,
) -> dict[str, JSON]:
    """Run the draw and return the §8 record (raises Invalid if ``k`` exceeds the pool)."""
    lottery_id = announcement["lottery_id"]
    ann_hash = announcement_hash(announcement)
    result = rank(lottery_id, ann_hash, secret, sources, pool, announcement["k"])
    return {
        "v": V,
        "lottery_id": lottery_id,
        "announcement_hash": ann_hash.hex(),
        "k": announcement["k"],
        "pool": result.pool,
        "pool_root": result.pool_root.hex(),
        "commitment": announcement["commitment"],
        "secret": secret.hex(),
        "sources": list(sources),
        "draw_key": result.draw_key.hex(),
        "tickets": {i: t.hex() for i, t in result.tickets.items()},
        "ranking": result.ranking,
        "winners": result.winners,
        "drawn_at": drawn_at,
    }


def record_signing_input(record: dict[str, JSON]) -> bytes:
    return RECORD_CONTEXT + cjson(record)


def sign_record(private_key: Ed25519PrivateKey, record: dict[str, JSON]) -> str:
    """Ed25519 over utf8(V + "/draw-record\\n") || cjson(record), base64."""
    return b64encode(private_key.sign(record_signing_input(record)))


def log_entries(
    log: MerkleLog, events: Iterable[dict[str, Any]], size: int
) -> list[dict[str, JSON]]:
    """Bundle entries for logged events, each with its inclusion proof at tree ``size``."""
    return [
        {
            "index": e["seq"],
            "event": e,
            "proof": [b64encode(h) for h in log.inclusion_proof(e["seq"], size)],
        }
        for e in sorted(events, key=lambda e: int(e["seq"]))
    ]


def build_bundle(
    announcement: dict[str, JSON],
    record: dict[str, JSON],
    signature: str,
    public_key: bytes,
    origin: str,
    key_name: str,
    checkpoint: str,
    entries: Sequence[dict[str, JSON]],
) -> dict[str, JSON]:
    """Assemble the public bundle; ``entries`` from :func:`log_entries` for the checkpoint."""
    return {
        "v": V,
        "announcement": announcement,
        "record": record,
        "signature": signature,
        "public_key": b64encode(public_key),
        "log": {
            "origin": origin,
            "key_name": key_name,
            "checkpoint": checkpoint,
            "entries": list(entries),
        },
    }


def public_key_of(private_key: Ed25519PrivateKey) -> bytes:
    return raw_public_key(private_key.public_key())
