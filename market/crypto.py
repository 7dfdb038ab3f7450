"""Sealing secrets at rest (AES-GCM), with keys derived per purpose from one data key.

The data key comes from ``MARKET_DATA_KEY`` (hex or base64 of 32 bytes) or, in development, a
file in the instance folder (mode 0600).  Each sealed value is bound to its purpose and object
(the AES-GCM associated data), so a sealed lottery secret cannot be replayed as a sealed bid.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

VERSION = b"\x01"


def parse_data_key(raw: str) -> bytes:
    """The 32-byte key from its hex or base64 text; ValueError says what is wrong."""
    raw = raw.strip()
    try:
        key = bytes.fromhex(raw) if len(raw) == 64 else base64.b64decode(raw, validate=True)
    except (ValueError, binascii.Error):
        raise ValueError("must be 32 bytes in hex (64 characters) or base64") from None
    if len(key) != 32:
        raise ValueError("must be 32 bytes in hex (64 characters) or base64")
    return key


def _data_key() -> bytes:
    configured = current_app.config.get("DATA_KEY")
    if configured:
        try:
            return parse_data_key(configured)
        except ValueError as error:
            raise RuntimeError(f"MARKET_DATA_KEY {error}") from None
    if current_app.config.get("ENV") == "production":
        raise RuntimeError("MARKET_DATA_KEY is not set: production needs the key that seals "
                           "draw secrets and sealed bids (32 random bytes, hex).")
    path = Path(current_app.instance_path) / "data_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(os.urandom(32).hex())
    return bytes.fromhex(path.read_text().strip())


def _key_for(purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"market/seal/v1",
                info=purpose.encode()).derive(_data_key())


def keyed_digest(purpose: str, value: str) -> str:
    """HMAC-SHA256 of ``value`` under a key derived for ``purpose``, in hex: equal values give
    equal digests (a unique column can refuse a second registration) while the digest, without
    the data key, cannot be reversed by trying every value of a small space (an identity
    number has about 10**11 plausible values: a plain hash would not protect it)."""
    return hmac.new(_key_for(f"{purpose}/digest"), value.encode(), hashlib.sha256).hexdigest()


def seal(purpose: str, subject: str, plaintext: bytes) -> bytes:
    """Encrypt ``plaintext`` for ``purpose`` (e.g. ``lottery-secret``) bound to ``subject``."""
    nonce = os.urandom(12)
    return VERSION + nonce + AESGCM(_key_for(purpose)).encrypt(
        nonce, plaintext, f"{purpose}|{subject}".encode())


def unseal(purpose: str, subject: str, sealed: bytes) -> bytes:
    if not sealed or sealed[:1] != VERSION:
        raise ValueError("unknown sealing version")
    return AESGCM(_key_for(purpose)).decrypt(sealed[1:13], sealed[13:],
                                             f"{purpose}|{subject}".encode())


def derived_key(purpose: str) -> bytes:
    """A 32-byte key for ``purpose`` derived from the data key (HKDF-SHA256), for keyed
    hashes of values the database must not be able to reveal on its own."""
    return _key_for(purpose)
