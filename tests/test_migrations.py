"""Migrations: an empty database upgrades to head and agrees with the models (SQLite and
PostgreSQL), as Warehouse's db-check does."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from flask_migrate import upgrade

from market import create_app
from market.db import db


def _fresh_app(tmp_path: Path, url: str, monkeypatch) -> Flask:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})


def _check(app: Flask) -> None:
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


def test_sqlite_upgrade_to_head_matches_models(tmp_path: Path, monkeypatch) -> None:
    _check(_fresh_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", monkeypatch))


def test_postgresql_upgrade_to_head_matches_models(tmp_path: Path, pg_url: str,
                                                   monkeypatch) -> None:
    _check(_fresh_app(tmp_path, pg_url, monkeypatch))


def test_migration_files_have_readable_names() -> None:
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    for path in versions.glob("*.py"):
        number, _, slug = path.stem.partition("_")
        assert number.isdigit() and len(number) == 4 and slug, path.name


def test_every_migration_downgrades_and_upgrades_again(tmp_path: Path, monkeypatch) -> None:
    from flask_migrate import downgrade

    app = _fresh_app(tmp_path, f"sqlite:///{tmp_path / 'round.db'}", monkeypatch)
    with app.app_context():
        upgrade()
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()
