"""Quotes sealed to the regulators' opening keys (开标密钥): the platform cannot open them alone.

Pure: no Flask, no database.  A quote's plaintext (u64 amount || 32-byte nonce) is encrypted
with a fresh 32-byte data key (AES-256-GCM, bound to the request, round, agency and commitment).
The data key is split t-of-n with Shamir's scheme (pycryptodome; each 16-byte half over
GF(2^128), the same x for both halves), and each share is sealed to one key holder's P-256
public key with HPKE (RFC 9180 base mode: DHKEM(P-256, HKDF-SHA256), HKDF-SHA256, AES-256-GCM),
whose ``info`` binds the key id, request, round and commitment.  Nothing the platform keeps
opens a share: only the holder's private key, which exists only in the holder's file.

A SHA-256 of each share is kept beside it, so that a presented share is checked on its own: a
wrong key file is named at once, instead of an opening that fails as a whole later.  A share is
32 bytes of key material (or, for t = 1, the data key itself), so its hash reveals nothing.

The same HPKE receiver runs in the key holder's browser (``static/js/opening-key.js``, WebCrypto)
and in the offline tool (``static/tools/opening_key.py``); the private key never reaches the
platform.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from Crypto.Protocol import HPKE
from Crypto.Protocol.SecretSharing import Shamir
from Crypto.PublicKey import ECC
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

SCHEME = b"\x02"  # first byte of a sealed quote; b"\x01" is the platform's data key (market.crypto)
KEY_FORMAT = "market-opening-key/v1"
REQUEST_FORMAT = "market-opening-request/v1"  # the wrapped shares a holder unwraps
SHARES_FORMAT = "market-opening-shares/v1"  # the unwrapped shares a holder presents
CURVE = "P-256"
PUBLIC_KEY_BYTES = 65  # uncompressed SEC1 point
SHARE_BYTES = 33  # x || half 1 || half 2
MAX_HOLDERS = 255


class SealingError(ValueError):
    """A key, a key file or a share that is not what it must be (the message says which)."""


@dataclass(frozen=True)
class Holder:
    key_id: str
    public_key: bytes


@dataclass(frozen=True)
class WrappedShare:
    key_id: str
    x: int
    wrapped: bytes  # HPKE enc (65 bytes) || ciphertext
    share_hash: str


@dataclass(frozen=True)
class SealedQuote:
    ciphertext: bytes
    shares: tuple[WrappedShare, ...]


@dataclass(frozen=True)
class QuoteContext:
    request_id: str
    round: int
    agency_id: str
    commitment: str  # hex, sealed-bid/v1


def key_id(public_key: bytes) -> str:
    """The key's public name: ``OK-`` and the first 16 hex digits of SHA-256(public key)."""
    return "OK-" + hashlib.sha256(public_key).hexdigest()[:16]


def public_key_from_text(text: str) -> bytes:
    """Base64 of an uncompressed P-256 point, checked to be on the curve."""
    try:
        raw = base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise SealingError("not base64") from None
    check_public_key(raw)
    return raw


def check_public_key(raw: bytes) -> None:
    """An uncompressed point on P-256, not the point at infinity (pycryptodome reads the
    all-zero point as infinity, to which anyone could open what is sealed: OpenSSL decides)."""
    if len(raw) != PUBLIC_KEY_BYTES or raw[:1] != b"\x04":
        raise SealingError("not an uncompressed P-256 public key")
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
        point = ECC.import_key(raw, curve_name=CURVE).pointQ
    except ValueError:
        raise SealingError("not a point of P-256") from None
    if point.is_point_at_infinity():
        raise SealingError("not a point of P-256")


def quote_aad(ctx: QuoteContext) -> bytes:
    return (f"market/sealed-quote/v2|{ctx.request_id}|{ctx.round}|{ctx.agency_id}|"
            f"{ctx.commitment}").encode()


def share_info(key: str, request_id: str, round_: int, commitment: str) -> bytes:
    """HPKE ``info`` of one wrapped share: a share cannot be moved to another quote or key."""
    return f"market/opening-share/v1|{key}|{request_id}|{round_}|{commitment}".encode()


def share_hash(key: str, commitment: str, share: bytes) -> str:
    return hashlib.sha256(b"market/opening-share-hash/v1|" + key.encode() + b"|"
                          + commitment.encode() + b"|" + share).hexdigest()


