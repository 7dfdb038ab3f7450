"""The platform's Ed25519 signing key: from ``MARKET_SIGNING_KEY_FILE`` (PEM), the
``MARKET_SIGNING_KEY`` environment variable (PEM text or base64 seed), or generated on first run
into the instance folder with mode 0600."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from flask import current_app

from lottery import keys as lkeys
from lottery.note import raw_public_key

_lock = threading.Lock()
_loaded: dict[str, PlatformKey] = {}


@dataclass(frozen=True)
class PlatformKey:
    private: Ed25519PrivateKey
    name: str  # the signed-note key name, which is also the log's origin

    @property
    def public_raw(self) -> bytes:
        return raw_public_key(self.private.public_key())

    @property
    def public_b64(self) -> str:
        return lkeys.public_key_b64(self.private)

    @property
    def verifier_key(self) -> str:
        return lkeys.note_verifier_key(self.private, self.name)


def _load() -> Ed25519PrivateKey:
    config = current_app.config
    if config.get("SIGNING_KEY_FILE"):
        return lkeys.load_private_key_file(config["SIGNING_KEY_FILE"])
    if config.get("SIGNING_KEY"):
        return lkeys.load_private_key_text(config["SIGNING_KEY"])
    if config.get("ENV") == "production":
        raise RuntimeError(
            "MARKET_SIGNING_KEY_FILE is not set: in production the platform signing key must be "
            "provided (make one with `flask transparency keygen PATH`, keep it secret, back it up)."
        )
    path = Path(current_app.instance_path) / "signing_key.pem"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        pem = lkeys.private_key_to_pem(lkeys.generate_private_key())
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first: use theirs
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(pem)
    return lkeys.load_private_key_file(path)


def platform_key() -> PlatformKey:
    config = current_app.config
    cache_key = f"{current_app.instance_path}|{config.get('SIGNING_KEY_FILE')}|{bool(config.get('SIGNING_KEY'))}"
    key = _loaded.get(cache_key)
    if key is None:
        with _lock:
            key = PlatformKey(_load(), config["LOG_ORIGIN"])
            _loaded[cache_key] = key
    return key
