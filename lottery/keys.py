"""The platform's Ed25519 key: generate, load, export.

The platform key signs both draw records and log checkpoints (spec §8).  The app loads it from
a PEM file or from an environment variable holding either PEM text or the base64 of the raw
32-byte private seed (handy for container secrets).
"""

from __future__ import annotations

import base64
import binascii
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from lottery.encoding import b64encode, check_b64
from lottery.errors import Invalid
from lottery.note import raw_public_key, verifier_key

DEFAULT_ENV_VAR = "LOTTERY_SIGNING_KEY"


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(key: Ed25519PrivateKey) -> bytes:
    """Unencrypted PKCS#8 PEM (store it encrypted at rest; that is the app's job)."""
    return key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())


def private_key_seed_b64(key: Ed25519PrivateKey) -> str:
    """Base64 of the raw 32-byte seed, the other form accepted by :func:`load_private_key_env`."""
    return b64encode(key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()))


def load_private_key_pem(data: bytes, password: bytes | None = None) -> Ed25519PrivateKey:
    try:
        key = load_pem_private_key(data, password=password)
    except (ValueError, TypeError) as exc:
        raise Invalid(f"cannot load PEM private key: {exc}") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise Invalid("the PEM key is not an Ed25519 key")
    return key


def load_private_key_file(path: str | Path, password: bytes | None = None) -> Ed25519PrivateKey:
    return load_private_key_pem(Path(path).read_bytes(), password)


def load_private_key_text(text: str) -> Ed25519PrivateKey:
    """PEM text (starts with ``-----BEGIN``) or base64 of the raw 32-byte Ed25519 seed."""
    text = text.strip()
    if text.startswith("-----BEGIN"):
        return load_private_key_pem(text.encode("ascii", "replace"))
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise Invalid("key is neither PEM nor base64") from exc
    if len(seed) != 32:
        raise Invalid("a base64 key must be the raw 32-byte Ed25519 seed")
    return Ed25519PrivateKey.from_private_bytes(seed)


def load_private_key_env(name: str = DEFAULT_ENV_VAR) -> Ed25519PrivateKey:
    """Load from environment variable ``name`` (PEM text or base64 raw 32-byte seed)."""
    value = os.environ.get(name)
    if not value:
        raise Invalid(f"environment variable {name} is not set")
    return load_private_key_text(value)


def public_key_b64(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    """Raw 32-byte public key, base64 (the bundle's ``public_key`` and ``--pubkey``)."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return b64encode(raw_public_key(pub))


def note_verifier_key(key: Ed25519PrivateKey | Ed25519PublicKey, name: str) -> str:
    """The signed-note verifier key string for the platform key under ``name``."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return verifier_key(name, raw_public_key(pub))


def parse_public_key_b64(text: str) -> bytes:
    """Strict base64 of a raw 32-byte public key; Invalid otherwise."""
    raw = check_b64(text, "public key")
    if len(raw) != 32:
        raise Invalid("public key must be 32 bytes")
    return raw
