"""Login limits that slow a password guesser without locking the account's owner out.

OWASP's device cookies ("Slow Down Online Guessing Attacks with Device Cookies"): a browser
that has logged in to an account before carries a signed *device cookie* for it.

* A browser without one is a stranger.  Strangers share one budget per account
  (``LOGIN_LIMIT``, every attempt counts, taken before the password is checked so that
  parallel requests cannot overshoot it) and one budget of failures per IP address
  (``LOGIN_IP_LIMIT``).  When an attacker spends an account's budget from many addresses,
  strangers wait — the owner's own browser does not.
* A browser with one has a budget of its own (``LOGIN_LIMIT`` per device cookie): a stolen
  cookie buys a guesser no more than that, and spending it locks out only that cookie.

The same account budget also applies to the password-change form, keyed by the user, since a
borrowed session could otherwise guess the current password at full speed, and to the second
step of a login (the code, market.accounts.second_factor).  Budgets keep the
limit and are counted in Flask-Limiter's storage (``RATELIMIT_STORAGE_URI``): per process with
the default ``memory://``, shared by every process and machine with ``redis://…``.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from dataclasses import dataclass

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeSerializer
from limits import RateLimitItem, parse_many
from werkzeug.wrappers import Response

from market.extensions import limiter

DEVICE_COOKIE = "market_device"
DEVICE_COOKIE_DAYS = 180
_MAX_DEVICE_ENTRIES = 5  # a shared office computer remembers this many accounts


def _enabled() -> bool:
    return bool(current_app.config.get("RATELIMIT_ENABLED", True))


def _items(setting: str) -> list[RateLimitItem]:
    return parse_many(str(current_app.config[setting]))


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="market/device-cookie")


def _account_tag(email: str) -> str:
    """Which account a device entry is for, without writing the e-mail into the cookie."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, b"device:" + email.encode(), hashlib.sha256).hexdigest()[:32]


def _entries() -> list[list[str]]:
    raw = request.cookies.get(DEVICE_COOKIE)
    if not raw or len(raw) > 4000:
        return []
    try:
        value = _serializer().loads(raw)
    except BadSignature:
        return []
    if not isinstance(value, list):
        return []
    return [e for e in value if isinstance(e, list) and len(e) == 2
            and all(isinstance(p, str) for p in e)][:_MAX_DEVICE_ENTRIES]


def device_for(email: str) -> str | None:
    """The nonce of this browser's device cookie for the account, if it has logged in before."""
    tag = _account_tag(email)
    for entry_tag, nonce in _entries():
        if hmac.compare_digest(entry_tag, tag):
            return nonce
    return None


def remember_device(response: Response, email: str) -> None:
    """After a successful login: this browser is trusted for the account from now on."""
    tag = _account_tag(email)
    entries = [e for e in _entries() if e[0] != tag]
    nonce = device_for(email) or secrets.token_urlsafe(16)
    entries = [[tag, nonce], *entries][:_MAX_DEVICE_ENTRIES]
    response.set_cookie(
        DEVICE_COOKIE, _serializer().dumps(entries), max_age=DEVICE_COOKIE_DAYS * 86400,
        path="/login", httponly=True, samesite="Strict",
        secure=bool(current_app.config.get("HTTPS")))


@dataclass(frozen=True)
class Budget:
    items: list[RateLimitItem]
    identifiers: tuple[str, ...]

    def take(self) -> bool:
        """Spend one attempt; False (and nothing to try) when the budget is gone."""
        ok = True
        for item in self.items:
            ok = limiter.limiter.hit(item, *self.identifiers) and ok
        return ok

    def left(self) -> bool:
        return all(limiter.limiter.test(item, *self.identifiers) for item in self.items)

    def spend(self) -> None:
        for item in self.items:
            limiter.limiter.hit(item, *self.identifiers)

    def wait_seconds(self) -> int:
        waits = []
        for item in self.items:
            stats = limiter.limiter.get_window_stats(item, *self.identifiers)
            if stats.remaining <= 0:
                waits.append(stats.reset_time - time.time())
        return max(1, math.ceil(max(waits, default=1)))


def _account(email: str) -> Budget:
    return Budget(_items("LOGIN_LIMIT"), ("login-account", email))


def _device(nonce: str) -> Budget:
    return Budget(_items("LOGIN_LIMIT"), ("login-device", nonce))


def _address() -> Budget:
    return Budget(_items("LOGIN_IP_LIMIT"), ("login-ip", request.remote_addr or "-"))


def login_attempt(email: str) -> int | None:
    """Before checking a password for ``email`` (already normalised): None to go ahead (one
    attempt is spent), else the seconds to wait."""
    if not _enabled():
        return None
    nonce = device_for(email)
    if nonce is not None:
        budget = _device(nonce)
        return None if budget.take() else budget.wait_seconds()
    address = _address()
    if not address.left():
        return address.wait_seconds()
    account = _account(email)
    return None if account.take() else account.wait_seconds()


def login_failed(email: str) -> None:
    """A wrong password from a stranger also counts against its address."""
    if _enabled() and device_for(email) is None:
        _address().spend()


def password_change_attempt(user_id: int) -> int | None:
    """Before checking the current password on the password-change form (see login_attempt)."""
    if not _enabled():
        return None
    budget = Budget(_items("LOGIN_LIMIT"), ("password-change", str(user_id)))
    return None if budget.take() else budget.wait_seconds()


def second_factor_attempt(user_id: int) -> int | None:
    """Before checking a second-factor code (动态口令 or 恢复码) for the account (see
    login_attempt): None to go ahead, else the seconds to wait.  Keyed by the account alone,
    not the browser: whoever reaches this step already has the password, and a device cookie
    must not buy them more guesses at the code."""
    if not _enabled():
        return None
    budget = Budget(_items("LOGIN_LIMIT"), ("second-factor", str(user_id)))
    return None if budget.take() else budget.wait_seconds()
