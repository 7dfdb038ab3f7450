"""The platform log in the database: proofs, checkpoints, the public URLs, tamper detection,
and appends from several processes at once on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from lottery import keys as lkeys
from lottery.merkle import leaf_hash, verify_consistency, verify_inclusion
from lottery.note import verify_checkpoint
from market.db import db
from market.transparency import log
from market.transparency.audit import run_audit
from market.transparency.keys import platform_key
from market.transparency.models import LogLeaf
from tests.conftest import make_app
from tests.support import processes
from tests.support.log_worker import append_many
from tests.support.lotteries import announce_and_register


def _fill(app: Flask, lotteries: int = 3, agencies: int = 4) -> None:
    with app.app_context():
        for n in range(lotteries):
            for item in announce_and_register(f"T-{n}", [f"AG-{n}{a:03d}" for a in range(agencies)]):
                log.append([item])
                db.session.commit()


def test_appends_make_verifiable_proofs_and_checkpoints(any_app: Flask) -> None:
    _fill(any_app)
    with any_app.app_context():
        key = platform_key()
        size = log.size()
        assert size == 15
        cp = verify_checkpoint(log.latest_checkpoint().note, key.public_raw, key.name)
        assert cp.size == size
        leaves = list(log.leaves(0, size))
        for seq in (0, 7, 14):
            proof = log.inclusion_proof(seq, size)
            assert verify_inclusion(seq, size, leaf_hash(leaves[seq]), proof, cp.root)
        old = log.checkpoint_at(6)
        old_cp = verify_checkpoint(old.note, key.public_raw, key.name)
        assert verify_consistency(6, size, old_cp.root, cp.root, log.consistency_proof(6, size))
        times = [json.loads(leaf)["at"] for leaf in leaves]
        assert times == sorted(times)
        assert run_audit().ok


def test_public_urls_and_the_offline_audit_agree(app: Flask, tmp_path: Path) -> None:
    _fill(app)
    client = app.test_client()
    key = client.get("/transparency/key").get_json()
    assert len(base64.b64decode(key["public_key"])) == 32
    assert key["verifier_key"].startswith(key["key_name"] + "+")
    note = client.get("/transparency/checkpoint").get_data(as_text=True)
    export = client.get("/transparency/log").get_data()
    assert export.count(b"\n") == 15
    (tmp_path / "log.jsonl").write_bytes(export)
    (tmp_path / "cp.txt").write_text(note)
    # The regulators' own tool, as a separate process, exactly as the page tells them.
    out = subprocess.run([sys.executable, "-m", "lottery", "audit-log", str(tmp_path / "log.jsonl"),
                          "--pubkey", key["public_key"], "--checkpoint", str(tmp_path / "cp.txt")],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith("OK 15 ")
    part = client.get("/transparency/log?start=3&end=5").get_data()
    assert part.count(b"\n") == 2 and json.loads(part.split(b"\n")[0])["seq"] == 3
    proof = client.get("/transparency/consistency?from=4&to=15").get_json()
    assert proof["from"] == 4 and proof["to"] == 15 and proof["proof"]
    assert "透明日志" in client.get("/transparency").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/transparency/log?start=5&end=2", "/transparency/log?start=-1",
                                 "/transparency/log?end=99", "/transparency/log?start=x",
                                 "/transparency/consistency", "/transparency/consistency?from=3&to=2",
                                 "/transparency/consistency?from=1&to=999"])
def test_bad_ranges_are_400(app: Flask, url: str) -> None:
    _fill(app, lotteries=1, agencies=2)
    r = app.test_client().get(url)
    assert r.status_code == 400 and r.get_json()["error"]["message"]


def test_empty_log_has_no_checkpoint(app: Flask) -> None:
    assert app.test_client().get("/transparency/checkpoint").status_code == 404
    with app.app_context():
        assert run_audit().ok


def test_an_altered_row_is_detected_and_its_index_named(app: Flask) -> None:
    _fill(app)
    with app.app_context():
        row = db.session.get(LogLeaf, 9)
        row.data = bytes(row.data).replace(b"AG-", b"AX-")
        db.session.commit()
        report = run_audit()
    assert not report.ok and report.first_bad_index == 9
    result = app.test_cli_runner().invoke(args=["transparency", "audit"])
    assert result.exit_code == 1 and "first bad index 9" in result.output


def test_a_rule_breaking_history_is_detected(app: Flask) -> None:
    with app.app_context():
        # A register for a lottery that was never announced: a §7 violation.
        log.append([("register", "NEVER-1", {"agency_id": "AG-1", "by": "U-1"})])
        db.session.commit()
        report = run_audit()
    assert not report.ok and report.problem.startswith("sequence") and report.first_bad_index == 0


def test_a_failed_transaction_leaves_no_trace(app: Flask) -> None:
    _fill(app, lotteries=1, agencies=1)
    with app.app_context():
        before = log.size()
        log.append(announce_and_register("T-X", ["AG-9"]))
        db.session.rollback()
        assert log.size() == before and run_audit().ok


def _concurrent(url: str, tmp_path: Path, workers: int = 4, lotteries: int = 3,
                agencies: int = 6) -> None:
    seed = lkeys.private_key_seed_b64(lkeys.generate_private_key())
    app = make_app(tmp_path, url, SIGNING_KEY=seed)
    ctx = processes.context()
    task = processes.in_caller_environment(append_many)
    with ctx.Pool(workers) as pool:
        results = [pool.apply_async(task, (url, str(tmp_path / "instance"), seed, w,
                                           lotteries, agencies)) for w in range(workers)]
        counts = [r.get(timeout=240) for r in results]
    total = sum(counts)
    assert total == workers * lotteries * (agencies + 1)
    with app.app_context():
        seqs = list(db.session.scalars(sa.select(LogLeaf.seq).order_by(LogLeaf.seq)))
        assert seqs == list(range(total)), "gaps or duplicate indexes"
        assert log.size() == total
        report = run_audit()
        assert report.ok, report.problem
        db.session.remove()
        db.engine.dispose()


def test_several_processes_append_at_once_sqlite(tmp_path: Path) -> None:
    _concurrent(f"sqlite:///{tmp_path / 'shared.db'}", tmp_path)


@pytest.mark.postgres
def test_several_processes_append_at_once_postgresql(tmp_path: Path, pg_url: str) -> None:
    _concurrent(pg_url, tmp_path)
