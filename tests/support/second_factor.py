"""The second factor (动态口令) through the pages, shared by its tests: a frozen clock, the app
with the production default of required roles, enrolment and the login's password step."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.db import db
from tests.conftest import PASSWORD, Person, create_person, csrf_token, login, make_app

T0 = datetime(2026, 12, 7, 2, 0, 5, tzinfo=UTC)
SECRET_RE = re.compile(r'data-test="enrol-secret">([A-Z2-7 ]+)<')
CODES_RE = re.compile(r'data-test="recovery-code">([0-9A-Z-]+)<')


@pytest.fixture
def clock() -> Iterator[None]:
    with timeutil.frozen(T0):
        yield


@pytest.fixture
def required_app(tmp_path: Path) -> Iterator[Flask]:
    """The production default: operators, regulators and departments' staff must have one."""
    application = make_app(tmp_path, SECOND_FACTOR_ROLES="operator,regulator,department_staff")
    yield application
    with application.app_context():
        db.engine.dispose()


def enrol(c: FlaskClient) -> tuple[str, list[str]]:
    """Enrol through the page; the secret and the recovery codes shown."""
    page = c.get("/account/second-factor").get_data(as_text=True)
    found = SECRET_RE.search(page)
    assert found, page
    secret = found.group(1).replace(" ", "")
    assert 'data-test="enrol-qr"' in page and "<svg" in page
    r = c.post("/account/second-factor", data={
        "code": pyotp.TOTP(secret).at(timeutil.now()),
        "csrf_token": csrf_token(c, "/account/second-factor")})
    assert r.status_code == 200, r.get_data(as_text=True)
    assert r.headers["Cache-Control"] == "no-store"
    codes = CODES_RE.findall(r.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def enrolled(app: Flask, role: str = "owner_admin") -> tuple[Person, str, list[str]]:
    who = create_person(app, role)
    c = app.test_client()
    assert login(c, who.email).status_code == 302
    secret, codes = enrol(c)
    return who, secret, codes


def password_step(c: FlaskClient, who: Person, next_: str = "") -> None:
    token = csrf_token(c)
    r = c.post("/login" + (f"?next={next_}" if next_ else ""),
               data={"email": who.email, "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"].endswith("/login/code"), r.headers
