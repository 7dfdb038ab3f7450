"""The second factor of a password login (动态口令, RFC 6238 TOTP; market.domain.totp).

* Anyone may enrol from their account page: their authenticator app (身份验证器) reads the
  secret from a QR code, and one current code confirms it.  The secret is stored sealed with
  the data key (market.crypto: AES-GCM under a key HKDF derives for this purpose, bound to the
  account id); ten recovery codes (恢复码) are shown once and stored as keyed hashes.
* A password login of someone with a second factor is not a login until a code is right
  (market.accounts.views_second_factor); a code is accepted once (the last accepted time step
  is kept), a recovery code once.
* ``SECOND_FACTOR_ROLES`` names the roles that must have one: a person holding such a role
  without one can only enrol (or log out) once the password was right.
* An operator resets a person's second factor (lost phone and recovery codes) with a reason;
  the person enrols again at their next login.

OpenID Connect logins are not asked for a code: the identity provider authenticated the
person, with whatever factors it requires.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask import current_app

from market import config as config_module
from market import crypto, timeutil
from market.accounts import audit, sessions
from market.accounts.models import RecoveryCode, SecondFactor, User
from market.accounts.operations import AccountError
from market.db import db
from market.domain import totp
from market.i18n import N_

_SEAL = "second-factor-secret"
_PENDING_SEAL = "second-factor-enrolment"
_RECOVERY_KEY = "second-factor-recovery-code"


def required_roles() -> frozenset[str]:
    """The roles whose people must have a second factor (``SECOND_FACTOR_ROLES``)."""
    return config_module.second_factor_roles(current_app.config) or frozenset()


def factor_of(user: User) -> SecondFactor | None:
    return db.session.scalar(sa.select(SecondFactor).where(SecondFactor.user_id == user.id))


def has_factor(user: User) -> bool:
    return db.session.scalar(
        sa.select(SecondFactor.id).where(SecondFactor.user_id == user.id)) is not None


def required_for(user: User) -> bool:
    """Whether one of ``user``'s roles, in any organisation, must have a second factor."""
    wanted = required_roles()
    return bool(wanted) and any(m.role in wanted for m in user.memberships)


def must_enrol(user: User) -> bool:
    """Whether ``user`` may do nothing but enrol: a role that needs a second factor, none yet."""
    return required_for(user) and not has_factor(user)


def seal_pending(user: User, secret: str) -> bytes:
    """The secret offered on the enrolment page, sealed for the browser's session until a
    code confirms it (the cookie is signed, not encrypted)."""
    return crypto.seal(_PENDING_SEAL, user.account_id, secret.encode())


def unseal_pending(user: User, sealed: bytes) -> str | None:
    try:
        return crypto.unseal(_PENDING_SEAL, user.account_id, sealed).decode()
    except Exception:  # another account's, another key's, or tampered with
        return None


def _digest(code: str) -> str:
    return totp.recovery_digest(crypto.derived_key(_RECOVERY_KEY), code)


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    now = timeutil.now()
    db.session.add_all(RecoveryCode(user_id=user.id, code_digest=_digest(c), created_at=now)
                       for c in codes)
    return codes


def enrol(user: User, secret: str, code: str) -> list[str]:
    """The user turns on their second factor (启用动态口令) with ``secret``, confirmed by a
    current ``code`` from their app.  Any user, for themselves.  Writes the sealed secret and
    ten recovery codes (returned, to be shown once); refuses a wrong code and a second
    enrolment (an operator's reset comes first)."""
    if has_factor(user):
        raise AccountError(None, N_("您已启用动态口令。"))
    step = totp.matching_step(secret, code, timeutil.now(), None)
    if step is None:
        raise AccountError("code", N_("动态口令不正确：请输入身份验证器上当前显示的 6 位数字。"))
    db.session.add(SecondFactor(
        user_id=user.id, secret_sealed=crypto.seal(_SEAL, user.account_id, secret.encode()),
        last_step=step, enrolled_at=timeutil.now()))
    codes = _new_recovery_codes(user)
    db.session.flush()
    audit.record("user:second-factor:enrol", user.account_id, {}, user_id=user.id)
    return codes


def check_code(user: User, code: str) -> str | None:
    """At login, after the password: whether ``code`` is a current TOTP code of ``user`` not
    used before ("totp"), or one of their unused recovery codes ("recovery"), else None.
    Accepting one uses it up: the time step (and every earlier one) or the recovery code is
    marked in the same statement that checks it, so two requests cannot both use it."""
    factor = factor_of(user)
    if factor is None:
        return None
    if totp.looks_like_recovery_code(code):
        used = db.session.execute(
            sa.update(RecoveryCode)
            .where(RecoveryCode.user_id == user.id, RecoveryCode.code_digest == _digest(code),
                   RecoveryCode.used_at.is_(None))
            .values(used_at=timeutil.now()))
        if not used.rowcount:  # type: ignore[attr-defined]
            return None
        audit.record("user:second-factor:recovery-code", user.account_id,
                     {"left": remaining_recovery_codes(user)}, user_id=user.id)
        return "recovery"
    secret = crypto.unseal(_SEAL, user.account_id, factor.secret_sealed).decode()
    step = totp.matching_step(secret, code, timeutil.now(), factor.last_step)
    if step is None:
        return None
    moved = db.session.execute(
        sa.update(SecondFactor)
        .where(SecondFactor.id == factor.id, SecondFactor.last_step < step)
        .values(last_step=step)
        .execution_options(synchronize_session=False))
    if not moved.rowcount:  # type: ignore[attr-defined]
        return None  # a concurrent request took this step first
    db.session.expire(factor)
    return "totp"


def remaining_recovery_codes(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def reset(user: User, reason: str, *, by: User) -> None:
    """Operators only, for a person of their tenant (the caller checks the tenant): remove
    ``user``'s second factor and recovery codes (重置动态口令), end their sessions, with the
    reason in the audit trail.  If their role needs one, they enrol again at their next
    login.  Refuses one's own and an empty reason."""
    reason = reason.strip()
    if user.id == by.id:
        raise AccountError(None, N_("不能重置自己的动态口令。"))
    if not reason:
        raise AccountError("reason", N_("请填写此项。"))
    factor = factor_of(user)
    if factor is None:
        raise AccountError(None, N_("此账户没有启用动态口令。"))
    db.session.delete(factor)
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    ended = sessions.end_all(user)
    audit.record("operator:second-factor:reset", user.account_id,
                 {"reason": reason, "sessions_ended": ended})


def record_failure(user: User, reason: str) -> None:
    """A wrong code at login, for the audit trail (the caller commits it apart from the
    request, which rolls back)."""
    audit.record("user:second-factor:fail", user.account_id, {"reason": reason},
                 user_id=user.id)
