"""Parallel payments and releases of one engagement, from real separate processes: the
engagement's billing row is locked in every ledger operation, so exactly one succeeds."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest
from flask import Flask

from billing.errors import BillingError
from billing.integration import backend
from billing.models import Payment
from market.db import db
from market.timeutil import today_local
from tests.billing.conftest import (
    Parties,
    assert_ledger_balanced,
    create_parties,
    open_engagement,
)
from tests.conftest import make_app
from tests.support import processes

WORKERS = 20
FEE = 1_234_56


def _worker(args: tuple[str, str, int, str, int, multiprocessing.synchronize.Barrier]) -> str:
    url, tmp, eid, action, n, barrier = args
    app = make_app(Path(tmp) / f"w{n}", url, schema_ready=True)
    with app.app_context():
        billing = backend()
        barrier.wait(timeout=30)
        try:
            if action == "pay":
                billing.record_offline_payment(eid, reference=f"TR-{n:04d}",
                                               paid_on=today_local(), amount_fen=FEE)
            else:
                billing.release(eid)
            db.session.commit()
            return "ok"
        except BillingError:
            db.session.rollback()
            return "refused"
        except Exception as exc:  # noqa: BLE001 - a lost lock race must not count as success
            db.session.rollback()
            return f"error:{type(exc).__name__}"
        finally:
            db.engine.dispose()


def _race(url: str, tmp: Path, eid: int, action: str) -> list[str]:
    ctx = processes.context()
    with ctx.Manager() as manager:
        barrier = manager.Barrier(WORKERS)
        return processes.pool_map(ctx, WORKERS, _worker, [(url, str(tmp), eid, action, n, barrier)
                                                          for n in range(WORKERS)])


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_parallel_full_payments_and_releases_count_once(engine: str, tmp_path: Path,
                                                          request: pytest.FixtureRequest) -> None:
    url = (request.getfixturevalue("pg_url") if engine == "postgresql"
           else f"sqlite:///{tmp_path / 'race.db'}")
    os.environ.setdefault("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    app: Flask = make_app(tmp_path, url)
    parties: Parties = create_parties(app)
    eid = open_engagement(app, parties, fee_fen=FEE)

    results = _race(url, tmp_path, eid, "pay")
    assert results.count("ok") == 1, results
    with app.app_context():
        assert sum(p.amount_fen for p in db.session.query(Payment).filter_by(
            engagement_id=eid)) == FEE
        backend().mark_accepted(eid)
        db.session.commit()

    results = _race(url, tmp_path, eid, "release")
    assert results.count("ok") == 1, results
    with app.app_context():
        summary = backend().summary(eid)
        assert summary.held_fen == 0
    assert_ledger_balanced(app)
    with app.app_context():
        db.engine.dispose()
