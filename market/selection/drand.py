"""drand beacon verification (BLS12-381): a typed quicknet round must be the one the League of
Entropy signed, so nobody can offer a randomness of their choice.

quicknet is drand's unchained scheme ``bls-unchained-g1-rfc9380``: the signature of round
``r`` is a BLS signature on G1 (48 bytes, compressed) of ``SHA-256(u64_be(r))`` under the
chain's G2 public key (96 bytes), hashed to G1 with the RFC 9380 suite
``BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_``; the round's randomness is
``SHA-256(signature)``.  It verifies when ``e(signature, g2) = e(H(m), public key)``.

A G1 point has more than one byte string that decodes to it (the identity's flag bits, and a
point outside the prime-order subgroup pairs like its subgroup part), and the randomness
hashes the *bytes*: so only the canonical compressed encoding of a non-identity point of the
subgroup is accepted, else one valid round could be given several randomness values.

The pairing is computed by ``py_arkworks_bls12381`` (Rust arkworks bindings, the fast backend
of Ethereum's consensus specifications); this stays outside ``lottery/``, whose offline
verifier needs only the standard library and ``cryptography`` (lottery-v1.md §5, §10).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from py_arkworks_bls12381 import GT, G1Point, G2Point

from market.i18n import N_

DST_G1 = b"BLS_SIG_BLS12381G1_XMD:SHA-256_SSWU_RO_NUL_"


@dataclass(frozen=True)
class ChainKey:
    """A drand chain the platform can verify: its hash, public key and scheme."""

    chain: str
    public_key: bytes  # compressed G2
    scheme: str


# From the chain's /info document (public_key, hash, schemeID); the chain hash is the one
# lottery-v1.md lists for quicknet.
QUICKNET = ChainKey(
    "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
    bytes.fromhex(
        "83cf0f2896adee7eb8b5f01fcad3912212c437e0073e911fb90022d3e760183c"
        "8c4b450b6a0a6c3ac6a5776a2d1064510d1fec758c921cc22b0e17e63aaf4bcb"
        "5ed66304de9cf809bd274ca73bab4af5a6e9c76a4bc09e76eae8991ef5ece45a"),
    "bls-unchained-g1-rfc9380",
)
CHAINS = {QUICKNET.chain: QUICKNET}


class BeaconInvalid(ValueError):  # noqa: N818 - reads as a verdict
    """The signature is not the chain's for this round; ``message`` is an N_() text."""

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.params = params


def round_message(round_: int) -> bytes:
    """What an unchained drand round signs: SHA-256 of the round as 8 bytes big-endian."""
    return hashlib.sha256(round_.to_bytes(8, "big")).digest()


def _g1(signature: bytes) -> G1Point:
    if len(signature) != 48:
        raise BeaconInvalid(N_("quicknet 的签名是 48 字节（96 位十六进制）。"))
    try:
        point = G1Point.from_compressed_bytes(signature)
    except ValueError:
        raise BeaconInvalid(N_("签名不是 BLS12-381 曲线上的点。")) from None
    if (point.to_compressed_bytes() != signature or point == G1Point.identity()
            or not point.is_in_subgroup()):
        raise BeaconInvalid(N_("签名不是规范编码的有效签名。"))
    return point


def verify_round(chain: str, round_: int, signature: bytes,
                 key: ChainKey | None = None) -> bytes:
    """Check ``signature`` as ``chain``'s signature of ``round_``; return the randomness.

    ``key`` overrides the known chain key (tests sign rounds with a key pair of their own)."""
    known = key or CHAINS.get(chain)
    if known is None or known.chain != chain:
        raise BeaconInvalid(N_("平台不认识这条 drand 链，无法验证签名。"))
    if not 1 <= round_ < 2**64:
        raise BeaconInvalid(N_("轮次超出范围。"))
    point = _g1(signature)
    public_key = G2Point.from_compressed_bytes(known.public_key)
    hashed = G1Point.hash_to_curve(round_message(round_), DST_G1)
    if not GT.pairing_check([point, -hashed], [G2Point(), public_key]):
        raise BeaconInvalid(N_("签名验证失败：这不是该链第 %(round)s 轮的签名。"), round=round_)
    return hashlib.sha256(signature).digest()
