"""What the browser tests' server does for them (tests/support/live.py): a page opened logged in
holds its own login, made through the served app's form; apps served alike share their compiled
templates, and a template whose source differs is compiled afresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, render_template
from jinja2 import DictLoader, Environment

from market.accounts.models import UserSession
from market.db import db
from tests.conftest import CSRF_RE, create_person, make_app
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


def _compiles(monkeypatch: pytest.MonkeyPatch) -> list[str | None]:
    names: list[str | None] = []
    compile_ = Environment.compile

    def counted(self: Environment, source: Any, name: str | None = None,
                *args: Any, **kwargs: Any) -> Any:
        names.append(name)
        return compile_(self, source, name, *args, **kwargs)

    monkeypatch.setattr(Environment, "compile", counted)
    return names


def test_apps_served_alike_share_compiled_templates(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    pages = []
    for name in ("first", "second"):
        app = make_app(tmp_path / name)
        with serve(app):
            names = _compiles(monkeypatch)
            html = app.test_client().get("/login").get_data(as_text=True)
        pages.append((names, CSRF_RE.sub("", html)))
    (_, first), (second_compiled, second) = pages
    assert second_compiled == [] and second == first


def test_a_template_whose_source_differs_is_compiled_again(
        monkeypatch: pytest.MonkeyPatch) -> None:
    shown = []
    for text in ("第一版", "第二版"):
        app = Flask(__name__)
        app.jinja_loader = DictLoader({"page.html": f"<p>{text}</p>"})
        with serve(app), app.test_request_context():
            names = _compiles(monkeypatch)
            shown.append(render_template("page.html"))
        assert names == ["page.html"]
    assert shown == ["<p>第一版</p>", "<p>第二版</p>"]
