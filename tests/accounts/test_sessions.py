"""Server-side sessions: logging out, a password change and the time limits end a session for
every copy of its cookie."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.accounts.models import UserSession
from market.config import defaults
from market.db import db
from tests.conftest import PASSWORD, create_person, csrf_token, login, make_app
from tests.support.page_cache import statements

START = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
WRITES = ("INSERT", "UPDATE", "DELETE")


def _session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _with_cookie(app: Flask, value: str) -> FlaskClient:
    """Another browser holding a copy of the cookie (stolen, or kept from before logout)."""
    thief = app.test_client()
    thief.set_cookie("session", value)
    return thief


def test_logout_ends_the_session_for_every_copy_of_the_cookie(any_app: Flask) -> None:
    p = create_person(any_app, "owner_admin")
    c = any_app.test_client()
    login(c, p.email)
    copied = _session_cookie(c)
    assert _with_cookie(any_app, copied).get("/dashboard").status_code == 200
    c.post("/logout", data={"csrf_token": csrf_token(c, "/dashboard")})
    assert c.get("/dashboard").status_code == 302
    response = _with_cookie(any_app, copied).get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    with any_app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 0


def test_password_change_ends_the_other_sessions_and_renews_this_one(app: Flask) -> None:
    p = create_person(app, "agency_admin")
    first, second = app.test_client(), app.test_client()
    login(first, p.email)
    login(second, p.email)
    before = _session_cookie(first)
    response = first.post("/account/password", data={
        "current": PASSWORD, "password": "new-password-77", "confirm": "new-password-77",
        "csrf_token": csrf_token(first, "/account/password")})
    assert response.status_code == 302
    assert first.get("/dashboard").status_code == 200
    assert second.get("/dashboard").status_code == 302
    # The cookie from before the change names a session that no longer exists.
    assert _with_cookie(app, before).get("/dashboard").status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 1


@pytest.fixture
def limited(tmp_path: Path) -> Flask:
    """An app with the real session limits (the other tests' apps lift them)."""
    real = defaults(str(tmp_path))
    assert (real["SESSION_IDLE_MINUTES"], real["SESSION_MAX_HOURS"]) == (30, 12)
    return make_app(tmp_path, SESSION_IDLE_MINUTES=real["SESSION_IDLE_MINUTES"],
                    SESSION_MAX_HOURS=real["SESSION_MAX_HOURS"])


def test_idle_and_absolute_limits(limited: Flask) -> None:
    app = limited
    p = create_person(app, "regulator")
    with timeutil.frozen(START):
        idle = app.test_client()
        login(idle, p.email)
        timeutil.advance(timedelta(minutes=29))
        assert idle.get("/dashboard").status_code == 200  # activity moves the idle limit on
        timeutil.advance(timedelta(minutes=29))
        assert idle.get("/dashboard").status_code == 200
        timeutil.advance(timedelta(minutes=30))
        assert idle.get("/dashboard").status_code == 302  # 30 minutes without a request

        busy = app.test_client()
        login(busy, p.email)
        for _ in range(12 * 3 - 1):  # a request every 20 minutes for 11 h 40 min
            timeutil.advance(timedelta(minutes=20))
            assert busy.get("/dashboard").status_code == 200
        timeutil.advance(timedelta(minutes=20))
        assert busy.get("/dashboard").status_code == 302  # 12 hours after logging in
        login(busy, p.email)
    with app.app_context():  # logging in again drops the user's expired sessions
        assert db.session.scalar(sa.select(sa.func.count(UserSession.id))) == 1


def _last_seen(app: Flask) -> datetime:
    with app.app_context():
        seen = db.session.scalar(sa.select(UserSession.last_seen_at))
    assert seen is not None
    return seen


def test_last_seen_is_written_once_a_minute_and_idle_ends_within_that_minute(
        limited: Flask) -> None:
    """Reading pages writes the session's ``last_seen_at`` only when it has moved a minute or
    more: the idle limit then counts from a request at most a minute before the last one, so
    a session ends between 29 and 30 minutes after its last request, never later."""
    app = limited
    p = create_person(app, "regulator")
    with timeutil.frozen(START):
        c = app.test_client()
        login(c, p.email)
        timeutil.advance(timedelta(seconds=59))
        with statements(app) as sent:
            assert c.get("/dashboard").status_code == 200
        assert not [s for s in sent if s.split(None, 1)[0].upper() in WRITES], sent
        assert _last_seen(app) == START
        timeutil.advance(timedelta(seconds=1))
        assert c.get("/dashboard").status_code == 200
        assert _last_seen(app) == START + timedelta(minutes=1)
        timeutil.advance(timedelta(seconds=59))
        assert c.get("/dashboard").status_code == 200  # not written: 59 s after the last
        assert _last_seen(app) == START + timedelta(minutes=1)
        # 29 min 1 s after that request, 30 minutes after the one written down
        timeutil.advance(timedelta(minutes=29, seconds=1))
        assert c.get("/dashboard").status_code == 302


def test_a_short_idle_limit_writes_last_seen_in_a_shorter_step(tmp_path: Path) -> None:
    """With a one-minute idle limit the step is two seconds (a thirtieth of the limit): a
    request every 59 seconds keeps the session, a minute without one ends it."""
    app = make_app(tmp_path, SESSION_IDLE_MINUTES=1)
    p = create_person(app, "regulator")
    with timeutil.frozen(START):
        c = app.test_client()
        login(c, p.email)
        for _ in range(3):
            timeutil.advance(timedelta(seconds=59))
            assert c.get("/dashboard").status_code == 200
        assert _last_seen(app) == START + timedelta(seconds=3 * 59)
        timeutil.advance(timedelta(seconds=60))
        assert c.get("/dashboard").status_code == 302


def test_the_cookie_itself_expires_with_the_absolute_limit(limited: Flask) -> None:
    assert limited.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=12)


def test_login_replaces_whatever_session_the_browser_had(app: Flask) -> None:
    """Session fixation: a cookie planted before login is not the one that logs in."""
    p = create_person(app, "owner_admin")
    c = app.test_client()
    c.get("/login")
    planted = _session_cookie(c)
    login(c, p.email)
    assert _session_cookie(c) != planted
    assert _with_cookie(app, planted).get("/dashboard").status_code == 302


def test_session_rows_hold_only_a_hash_of_the_token(app: Flask) -> None:
    p = create_person(app, "owner_admin")
    c = app.test_client()
    login(c, p.email)
    with app.app_context():
        row = db.session.scalar(sa.select(UserSession))
        assert row is not None and len(row.token_hash) == 64
    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    token = serializer.loads(_session_cookie(c))["_user_id"]
    assert token != row.token_hash and str(p.user_id) != token
