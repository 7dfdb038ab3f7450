"""What the browser tests' server does for them (tests/support/live.py): a page opened logged in
holds its own login, made through the served app's form.  (Apps of one process, served or not,
share their compiled templates: tests/support/template_cache.py, tested in tests/test_app.py.)"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market.accounts.models import UserSession
from market.db import db
from tests.conftest import create_person
from tests.support.live import open_page, serve


@pytest.mark.browser
def test_each_page_opened_logged_in_has_its_own_session(browser: Any, app: Flask) -> None:
    owner = create_person(app, "owner_admin")
    with serve(app) as site:
        first = open_page(browser, site, owner.email)
        second = open_page(browser, site, owner.email)
        assert first.is_visible("[data-test=dashboard-title]")
        assert second.is_visible("[data-test=dashboard-title]")
        anyone = open_page(browser, site, None)
        anyone.goto(site + "/owner/projects")
        assert "/login" in anyone.url
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(UserSession)) == 2
