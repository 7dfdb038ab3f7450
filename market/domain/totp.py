"""The second factor's rules (动态口令, RFC 6238 TOTP), without storage or a clock.

A code is six digits for a 30-second time step, computed from a shared secret by the person's
authenticator app (身份验证器).  A code is accepted for the current step and one step either
side (clocks drift; a code typed at the end of its step arrives in the next), and only for a
step later than the last one accepted, so a code seen over someone's shoulder cannot be used
again.  Recovery codes (恢复码) stand in for a lost phone, each once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

import pyotp

DIGITS = 6
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODES = 10
# Ten characters of Crockford's base32 alphabet (no I, L, O, U): 50 bits each, shown as
# two groups of five.
_RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RECOVERY_LENGTH = 10


def new_secret() -> str:
    """A fresh shared secret: 160 random bits in base32 (RFC 4226 §4 recommends 160)."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The ``otpauth://`` address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret as a person types it: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def step_of(now: datetime) -> int:
    """The time step ``now`` falls in."""
    return int(now.timestamp()) // STEP_SECONDS


def normalise_code(text: str) -> str:
    """What was typed, without spaces or dashes, upper case."""
    return re.sub(r"[\s\-]", "", text).upper()


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` is valid for at ``now`` (one step of drift either way), or None
    when it is wrong or its step is not later than ``last_step`` (a replay)."""
    code = normalise_code(code)
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = step_of(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # every candidate is compared, so the time taken does not say which one matched
        if hmac.compare_digest(totp.generate_otp(step), code):
            found = step
    if found is None or (last_step is not None and found <= last_step):
        return None
    return found


def new_recovery_codes() -> list[str]:
    """Ten recovery codes, each ``XXXXX-XXXXX``."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(_RECOVERY_LENGTH))
        codes.append(f"{raw[:5]}-{raw[5:]}")
    return codes


def _recovery_normal(text: str) -> str:
    # Crockford's reading of the letters people confuse with digits
    return normalise_code(text).replace("I", "1").replace("L", "1").replace("O", "0")


def looks_like_recovery_code(text: str) -> bool:
    code = _recovery_normal(text)
    return len(code) == _RECOVERY_LENGTH and all(c in _RECOVERY_ALPHABET for c in code)


def recovery_digest(key: bytes, text: str) -> str:
    """The stored form of a recovery code: a keyed hash (HMAC-SHA256 under a key the database
    does not hold), so a copy of the database alone cannot be searched for the codes."""
    return hmac.new(key, _recovery_normal(text).encode(), hashlib.sha256).hexdigest()
