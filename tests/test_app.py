"""Configuration, security headers, error pages, one transaction per request."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from market import create_app
from market.audit import AuditEvent
from market.auth import ANYONE, access
from market.config import ConfigError
from market.db import db
from tests.conftest import make_app


def test_production_without_secret_key_refuses_to_start(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MARKET_ENV", "production")
    monkeypatch.delenv("MARKET_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="MARKET_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("MARKET_SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_configure_the_app(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MARKET_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("MARKET_SECRET_KEY", "from-env")
    monkeypatch.setenv("MARKET_UPLOAD_DIR", str(tmp_path / "up"))
    monkeypatch.setenv("MARKET_HTTPS", "1")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "up")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_the_instance_folder_with_wal(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("MARKET_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'market.db'}"
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_security_headers_and_cookie_flags(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "<script>" not in response.get_data(as_text=True)  # no inline script


def test_secure_cookie_when_https(tmp_path: Path) -> None:
    app = make_app(tmp_path, HTTPS=True, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/login")
    assert "Secure" in response.headers.get("Set-Cookie", "")


def test_server_error_page_has_a_logged_reference_and_rolls_back(tmp_path: Path, caplog) -> None:
    app = make_app(tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    @access(ANYONE)
    def boom() -> str:
        from market import audit

        audit.record("test:boom:start", "x")
        db.session.flush()
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="market.errors"):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "错误编号" in page
    reference = page.split('data-test="error-ref">')[1].split("<")[0]
    assert reference in caplog.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_a_view_without_an_access_rule_stops_start_up(tmp_path: Path) -> None:
    from market.auth import check_every_view_has_a_rule

    app = make_app(tmp_path)

    @app.route("/unguarded")
    def unguarded() -> str:
        return "no rule"

    with pytest.raises(RuntimeError, match="unguarded"):
        check_every_view_has_a_rule(app)


def test_naive_datetimes_are_refused(app: Flask) -> None:
    from datetime import datetime

    with app.app_context():
        db.session.add(AuditEvent(at=datetime(2026, 1, 1), tag="t:t:t", target="x",  # noqa: DTZ001
                                  details={}))
        with pytest.raises(Exception, match="naive"):
            db.session.flush()
