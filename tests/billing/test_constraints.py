"""The database itself refuses what the ledger's rules forbid, on SQLite and PostgreSQL, even
when the application's code is bypassed: payments settling more than the fee (a duplicate, an
overlap, a gap, a forged copy of the fee), a second release, a release above the fee.  Parallel
payments from real processes with the application's row lock switched off still settle the
fee once.  The migration fills the new columns of existing payments from the ledger."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from billing.integration import backend
from billing.models import BillingEngagement, LedgerTransaction, Payment
from market.db import db
from market.timeutil import today_local
from tests.billing.conftest import Parties, assert_ledger_balanced, create_parties, open_engagement
from tests.conftest import make_app
from tests.support import processes

FEE = 1_000_00
AT = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)


def _pay(app: Flask, eid: int, reference: str, amount: int) -> None:
    with app.app_context():
        # Paid today: the engagement opened today, and a payment may not predate its contract.
        backend().record_offline_payment(eid, reference=reference, paid_on=today_local(),
                                         amount_fen=amount)
        db.session.commit()


def _payment_row(eid: int, reference: str, **values: Any) -> dict[str, Any]:
    row = {"engagement_id": eid, "method": "offline", "reference": reference,
           "paid_on": date(2026, 11, 2), "amount_fen": 100_00, "refunded_fen": 0,
           "status": "succeeded", "created_at": AT, "fee_fen": FEE, "credited_fen": 100_00,
           "credited_before_fen": None, "credited_after_fen": None, "previous_after_fen": None}
    row.update(values)
    return row


def _refused(app: Flask, statement: Any) -> None:
    with app.app_context():
        with pytest.raises(IntegrityError):
            db.session.execute(statement)
            db.session.flush()
        db.session.rollback()


def _accepted(app: Flask, statement: Any) -> None:
    with app.app_context():
        db.session.execute(statement)
        db.session.commit()


def test_direct_writes_that_break_the_rules_are_refused(any_app: Flask) -> None:
    app = any_app
    parties: Parties = create_parties(app)
    eid = open_engagement(app, parties, fee_fen=FEE)
    _pay(app, eid, "TR-1", 600_00)  # settles 0 -> 600.00 of 1,000.00
    insert = sa.insert(Payment.__table__)

    def chained(reference: str, before: int, credited: int, **kw: Any) -> Any:
        values = {"amount_fen": credited, "credited_fen": credited,
                  "credited_before_fen": before, "credited_after_fen": before + credited,
                  "previous_after_fen": before or None, **kw}
        return insert.values(**_payment_row(eid, reference, **values))

    # A second payment starting from nothing, as a racing request would write it.
    _refused(app, chained("TR-race", 0, 600_00))
    # From where the first ended, but beyond the fee.
    _refused(app, chained("TR-over", 600_00, 500_00))
    # Overlapping the first (starting inside it, where no payment ends).
    _refused(app, chained("TR-overlap", 300_00, 400_00))
    # Beyond the fee with a forged copy of it.
    _refused(app, chained("TR-fee", 600_00, 500_00, fee_fen=2_000_00))
    # Settling without joining the chain; a running total that does not add up.
    _refused(app, insert.values(**_payment_row(eid, "TR-loose", credited_fen=100_00)))
    _refused(app, insert.values(**_payment_row(
        eid, "TR-sum", credited_fen=100_00, credited_before_fen=600_00,
        credited_after_fen=800_00, previous_after_fen=600_00)))
    # Settling more than the payment brought.
    _refused(app, chained("TR-more", 600_00, 100_00, amount_fen=50_00))
    # The rules allow what they should: the rest of the fee, from where the first ended
    # (written by hand on another engagement; through the application on this one).
    other = open_engagement(app, parties, fee_fen=FEE)
    _accepted(app, insert.values(**_payment_row(
        other, "TR-other", amount_fen=FEE, credited_fen=FEE, credited_before_fen=0,
        credited_after_fen=FEE)))
    _pay(app, eid, "TR-2", 400_00)
    with app.app_context():
        backend().mark_accepted(eid)
        backend().release(eid)
        db.session.commit()
    # A second release of the same engagement, written by hand.
    _refused(app, sa.insert(LedgerTransaction.__table__).values(
        kind="released", engagement_id=eid, amount_fen=FEE, at=AT, details={}))
    _refused(app, sa.update(BillingEngagement.__table__).where(
        BillingEngagement.id == eid).values(released_net_fen=FEE + 1))
    assert_ledger_balanced(app)


WORKERS = 20


def _unlocked_worker(args: tuple[str, str, int, int, Any]) -> str:
    """One payment of the whole fee with the engagement's row lock switched off: only the
    database's constraints stand between the racing processes."""
    url, tmp, eid, n, barrier = args
    from billing.errors import BillingError
    from billing.service import LedgerBilling

    app = make_app(Path(tmp) / f"u{n}", url, schema_ready=True)
    LedgerBilling._lock = lambda self, engagement_id: self.session.get(  # type: ignore[method-assign]
        BillingEngagement, engagement_id)
    with app.app_context():
        billing = backend()
        barrier.wait(timeout=30)
        try:
            billing.record_offline_payment(eid, reference=f"TR-{n:04d}",
                                           paid_on=today_local(), amount_fen=FEE)
            db.session.commit()
            return "ok"
        except BillingError:
            db.session.rollback()
            return "refused"
        except Exception as exc:  # noqa: BLE001 - the database refused, or SQLite was busy
            db.session.rollback()
            return f"error:{type(exc).__name__}"
        finally:
            db.engine.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_parallel_payments_without_the_row_lock_still_settle_the_fee_once(
        engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = (request.getfixturevalue("pg_url") if engine == "postgresql"
           else f"sqlite:///{tmp_path / 'race.db'}")
    os.environ.setdefault("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    app = make_app(tmp_path, url)
    eid = open_engagement(app, create_parties(app), fee_fen=FEE)
    ctx = processes.context()
    with ctx.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        results = processes.pool_map(ctx, WORKERS, _unlocked_worker,
                                     [(url, str(tmp_path), eid, n, barrier)
                                      for n in range(WORKERS)])
    try:
        assert results.count("ok") == 1, results
        with app.app_context():
            assert backend().summary(eid).paid_fen == FEE
            assert sum(p.credited_fen for p in db.session.scalars(
                sa.select(Payment).where(Payment.engagement_id == eid))) == FEE
        assert_ledger_balanced(app)
    finally:
        with app.app_context():
            db.engine.dispose()


def _fresh(tmp_path: Path, url: str) -> Flask:
    from market import create_app

    os.environ["MARKET_INSTANCE_PATH"] = str(tmp_path / "instance")
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", "TESTING": True,
                       "UPLOAD_DIR": str(tmp_path / "uploads")})


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_the_migration_fills_existing_payments_from_the_ledger(
        engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    from flask_migrate import downgrade, upgrade

    url = (request.getfixturevalue("pg_url") if engine == "postgresql"
           else f"sqlite:///{tmp_path / 'm.db'}")
    app = _fresh(tmp_path, url)
    try:
        _fill_and_round_trip(app, upgrade, downgrade)
    finally:
        with app.app_context():
            db.engine.dispose()


def _fill_and_round_trip(app: Flask, upgrade: Any, downgrade: Any) -> None:
    with app.app_context():
        upgrade()
    parties = create_parties(app)
    eid = open_engagement(app, parties, fee_fen=FEE)
    _pay(app, eid, "TR-1", 250_00)
    _pay(app, eid, "TR-2", 750_00)
    other = open_engagement(app, parties, fee_fen=FEE)
    _pay(app, other, "TR-3", 100_00)

    def chain() -> list[tuple[Any, ...]]:
        with app.app_context():
            rows = db.session.execute(sa.text(
                "SELECT engagement_id, reference, fee_fen, credited_fen, credited_before_fen,"
                " credited_after_fen, previous_after_fen FROM billing_payment ORDER BY id")).all()
            db.session.remove()
            return [tuple(r) for r in rows]

    written = chain()
    assert written == [(eid, "TR-1", FEE, 250_00, 0, 250_00, None),
                       (eid, "TR-2", FEE, 750_00, 250_00, FEE, 250_00),
                       (other, "TR-3", FEE, 100_00, 0, 100_00, None)]
    with app.app_context():
        downgrade(revision="0011")
        upgrade()
    assert chain() == written
