"""Backup and restore: a backup of a city with finished draws restores into a fresh database
where every bundle verifies, the log audits and the ledger sums to zero — on SQLite and on
PostgreSQL (pg_dump / pg_restore)."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from billing import ledger
from lottery.verify import verify_bundle
from market.db import db
from market.selection.draw import bundle
from market.selection.models import Lottery
from market.transparency.audit import run_audit
from market.transparency.keys import platform_key
from tests.conftest import make_app
from tests.proof.report import record
from tests.support import demo_data

SECTION = "backup"


def _roundtrip(source: Flask, target: Flask, path: Path) -> None:
    """``source`` holds the demo city."""
    kind = "PostgreSQL" if path.suffix == ".dump" else "SQLite"
    with source.app_context():
        drawn = db.session.scalar(sa.select(sa.func.count(Lottery.id)).where(
            Lottery.state == "drawn"))
        assert drawn >= 3
    result = source.test_cli_runner().invoke(args=["backup", "create", str(path)])
    assert result.exit_code == 0, result.output
    record(SECTION, f"{kind}: backup size, kB", path.stat().st_size // 1024)
    assert not path.with_suffix(path.suffix + ".partial").exists()
    result = target.test_cli_runner().invoke(args=["backup", "restore", str(path), "--yes"])
    assert result.exit_code == 0, result.output
    assert "draw log: OK" in result.output
    with target.app_context():
        key = platform_key().public_raw
        lotteries = db.session.scalars(sa.select(Lottery).where(Lottery.state == "drawn")).all()
        record(SECTION, f"{kind}: drawn lotteries backed up / restored", f"{drawn} / {len(lotteries)}")
        assert len(lotteries) == drawn
        for n, lottery in enumerate(lotteries, 1):
            verify_bundle(bundle(lottery), key)
            record(SECTION, f"{kind}: restored draw bundles verified", n)
        audit = run_audit()
        record(SECTION, f"{kind}: log audit after restore", "ok" if audit.ok else audit.problem)
        assert audit.ok
        record(SECTION, f"{kind}: ledger total / unbalanced transactions after restore",
               f"{ledger.total(db.session)} / {len(ledger.unbalanced_transactions(db.session))}")
        assert ledger.total(db.session) == 0
        assert ledger.unbalanced_transactions(db.session) == []
    for app in (source, target):
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_sqlite_backup_restores_into_a_fresh_database(tmp_path: Path) -> None:
    # Both apps share the instance folder, as two deployments sharing the signing key would.
    # The source: a copy of the session's demo city (its folder, keys included), as
    # ``demo.load()`` and a commit would leave a new database.
    source = demo_data.demo_app(tmp_path)
    target = make_app(tmp_path, f"sqlite:///{tmp_path / 'target.db'}")
    _roundtrip(source, target, tmp_path / "backups" / "market.sqlite")


@pytest.mark.postgres
def test_postgresql_backup_restores_into_a_fresh_database(tmp_path: Path, pg_base_url: str) -> None:
    from tests.support.postgres import create_database

    # The source: the session's demo city (its folder, keys included) with its rows copied
    # into PostgreSQL, ids and all, as ``demo.load()`` and a commit there would leave them.
    source = demo_data.demo_app(tmp_path, create_database(pg_base_url, "backup_source"))
    target = make_app(tmp_path, create_database(pg_base_url, "backup_target"))
    _roundtrip(source, target, tmp_path / "backups" / "market.dump")


def test_restoring_something_that_is_not_a_backup_is_refused(tmp_path: Path) -> None:
    app = make_app(tmp_path)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 100)
    result = app.test_cli_runner().invoke(args=["backup", "restore", str(junk), "--yes"])
    record(SECTION, "restore of a non-backup file: exit code", result.exit_code)
    assert result.exit_code != 0
    missing = app.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "nope"),
                                                 "--yes"])
    record(SECTION, "restore of a missing file: exit code", missing.exit_code)
    assert missing.exit_code != 0 and "no backup" in missing.output
