"""The demo city's logins by role, as the page sweeps (tests/test_page_words.py, and the
benches bench/pages_bench.py and bench/page_writes.py) look at it: one client per role and
language, starting from the entry points that role may open."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from devdata import demo
from market.accounts import operations as accounts
from market.accounts.auth import allowed_for
from market.accounts.models import Organisation, Role, User
from market.db import db
from tests.conftest import csrf_token
from tests.support.crawl import entry_points

# Who is looking: the demo city's logins (the agency's staff member is added by add_agency_staff).
ROLES = {
    "anonymous": None,
    "owner_admin": "owner1@yunchuan.demo",
    "owner_delegate": "delegate1@yunchuan.demo",
    "agency_admin": "agency1@yunchuan.demo",
    "agency_staff": "staff1@yunchuan.demo",
    "regulator": "regulator1@yunchuan.demo",
    "operator": "operator@yunchuan.demo",
    "department_staff": "dept1@yunchuan.demo",
}


def add_agency_staff(app: Flask) -> None:
    """The demo has no agency staff member (经办人); the sweeps add one to 云川青禾."""
    with app.app_context():
        agency = db.session.scalar(sa.select(Organisation).where(
            Organisation.name.like("云川青禾%")))
        assert agency is not None
        accounts.add_member(agency, name="经办人 1号", email=ROLES["agency_staff"],
                            role=Role.AGENCY_STAFF, password=demo.DEMO_PASSWORD)
        db.session.commit()


def role_starts(app: Flask, role: str, email: str | None) -> list[str]:
    """The entry points ``role`` may open.  The others are refused before their view runs (a
    403, or the login page for anyone not logged in: tests/test_route_matrix.py holds every
    route and role), and a crawl reads only the pages that answer 200."""
    if email:
        with app.app_context():
            user = db.session.scalar(sa.select(User).where(User.email == email))
            assert user is not None
            # the membership the app acts through when no organisation has been chosen
            acting = min(user.memberships, key=lambda m: m.id)
            assert acting.role == role, (email, acting.role)
    adapter = app.url_map.bind("localhost")
    return [url for url in entry_points(app)
            if allowed_for(app.view_functions[adapter.match(url, method="GET")[0]]._access,
                           role if email else None, email is not None)]


def role_client(app: Flask, email: str | None, lang: str) -> FlaskClient:
    """A test client logged in as ``email`` (none: anonymous), reading pages in ``lang``."""
    client = app.test_client()
    if email:
        response = client.post("/login", data={
            "email": email, "password": demo.DEMO_PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 302, email
    if lang == "en":
        client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    return client
