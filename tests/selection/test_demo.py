"""The demo city's selections: finished lotteries whose bundles verify, a failed request, one
open for sign-up; sealed bids (one sealed, one opened with a tie drawn by lottery),
credit merit, a direct selection, a decline passed to the alternate, an objection upheld and
one rejected; the whole log audits."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from devdata import demo
from lottery.verify import verify_bundle
from market.db import db
from market.domain import sealed_bid as sb
from market.selection.draw import bundle
from market.selection.models import Award, Lottery, Objection, SelectionRequest
from market.transparency.audit import run_audit
from market.transparency.keys import platform_key


def test_demo_draws_verify(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        demo.load()
        db.session.commit()
        drawn = db.session.scalars(sa.select(Lottery).where(Lottery.record.is_not(None))).all()
        assert len(drawn) >= 7
        key = platform_key().public_raw
        for lottery in drawn:
            result = verify_bundle(bundle(lottery), key)
            assert result.winners == lottery.record["winners"]
        states = set(db.session.scalars(sa.select(SelectionRequest.state)))
        assert {"selected", "failed", "open"} <= states
        methods = set(db.session.scalars(sa.select(SelectionRequest.method)))
        assert methods == {"lottery", "sealed_bid", "credit_merit", "direct"}
        assert {o.state for o in db.session.scalars(sa.select(Objection))} == {"upheld", "rejected"}
        declined = db.session.scalar(sa.select(Award).where(Award.state == "declined"))
        decline_lottery = declined.lottery_id
        assert db.session.scalar(sa.select(sa.func.count(Award.id)).where(
            Award.lottery_id == decline_lottery, Award.state == "confirmed")) == 1
        replaced = db.session.scalar(sa.select(Lottery).where(Lottery.replaces.is_not(None)))
        assert replaced.state == "drawn"
        sealed = db.session.scalars(sa.select(SelectionRequest).where(
            SelectionRequest.method == "sealed_bid").order_by(SelectionRequest.id)).all()
        assert [r.opened_at is not None for r in sealed] == [True, False]
        pub_key = platform_key().public_b64
        assert run_audit().ok
    client = app.test_client()
    for lottery_id in (lt.lottery_id for lt in drawn):
        assert client.get(f"/lotteries/{lottery_id}/bundle.json").status_code == 200
    # The opened demo quotes recompute to their commitments; the sealed one shows none.
    opened = client.get(f"/api/requests/{sealed[0].public_id}").get_json()
    assert len(opened["bids"]) == 4 and opened["winner"]
    for b in opened["bids"]:
        assert sb.opens(b["commitment"], opened["id"], b["agency_id"], b["amount_fen"], b["nonce"])
    amounts = sorted(b["amount_fen"] for b in opened["bids"])
    assert amounts[0] == amounts[1]  # the tie, drawn by lottery
    assert client.get(f"/api/requests/{sealed[1].public_id}").get_json()["bids"] is None
    # The demo lottery with a decline verifies with the command-line verifier.
    path = tmp_path / "decline.json"
    path.write_bytes(client.get(f"/lotteries/{decline_lottery}/bundle.json").get_data())
    out = subprocess.run([sys.executable, "-m", "lottery", "verify", str(path),
                          "--pubkey", pub_key], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "declines=1" in out.stdout.splitlines()[0]
