"""Password hashing with argon2id (argon2-cffi's defaults, RFC 9106's second recommendation)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the account does not exist, so a wrong e-mail costs as long as a wrong
# password and the timing does not reveal which accounts exist.  Made at a process's first
# login, whoever logs in (so that login's extra cost says nothing about the account), not at
# import: every gunicorn worker and ``flask`` command would spend a full-cost hash on starting.
_DUMMY: str | None = None


def _dummy() -> str:
    global _DUMMY
    if _DUMMY is None:
        _DUMMY = _hasher.hash("not a real password, only spends the same time")
    return _DUMMY


def use_cheap_parameters() -> None:
    """Tests only: argon2id with tiny cost, so hundreds of logins stay fast."""
    global _hasher, _DUMMY
    _hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    _DUMMY = None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    dummy = _dummy()
    try:
        return _hasher.verify(stored or dummy, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
