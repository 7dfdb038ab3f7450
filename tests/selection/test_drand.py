"""drand quicknet signatures verified with the chain's BLS public key.

Real beacons: rounds published by the League of Entropy's quicknet chain, as quoted in public
code (a drand verifier's known-answer test for round 1000, a drand-verify binding's README
for round 657413, an example for round 10024141); each verifies under the chain key, which no
one could forge.  Rounds signed here with a key pair made in the test are cross-checked with
a second, independent implementation (py_ecc, pure Python)."""

from __future__ import annotations

import hashlib
import secrets

import pytest
from py_arkworks_bls12381 import G1Point, G2Point, Scalar

from market.selection.drand import (
    DST_G1,
    QUICKNET,
    BeaconInvalid,
    ChainKey,
    round_message,
    verify_round,
)

PUBLISHED = [
    (1000, "b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125e342b73a8dd2bacbe47e4b6b63ed5e39",
     "fe290beca10872ef2fb164d2aa4442de4566183ec51c56ff3cd603d930e54fdd"),
    (657413, "b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be41076862b98fad56e91a6b85b89cd97b",
     "fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587"),
    (10024141, "8c87caf26bb4f5e9fdfad5ddf739ff8683344f8cf04a8c381225ff067557b5d9d51937eed765fcef21971bf5ddef44bb",
     None),
]  # fmt: skip
R = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001  # the group order


@pytest.mark.parametrize("rnd, sig, randomness", PUBLISHED)
def test_published_quicknet_rounds_verify(rnd: int, sig: str, randomness: str | None) -> None:
    out = verify_round(QUICKNET.chain, rnd, bytes.fromhex(sig))
    assert out == hashlib.sha256(bytes.fromhex(sig)).digest()
    if randomness:
        assert out.hex() == randomness


@pytest.mark.parametrize("rnd, sig, _r", PUBLISHED)
def test_a_published_signature_does_not_verify_another_round(rnd: int, sig: str,
                                                             _r: str | None) -> None:
    for other in (rnd - 1, rnd + 1):
        with pytest.raises(BeaconInvalid):
            verify_round(QUICKNET.chain, other, bytes.fromhex(sig))


def test_the_round_is_hashed_big_endian() -> None:
    assert round_message(1000) == hashlib.sha256((1000).to_bytes(8, "big")).digest()


def _keypair() -> tuple[Scalar, ChainKey]:
    sk = Scalar(secrets.randbelow(R - 1) + 1)
    return sk, ChainKey("ab" * 32, (G2Point() * sk).to_compressed_bytes(), QUICKNET.scheme)


def _sign(sk: Scalar, rnd: int) -> bytes:
    return (G1Point.hash_to_curve(round_message(rnd), DST_G1) * sk).to_compressed_bytes()


def test_rounds_signed_with_a_key_of_our_own() -> None:
    sk, key = _keypair()
    for rnd in (1, 2, 1000, 2**40 + 7):
        sig = _sign(sk, rnd)
        assert verify_round(key.chain, rnd, sig, key) == hashlib.sha256(sig).digest()
        with pytest.raises(BeaconInvalid):
            verify_round(key.chain, rnd + 1, sig, key)
        with pytest.raises(BeaconInvalid):  # another key's signature
            verify_round(QUICKNET.chain, rnd, sig)
    _other, other_key = _keypair()
    with pytest.raises(BeaconInvalid):
        verify_round(key.chain, 5, _sign(sk, 5), ChainKey(key.chain, other_key.public_key,
                                                          key.scheme))


def test_a_second_implementation_agrees() -> None:
    from py_ecc.bls.hash_to_curve import hash_to_G1
    from py_ecc.bls.point_compression import decompress_G1, decompress_G2
    from py_ecc.optimized_bls12_381 import FQ12, G2, final_exponentiate, neg, pairing

    sk, key = _keypair()
    cases = [(QUICKNET.public_key, PUBLISHED[0][0], bytes.fromhex(PUBLISHED[0][1]))]
    cases.append((key.public_key, 77, _sign(sk, 77)))
    for public_key, rnd, sig in cases:
        pk = decompress_G2((int.from_bytes(public_key[:48], "big"),
                            int.from_bytes(public_key[48:], "big")))
        s = decompress_G1(int.from_bytes(sig, "big"))
        h = hash_to_G1(round_message(rnd), DST_G1, hashlib.sha256)
        product = pairing(G2, s, final_exponentiate=False) * pairing(pk, neg(h),
                                                                     final_exponentiate=False)
        assert final_exponentiate(product) == FQ12.one()


def test_other_encodings_of_a_valid_signature_are_refused() -> None:
    """Randomness is the hash of the signature's bytes, so only one byte string may pass."""
    from py_ecc.bls.point_compression import compress_G1, decompress_G1
    from py_ecc.fields import optimized_bls12_381_FQ as FQ
    from py_ecc.optimized_bls12_381 import add, b, curve_order, field_modulus, is_on_curve, multiply

    rnd, sig_hex, _r = PUBLISHED[0]
    sig = bytes.fromhex(sig_hex)
    # sig + T for a point T of the cofactor torsion: the pairing cannot tell the two apart.
    x = FQ(4)
    y = (x**3 + FQ(4)) ** ((field_modulus + 1) // 4)
    torsion = multiply((x, y, FQ(1)), curve_order)
    assert is_on_curve(torsion, b) and torsion[2] != FQ(0)
    forged = compress_G1(add(decompress_G1(int.from_bytes(sig, "big")), torsion)).to_bytes(48, "big")
    assert forged != sig
    identity = [bytes([0xC0]) + bytes(47), b"\xff" * 48, bytes([0xE0]) + bytes(47)]
    for bad in [forged, *identity, bytes(48), sig[:47], sig + b"\x00",
                bytes([sig[0] ^ 0x20]) + sig[1:]]:  # the y sign flag flipped: minus sig
        with pytest.raises(BeaconInvalid):
            verify_round(QUICKNET.chain, rnd, bad)


def test_unknown_chains_and_rounds_out_of_range() -> None:
    sig = bytes.fromhex(PUBLISHED[0][1])
    with pytest.raises(BeaconInvalid):
        verify_round("8990e7a9aaed2ffed73dbd7092123d6f289930540d7651336225dc172e51b2ce", 1000, sig)
    for rnd in (0, -1, 2**64):
        with pytest.raises(BeaconInvalid):
            verify_round(QUICKNET.chain, rnd, sig)