def seal(holders: Sequence[Holder], threshold: int, plaintext: bytes,
         ctx: QuoteContext) -> SealedQuote:
    """Encrypt ``plaintext`` so that any ``threshold`` of ``holders`` together open it."""
    if not 1 <= threshold <= len(holders) <= MAX_HOLDERS:
        raise SealingError("need 1 <= threshold <= holders <= 255")
    data_key = os.urandom(32)
    iv = os.urandom(12)
    ciphertext = SCHEME + iv + AESGCM(data_key).encrypt(iv, plaintext, quote_aad(ctx))
    halves = (Shamir.split(threshold, len(holders), data_key[:16]),
              Shamir.split(threshold, len(holders), data_key[16:]))
    wrapped: list[WrappedShare] = []
    for holder, (x, a), (x2, b) in zip(holders, halves[0], halves[1], strict=True):
        if x != x2:
            raise AssertionError("Shamir shares out of order")
        check_public_key(holder.public_key)  # never seal to a key that is not one
        share = bytes([x]) + a + b
        receiver = HPKE.new(receiver_key=ECC.import_key(holder.public_key, curve_name=CURVE),
                            aead_id=HPKE.AEAD.AES256_GCM,
                            info=share_info(holder.key_id, ctx.request_id, ctx.round,
                                            ctx.commitment))
        body = receiver.seal(share, b"")
        wrapped.append(WrappedShare(holder.key_id, x, bytes(receiver.enc) + body,
                                    share_hash(holder.key_id, ctx.commitment, share)))
    return SealedQuote(ciphertext, tuple(wrapped))


def unwrap(private_key_der: bytes, key: str, request_id: str, round_: int, commitment: str,
           wrapped: bytes) -> bytes:
    """What a key holder's browser does for each quote: open its share with its private key."""
    try:
        private = ECC.import_key(private_key_der)
        receiver = HPKE.new(receiver_key=private, aead_id=HPKE.AEAD.AES256_GCM,
                            enc=wrapped[:PUBLIC_KEY_BYTES],
                            info=share_info(key, request_id, round_, commitment))
        return bytes(receiver.unseal(wrapped[PUBLIC_KEY_BYTES:], b""))
    except ValueError:
        raise SealingError("this key does not open the share") from None


def open_quote(shares: Sequence[bytes], ciphertext: bytes, ctx: QuoteContext) -> bytes:
    """Combine ``threshold`` shares (each checked against its hash by the caller) and decrypt."""
    if not shares or any(len(s) != SHARE_BYTES for s in shares):
        raise SealingError("malformed share")
    if len({s[0] for s in shares}) != len(shares):
        raise SealingError("the same share twice")
    a = Shamir.combine([(s[0], s[1:17]) for s in shares])
    b = Shamir.combine([(s[0], s[17:]) for s in shares])
    if ciphertext[:1] != SCHEME or len(ciphertext) < 1 + 12 + 16:
        raise SealingError("not a quote sealed to opening keys")
    try:
        return AESGCM(bytes(a) + bytes(b)).decrypt(ciphertext[1:13], ciphertext[13:],
                                                   quote_aad(ctx))
    except InvalidTag:
        raise SealingError("the shares do not open this quote") from None


def generate_key() -> tuple[bytes, bytes]:
    """A new key pair: (PKCS#8 DER private key, raw public key).  Used by the demo, the tests
    and the offline tool's equivalent; a regulator's browser generates its own (WebCrypto)."""
    private = ECC.generate(curve=CURVE)
    return (bytes(private.export_key(format="DER")),
            bytes(private.public_key().export_key(format="raw")))


def key_file(private_key_der: bytes, public_key: bytes, holder: str, site: str,
             created_at: str) -> dict[str, Any]:
    """The file a key holder keeps (the same fields the browser writes)."""
    return {"format": KEY_FORMAT, "curve": CURVE, "key_id": key_id(public_key),
            "holder": holder, "site": site, "created_at": created_at,
            "public_key": base64.b64encode(public_key).decode(),
            "private_key_pkcs8": base64.b64encode(private_key_der).decode()}


def read_key_file(doc: Mapping[str, Any]) -> tuple[str, bytes, bytes]:
    """(key id, public key, PKCS#8 private key) of a key file; the halves must match."""
    if not isinstance(doc, Mapping) or doc.get("format") != KEY_FORMAT:
        raise SealingError("not an opening key file")
    try:
        public = base64.b64decode(str(doc["public_key"]), validate=True)
        private_der = base64.b64decode(str(doc["private_key_pkcs8"]), validate=True)
        private = ECC.import_key(private_der)
    except (KeyError, ValueError, binascii.Error):
        raise SealingError("the key file is damaged") from None
    if not private.has_private() or private.curve != "NIST P-256":
        raise SealingError("the key file is damaged")
    if bytes(private.public_key().export_key(format="raw")) != public:
        raise SealingError("the key file's halves do not match")
    return key_id(public), public, private_der
