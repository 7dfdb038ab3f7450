"""Sealed-bid commitments (sealed-bid/v1, appendix of lottery-v1.md) and the opening's ranking.

Pure: no Flask, no database.  ``commitment`` is byte-exact with the appendix, so anyone can
recompute a published quote's commitment from its request id, agency id, amount and nonce.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

V = "sealed-bid/v1"
NONCE_BYTES = 32
MAX_AMOUNT_FEN = 2**64 - 1


def _enc(b: bytes) -> bytes:
    return len(b).to_bytes(4, "big") + b


def _utf8(s: str) -> bytes:
    return unicodedata.normalize("NFC", s).encode("utf-8")


def commitment(request_id: str, agency_id: str, amount_fen: int, nonce: bytes) -> bytes:
    """H(enc(utf8(V)) || enc(utf8(request_id)) || enc(utf8(agency_id)) || enc(u64(amount))
    || enc(nonce)) — raw 32 bytes."""
    if not 0 <= amount_fen <= MAX_AMOUNT_FEN:
        raise ValueError("amount out of range")
    if len(nonce) != NONCE_BYTES:
        raise ValueError("nonce must be 32 bytes")
    return hashlib.sha256(
        _enc(_utf8(V)) + _enc(_utf8(request_id)) + _enc(_utf8(agency_id))
        + _enc(amount_fen.to_bytes(8, "big")) + _enc(nonce)).digest()


def opens(commitment_hex: str, request_id: str, agency_id: str, amount_fen: int,
          nonce_hex: str) -> bool:
    """Does the published (amount, nonce) recompute to the logged commitment?"""
    try:
        nonce = bytes.fromhex(nonce_hex)
        return commitment(request_id, agency_id, amount_fen, nonce).hex() == commitment_hex
    except ValueError:
        return False


def within(amount_fen: int, floor_fen: int | None, cap_fen: int) -> bool:
    """Floor and cap are both inclusive; no floor means any positive amount."""
    return (floor_fen if floor_fen is not None else 1) <= amount_fen <= cap_fen


@dataclass(frozen=True)
class OpenedBid:
    agency_id: str
    amount_fen: int


def lowest(bids: Sequence[OpenedBid]) -> list[str]:
    """The agencies sharing the lowest amount, in canonical (byte) order; empty for no bids."""
    if not bids:
        return []
    low = min(b.amount_fen for b in bids)
    return sorted((b.agency_id for b in bids if b.amount_fen == low), key=lambda a: a.encode())


def ranking(bids: Sequence[OpenedBid], tie_order: Sequence[str] = ()) -> list[str]:
    """All bidders, lowest amount first.  Agencies with equal amounts keep the order of
    ``tie_order`` (the tie-break draw's ranking) when they are in it, then canonical order —
    so the alternates after a decline are the next-lowest quotes."""
    position = {a: i for i, a in enumerate(tie_order)}
    return [b.agency_id for b in sorted(
        bids, key=lambda b: (b.amount_fen, position.get(b.agency_id, len(position)),
                             b.agency_id.encode()))]
