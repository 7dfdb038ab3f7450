"""The draw of spec §2-4: commitment, canonical pool, draw key, tickets, ranking.

Every function is pure; ``rank`` is what the platform runs and what the verifier re-runs.
"""

from __future__ import annotations

import hashlib
import hmac
import operator
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import islice

from lottery.encoding import JSON, V, cjson, enc, u32, utf8
from lottery.errors import Invalid
from lottery.merkle import root_from_leaf_hashes

_COMMIT_TAG = enc(utf8(V + "/commit"))
_IKM_TAG = enc(utf8(V + "/ikm"))
_SALT = hashlib.sha256(utf8(V + "/salt")).digest()
_INFO_TAG = enc(utf8(V + "/draw-key"))
_TICKET_TAG = enc(utf8(V + "/ticket"))


def commitment(lottery_id: str, secret: bytes) -> bytes:
    """H(enc("…/commit") || enc(lottery_id) || enc(secret)), published in the announcement."""
    return hashlib.sha256(_COMMIT_TAG + enc(utf8(lottery_id)) + enc(secret)).digest()


def canonical_pool(ids: Iterable[str]) -> list[str]:
    """NFC ids sorted by their UTF-8 bytes; NFC-equal ids are one id, so a duplicate."""
    given = list(ids)
    if all(map(str.isascii, given)):  # the usual case: code point order is byte order
        ordered = sorted(given)
        if not all(map(operator.lt, ordered, islice(ordered, 1, None))):
            for x, y in zip(ordered, ordered[1:], strict=False):
                if x == y:
                    raise Invalid(f"duplicate agency id {x!r}")
        return ordered
    normalized = [utf8(i) for i in given]
    normalized.sort()
    for a, b in zip(normalized, normalized[1:], strict=False):
        if a == b:
            raise Invalid(f"duplicate agency id {a.decode('utf-8')!r}")
    return [b.decode("utf-8") for b in normalized]


def is_canonical_pool(pool: Sequence[str]) -> bool:
    """Strictly increasing by bytes (ids are ASCII, so by code points too)."""
    return all(map(operator.lt, pool, islice(pool, 1, None))) and all(map(str.isascii, pool))


def pool_root(canonical: Sequence[str]) -> bytes:
    """RFC 6962 tree hash over the leaves utf8(id), in canonical order."""
    sha256 = hashlib.sha256  # leaf_hash(utf8(i)) written out: pools have 10^4-10^5 ids
    return root_from_leaf_hashes(
        [sha256(b"\x00" + (i.encode() if i.isascii() else utf8(i))).digest() for i in canonical]
    )


def _hkdf_sha256(salt: bytes, ikm: bytes, info: bytes, length: int) -> bytes:
    # RFC 5869 written out (two HMACs for 32 bytes): avoids depending on a particular
    # `cryptography` API and is short enough to read against the RFC.
    prk = hmac.digest(salt, ikm, "sha256")
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = hmac.digest(prk, block + info + bytes([counter]), "sha256")
        out += block
        counter += 1
    return out[:length]


def draw_key(
    lottery_id: str, announcement_hash: bytes, secret: bytes, sources: Sequence[JSON]
) -> bytes:
    """HKDF-SHA256 over the announcement hash, the secret and the entropy sources (§4)."""
    parts = [_IKM_TAG, enc(announcement_hash), enc(secret), u32(len(sources))]
    parts.extend(enc(cjson(s)) for s in sources)
    info = _INFO_TAG + enc(utf8(lottery_id))
    return _hkdf_sha256(_SALT, b"".join(parts), info, 32)


def ticket(key: bytes, agency_id: str) -> bytes:
    return hmac.digest(key, _TICKET_TAG + enc(utf8(agency_id)), "sha256")


_IPAD = bytes(0x36 for _ in range(64))
_OPAD = bytes(0x5C for _ in range(64))


def tickets(key: bytes, pool: Iterable[str]) -> dict[str, bytes]:
    """``ticket(key, i)`` for every id.

    HMAC-SHA256 (RFC 2104) written out over hashlib so that the key's inner and outer blocks
    and the tag are hashed once, not once per id: half the time of ``hmac.digest`` per ticket
    for a 10^4-id pool.  Tests compare it with ``hmac`` for keys and ids of every kind.
    """
    if len(key) > 64:  # RFC 2104: a key longer than the block is hashed first
        key = hashlib.sha256(key).digest()
    block = key.ljust(64, b"\0")
    inner = hashlib.sha256(bytes(k ^ p for k, p in zip(block, _IPAD, strict=True)))
    inner.update(_TICKET_TAG)
    outer = hashlib.sha256(bytes(k ^ p for k, p in zip(block, _OPAD, strict=True)))
    out = {}
    for i in pool:
        h = inner.copy()
        h.update(enc(i.encode() if i.isascii() else utf8(i)))
        o = outer.copy()
        o.update(h.digest())
        out[i] = o.digest()
    return out


def ranking_from_tickets(ticket_map: dict[str, bytes]) -> list[str]:
    """Ascending by (ticket, utf8(id)); ties between tickets are practically impossible."""
    ranking = sorted(ticket_map, key=ticket_map.__getitem__)
    # Sorting by ticket alone is enough unless two tickets are equal (a 2^-256 event); then
    # sort again with the full key so the tie is broken by the id's bytes, as specified.
    ranked = list(map(ticket_map.__getitem__, ranking))
    if any(map(operator.eq, ranked, islice(ranked, 1, None))):
        ranking = sorted(ticket_map, key=lambda i: (ticket_map[i], utf8(i)))
    return ranking


def is_ranking_of(given: list[str], ticket_map: dict[str, bytes]) -> bool:
    """True only if ``given == ranking_from_tickets(ticket_map)``; False means "sort and see".

    As many ids as tickets, each with a ticket and their tickets strictly increasing: then the
    ids are distinct, so all of them, and no two tie, so (ticket, id) orders them as ``given``
    does.  Checking that is cheaper than sorting a 10^4-id pool by ticket."""
    if len(given) != len(ticket_map):
        return False
    try:
        ranked = list(map(ticket_map.__getitem__, given))
    except (KeyError, TypeError):  # not an id of the pool, or not even hashable
        return False
    return all(map(operator.lt, ranked, islice(ranked, 1, None)))


@dataclass(frozen=True)
class DrawResult:
    pool: list[str]
    pool_root: bytes
    draw_key: bytes
    tickets: dict[str, bytes]
    ranking: list[str]
    winners: list[str]

    def to_json(self) -> dict[str, JSON]:
        """The output object of ``python -m lottery rank``."""
        return {
            "pool": self.pool,
            "pool_root": self.pool_root.hex(),
            "draw_key": self.draw_key.hex(),
            "tickets": {i: t.hex() for i, t in self.tickets.items()},
            "ranking": self.ranking,
            "winners": self.winners,
        }


def rank(
    lottery_id: str,
    announcement_hash: bytes,
    secret: bytes,
    sources: Sequence[JSON],
    pool: Iterable[str],
    k: int,
) -> DrawResult:
    """Run the draw.  ``k`` larger than the pool is refused, never padded."""
    canonical = canonical_pool(pool)
    if not 1 <= k <= len(canonical):
        raise Invalid(f"k={k} is outside 1..{len(canonical)} (the pool size)")
    key = draw_key(lottery_id, announcement_hash, secret, sources)
    ticket_map = tickets(key, canonical)
    ranking = ranking_from_tickets(ticket_map)
    return DrawResult(canonical, pool_root(canonical), key, ticket_map, ranking, ranking[:k])
