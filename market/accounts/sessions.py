"""Server-side login sessions (登录会话).

The signed session cookie carries only a random token; the session itself is a
:class:`~market.accounts.models.UserSession` row.  Logging out deletes the row, so a copy of the
cookie taken before is worth nothing; a password change deletes the user's other rows.

Lifetimes (``SESSION_IDLE_MINUTES``, ``SESSION_MAX_HOURS``): 30 minutes without a request and
12 hours in all, the re-authentication limits NIST SP 800-63B (rev. 3, §4.2.3) sets for its
second assurance level, which fits accounts that publish procurement notices and confirm
awards.  ``last_seen_at`` is written when it has fallen a step behind (:func:`touch_step`: a
minute, or a thirtieth of a shorter idle limit), so reading pages does not turn into one write
per request.  The idle limit counts from that time, which is less than a step before the last
request: a session ends between 29 and 30 minutes after its last request, never later
(tests/accounts/test_sessions.py holds the boundary).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app, g
from sqlalchemy.orm import joinedload

from market import timeutil
from market.accounts.models import Membership, User, UserSession
from market.db import db

_TOUCH_EVERY = timedelta(minutes=1)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def idle_limit() -> timedelta:
    return timedelta(minutes=int(current_app.config["SESSION_IDLE_MINUTES"]))


def absolute_limit() -> timedelta:
    return timedelta(hours=int(current_app.config["SESSION_MAX_HOURS"]))


def touch_step(idle: timedelta) -> timedelta:
    """How far ``last_seen_at`` may fall behind before a request writes it, under the idle
    limit ``idle``: a minute, and no more than a thirtieth of the limit, so a session never
    ends more than that share of the limit early (one minute in thirty by default; two seconds
    if the limit is a minute)."""
    return min(_TOUCH_EVERY, idle / 30)


def start(user: User) -> str:
    """A new session for ``user`` (called at login); the user's expired sessions are dropped
    on the way.  Returns the token, which ``user.get_id()`` now answers for Flask-Login."""
    now = timeutil.now()
    db.session.execute(sa.delete(UserSession).where(
        UserSession.user_id == user.id,
        sa.or_(UserSession.last_seen_at < now - idle_limit(),
               UserSession.created_at < now - absolute_limit())))
    token = secrets.token_urlsafe(32)
    row = UserSession(user_id=user.id, token_hash=token_digest(token), created_at=now,
                      last_seen_at=now)
    db.session.add(row)
    db.session.flush()
    user._session_token = token  # what User.get_id answers
    g.user_session = row
    return token


# The user, their memberships and organisations come with the row: every page reads them (the
# menu, the access check): one statement rather than four lazy loads, one row per membership
# (a person has one or a few).  Joined rather than a second ``selectinload`` statement, whose
# loader machinery cost more than the statement (CPU of the lookup on the regulator's
# dashboard, a loaded machine: 4.4 -> 3.0 ms).  Built once: building the statement and its
# loader options cost more than running it, on every page.
_SESSION = (sa.select(UserSession)
            .where(UserSession.token_hash == sa.bindparam(
                "token_hash", type_=UserSession.token_hash.type))
            .options(joinedload(UserSession.user, innerjoin=True)
                     .joinedload(User.memberships).joinedload(Membership.organisation)))


def resume(token: str) -> User | None:
    """The user of a live session (Flask-Login's user loader), else None.  An expired session
    is deleted; a live one has its ``last_seen_at`` moved on."""
    if not token or len(token) > 100:
        return None
    row = db.session.scalars(_SESSION, {"token_hash": token_digest(token)}).unique() \
        .one_or_none()
    if row is None:
        return None
    now, idle = timeutil.now(), idle_limit()
    if now - row.last_seen_at >= idle or now - row.created_at >= absolute_limit() \
            or not row.user.active:
        # A disabled account's sessions are ended when it is disabled; this catches any that
        # a concurrent login started meanwhile.
        db.session.delete(row)
        return None
    if now - row.last_seen_at >= touch_step(idle):
        row.last_seen_at = now
    user: User = row.user
    user._session_token = token  # what User.get_id answers
    g.user_session = row
    return user


def current() -> UserSession | None:
    """The session row of this request, if someone is logged in."""
    row: UserSession | None = g.get("user_session")
    return row


def end_current() -> None:
    """Logging out: the session's row goes, so every copy of the cookie stops working."""
    row = current()
    if row is not None:
        db.session.delete(row)
        g.pop("user_session", None)


def end_all(user: User) -> int:
    """Every session of ``user`` ends (a password change, before the new one starts)."""
    result = db.session.execute(sa.delete(UserSession).where(UserSession.user_id == user.id))
    g.pop("user_session", None)
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
