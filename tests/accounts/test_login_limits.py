"""Login limits: an attacker is slowed, the account's owner is not locked out, each client
behind the proxy has its own budget, and the password-change form is limited too."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from market import create_app
from market.config import ConfigError
from tests.conftest import PASSWORD, create_person, csrf_token, make_app

LIMITS = {"RATELIMIT_ENABLED": True, "LOGIN_LIMIT": "3 per minute",
          "LOGIN_IP_LIMIT": "5 per minute"}


def _app(tmp_path: Path, **extra) -> Flask:
    return make_app(tmp_path, **{**LIMITS, "TRUSTED_PROXIES": 1, **extra})


def attempt(client: FlaskClient, email: str, password: str, ip: str = "198.51.100.1") -> int:
    """One login from behind the proxy, which says the client's address in X-Forwarded-For."""
    headers = {"X-Forwarded-For": ip}
    token = csrf_token(client)
    return client.post("/login", headers=headers, data={
        "email": email, "password": password, "csrf_token": token}).status_code


def test_an_attack_from_many_addresses_does_not_lock_the_owner_out(tmp_path: Path) -> None:
    app = _app(tmp_path)
    victim = create_person(app, "owner_admin")
    own_browser = app.test_client()
    assert attempt(own_browser, victim.email, PASSWORD, "198.51.100.10") == 302
    own_browser.post("/logout", data={"csrf_token": csrf_token(own_browser, "/dashboard")})

    codes = [attempt(app.test_client(), victim.email, f"guess-{i}-password", f"203.0.113.{i}")
             for i in range(1, 7)]
    # Strangers share the account's budget of 3; the owner's first login (a stranger then) used
    # one, since every attempt counts before the password is checked.
    assert codes == [400, 400, 429, 429, 429, 429]
    stranger = app.test_client()
    response = stranger.post("/login", headers={"X-Forwarded-For": "203.0.113.50"}, data={
        "email": victim.email, "password": PASSWORD, "csrf_token": csrf_token(stranger)})
    assert response.status_code == 429  # even with the right password, and no check was made
    page = response.get_data(as_text=True)
    assert "尝试次数过多" in page and 'class="error"' in page
    assert f'value="{victim.email}"' in page  # what was typed stays

    # The browser that logged in before is not a stranger.
    assert attempt(own_browser, victim.email, PASSWORD, "198.51.100.10") == 302
    assert own_browser.get("/dashboard").status_code == 200


def test_a_trusted_browser_has_its_own_budget(tmp_path: Path) -> None:
    app = _app(tmp_path)
    p = create_person(app, "agency_admin")
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert attempt(browser, p.email, PASSWORD) == 302
        browser.post("/logout", data={"csrf_token": csrf_token(browser, "/dashboard")})
    # Someone at the laptop guesses: the laptop's cookie is locked out, the phone is not.
    assert [attempt(laptop, p.email, f"guess-{i}-password") for i in range(4)] == [
        400, 400, 400, 429]
    assert attempt(laptop, p.email, PASSWORD) == 429
    assert attempt(phone, p.email, PASSWORD) == 302


def test_a_device_cookie_counts_only_for_its_own_account(tmp_path: Path) -> None:
    app = _app(tmp_path)
    mine, other = create_person(app, "owner_admin"), create_person(app, "owner_admin")
    browser = app.test_client()
    assert attempt(browser, mine.email, PASSWORD) == 302
    browser.post("/logout", data={"csrf_token": csrf_token(browser, "/dashboard")})
    for i in range(3):
        assert attempt(app.test_client(), other.email, f"guess-{i}-password", f"203.0.113.{i}") \
            == 400
    assert attempt(browser, other.email, PASSWORD) == 429  # a stranger to that account
    forged = app.test_client()
    forged.set_cookie("market_device", "not-a-signed-value", path="/login")
    assert attempt(forged, other.email, PASSWORD) == 429


def test_each_client_behind_the_proxy_has_its_own_address_budget(tmp_path: Path) -> None:
    app = _app(tmp_path)
    people = [create_person(app, "owner_delegate") for _ in range(7)]
    sprayer = "203.0.113.66"
    codes = [attempt(app.test_client(), p.email, "wrong-password-1", sprayer) for p in people]
    assert codes == [400] * 5 + [429] * 2  # one guess per account, five per address
    colleague = app.test_client()
    assert attempt(colleague, people[0].email, PASSWORD, "198.51.100.77") == 302


def test_forwarded_addresses_are_ignored_without_trusted_proxies(tmp_path: Path) -> None:
    """Reached directly, a client cannot dodge its address budget by inventing headers."""
    app = _app(tmp_path, TRUSTED_PROXIES=0)
    people = [create_person(app, "owner_delegate") for _ in range(6)]
    codes = [attempt(app.test_client(), p.email, "wrong-password-1", f"203.0.113.{i}")
             for i, p in enumerate(people)]
    assert codes == [400] * 5 + [429]


def test_the_proxy_fix_takes_scheme_and_address_from_the_trusted_proxy(tmp_path: Path) -> None:
    app = _app(tmp_path)

    seen = {}

    @app.after_request
    def remember(response):  # type: ignore[no-untyped-def]
        from flask import request

        seen.update(addr=request.remote_addr, secure=request.is_secure)
        return response

    app.test_client().get("/login", headers={
        "X-Forwarded-For": "198.51.100.5", "X-Forwarded-Proto": "https"})
    assert seen == {"addr": "198.51.100.5", "secure": True}
    # Only the last hop is believed: an address the client itself put first is not.
    app.test_client().get("/login", headers={"X-Forwarded-For": "10.9.9.9, 198.51.100.6"})
    assert seen["addr"] == "198.51.100.6"


def test_the_password_change_form_is_limited(tmp_path: Path) -> None:
    app = _app(tmp_path)
    p, q = create_person(app, "regulator"), create_person(app, "regulator")
    c = app.test_client()
    assert attempt(c, p.email, PASSWORD) == 302

    def change(client: FlaskClient, current: str) -> int:
        return client.post("/account/password", data={
            "current": current, "password": "new-password-77", "confirm": "new-password-77",
            "csrf_token": csrf_token(client, "/account/password")}).status_code

    assert [change(c, f"guess-{i}-password") for i in range(3)] == [400, 400, 400]
    assert change(c, PASSWORD) == 429
    other = app.test_client()
    assert attempt(other, q.email, PASSWORD) == 302
    assert change(other, PASSWORD) == 302


@pytest.mark.parametrize(("variable", "value"), [
    ("MARKET_LOGIN_LIMIT", "ten a minute"), ("MARKET_LOGIN_IP_LIMIT", "5 per fortnight"),
    ("MARKET_TRUSTED_PROXIES", "one"), ("MARKET_TRUSTED_PROXIES", "-1"),
    ("MARKET_SESSION_IDLE_MINUTES", "0"), ("MARKET_SESSION_MAX_HOURS", "12h")])
def test_a_bad_limit_setting_stops_start_up_naming_the_variable(
        tmp_path: Path, monkeypatch, variable: str, value: str) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError, match=variable):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x"})
