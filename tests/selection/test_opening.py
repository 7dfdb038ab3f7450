"""Sealed quotes encrypted to the regulators' opening keys (market.selection.opening), through
the app: what the database and MARKET_DATA_KEY alone cannot do, t-of-n openings, every wrong
key or missing key, reminders by e-mail, the lapse, the offline tool, the migration of quotes
sealed before opening keys, and the opening on PostgreSQL with holders presenting at once."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import json
import sqlite3
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import crypto, timeutil
from market.db import db
from market.domain import sealed_bid as sb
from market.domain import sealing
from market.notify.models import Notification
from market.selection import bidlog
from market.selection import sealed as sealed_ops
from market.selection.models import (
    Bid,
    BidShare,
    OpeningKey,
    OpeningPresentation,
    SelectionRequest,
)
from tests.conftest import create_person, csrf_token, make_app
from tests.selection.conftest import START, City, build_city, register_key
from tests.support import opening as keys
from tests.support.mail import Inbox, smtp  # noqa: F401  # the SMTP fixture
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import bid as _bid
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form

OPENS = START + timedelta(days=7)  # the opening time of _publish (Monday 09:00 in Beijing)
DEADLINE = OPENS + timedelta(days=2)  # 2 working days later, same clock time (Wednesday)
TOOL = Path(__file__).resolve().parents[2] / "market" / "static" / "tools" / "opening_key.py"
AMOUNTS = ("31234.56", "30123.45", "35432.10")  # found nowhere else in the database


def _quotes(city: City, amounts: tuple[str, ...] = AMOUNTS) -> SelectionRequest:
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        for agency, amount in zip(city.agencies, amounts, strict=False):
            assert "报价已密封提交" in _bid(city, agency, req.public_id, amount)
    return req


def _state(app: Flask, req: SelectionRequest) -> tuple[Any, ...]:
    """Everything an opening or a refused presentation could change."""
    with app.app_context():
        r = db.session.get(SelectionRequest, req.id)
        return (r.state, r.opened_at, r.failed_reason, bidlog.size(),
                db.session.scalar(sa.select(sa.func.count(OpeningPresentation.id))),
                tuple(db.session.scalars(sa.select(Bid.amount_fen).order_by(Bid.id))))


def _db_text(app: Flask) -> str:
    with app.app_context():
        conn = db.session.connection().connection.driver_connection
        return "\n".join(conn.iterdump())


def _amount_bytes(yuan: str) -> bytes:
    return int(round(float(yuan) * 100)).to_bytes(8, "big")


def _try_everything_with_the_data_key(app: Flask) -> list[bytes]:
    """An insider holding the database and MARKET_DATA_KEY: every binary value of every table,
    opened with every key the data key derives (each purpose the code base seals under) and with
    the data key itself, under every subject the value could be bound to.  Returns what opened."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    opened: list[bytes] = []
    with app.app_context():
        data_key = crypto._data_key()
        keys_to_try = [data_key] + [crypto._key_for(p) for p in ("sealed-bid", "lottery-secret")]
        subjects = list(db.session.scalars(sa.select(SelectionRequest.public_id)))
        blobs: list[bytes] = []
        for table in db.metadata.sorted_tables:
            binary = [c for c in table.columns if isinstance(c.type, sa.LargeBinary)]
            for column in binary:
                blobs += [bytes(v) for v in db.session.scalars(sa.select(column)) if v]
        for blob in blobs:
            for key in keys_to_try:
                for purpose in ("sealed-bid", "lottery-secret", ""):
                    for subject in subjects + [""]:
                        for start in (1, 0):
                            try:
                                opened.append(AESGCM(key).decrypt(
                                    blob[start:start + 12], blob[start + 12:],
                                    f"{purpose}|{subject}".encode()))
                            except Exception:  # noqa: S112  # an attack: keep trying
                                continue
    return opened


def test_database_and_data_key_alone_read_no_quote(city: City, tmp_path: Path) -> None:
    """Before the key holder presents, a copy of the database and MARKET_DATA_KEY open nothing:
    not by running the platform's own opening after the opening time, not by decrypting any
    stored value with any key derived from the data key.  The same attack on a request sealed
    the old way (by the platform) reads every quote: the attack is real, the keys stop it."""
    app = city.app
    req = _quotes(city)
    with timeutil.frozen(START + timedelta(days=1)):
        old = _publish(city, **SEALED)
        with app.app_context():
            db.session.get(SelectionRequest, old.id).sealing = "platform"  # as before opening keys
            db.session.commit()
        _bid(city, city.agencies[3], old.public_id, "27777.77")
    with app.app_context():
        data_key = crypto._data_key().hex()
        assert all(bytes(b.sealed)[:1] == sealing.SCHEME for b in db.session.scalars(
            sa.select(Bid).where(Bid.request_id == req.id)))
    text = _db_text(app)
    for amount in AMOUNTS:
        assert amount not in text and str(round(float(amount) * 100)) not in text

    # The insider's copy: the database file and the data key, nothing else (no key file).
    copy = tmp_path / "stolen"
    copy.mkdir()
    with sqlite3.connect(tmp_path / "test.db") as source, \
            sqlite3.connect(copy / "test.db") as target:
        source.backup(target)  # the online backup: what the WAL holds too
    thief = make_app(copy, f"sqlite:///{copy / 'test.db'}", DATA_KEY=data_key)
    recovered = _try_everything_with_the_data_key(thief)
    plain = b"".join(recovered)
    assert _amount_bytes("27777.77") in plain  # the platform-sealed quote: read
    for amount in AMOUNTS:
        assert _amount_bytes(amount) not in plain  # the quotes sealed to the key: not
    with timeutil.frozen(DEADLINE - timedelta(minutes=1)):  # after the opening time
        result = thief.test_cli_runner().invoke(args=["selection", "tick"])
        assert result.exit_code == 0, result.output
    with thief.app_context():
        stolen = db.session.get(SelectionRequest, req.id)
        assert stolen.state == "open" and stolen.opened_at is None
        assert all(b.amount_fen is None for b in db.session.scalars(
            sa.select(Bid).where(Bid.request_id == req.id)))
        assert db.session.get(SelectionRequest, old.id).opened_at is not None  # platform-opened
        db.engine.dispose()

    # The key holder presents; the data key plays no part (a changed one changes nothing).
    app.config["DATA_KEY"] = "22" * 32
    try:
        with timeutil.frozen(OPENS + timedelta(minutes=5)):
            r = keys.present(city.client(city.regulator), req.public_id, city.regulator_key)
            assert r.status_code == 302
            detail = app.test_client().get(f"/api/requests/{req.public_id}").get_json()
    finally:
        app.config.pop("DATA_KEY")
    assert sorted(b["amount_fen"] for b in detail["bids"]) == [3_012_345, 3_123_456, 3_543_210]
    for b in detail["bids"]:
        assert sb.opens(b["commitment"], req.public_id, b["agency_id"], b["amount_fen"], b["nonce"])
    with app.app_context():
        assert [p.shares for p in db.session.scalars(sa.select(OpeningPresentation))] == [None]


def test_no_key_holder_the_owner_cannot_publish_and_is_told_why(city: City) -> None:
    app = city.app
    regulator = city.client(city.regulator)
    with timeutil.frozen(START):
        with app.app_context():
            kid = db.session.scalar(sa.select(OpeningKey.key_id))
        r = regulator.post(f"/regulator/keys/{kid}/retire", data={
            "reason": "密钥文件所在的 U 盘丢失", "csrf_token": csrf_token(regulator, "/regulator/keys")})
        assert r.status_code == 302
        owner = city.client(city.owner)
        data = _request_form(city, _project(city), **SEALED)
        data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
        r = owner.post("/owner/requests/new", data=data)
        assert r.status_code == 302  # a draft may be saved
        public_id = r.headers["Location"].rsplit("/", 1)[1]
        page = owner.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        assert 'data-test="keys-missing"' in page and "有效开标密钥有 0 把" in page
        r = owner.post(f"/owner/requests/{public_id}/publish",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{public_id}")})
        page = owner.get(r.headers["Location"]).get_data(as_text=True)
        assert "请联系监管部门登记开标密钥后再发布" in page
        with app.app_context():
            row = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            assert row.state == "draft" and row.sealing is None and row.published_at is None
        assert app.test_client().get(f"/notices/{public_id}").status_code == 404
        # A new key (say, the replacement) and the same draft publishes.
        keys.register(regulator)
        r = owner.post(f"/owner/requests/{public_id}/publish",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{public_id}")})
        with app.app_context():
            row = db.session.scalar(sa.select(SelectionRequest).where(
                SelectionRequest.public_id == public_id))
            assert row.state == "open" and row.sealing == "opening_key"
            assert row.opening_keys != [kid] and len(row.opening_keys) == 1


def test_wrong_keys_and_wrong_times_are_refused_and_change_nothing(city: City) -> None:
    app = city.app
    req = _quotes(city)
    rid = req.public_id
    regulator = city.client(city.regulator)
    other = create_person(app, "regulator")
    other_client = city.client(other)
    other_key = register_key(app, other)  # registered after publication: not this request's
    stranger_key = keys.new_key_file()  # never registered

    with timeutil.frozen(OPENS - timedelta(minutes=1)):
        assert regulator.get(f"/regulator/openings/{rid}/shares.json").status_code == 404
        page = regulator.get(f"/regulator/openings/{rid}").get_data(as_text=True)
        assert 'data-test="not-yet"' in page and 'data-test="present"' not in page
    with timeutil.frozen(OPENS + timedelta(minutes=1)):
        good = keys.shares_for(regulator, rid, city.regulator_key)
    before = _state(app, req)

    def refused(client: Any, shares: str, words: str, when=OPENS + timedelta(minutes=2)) -> None:
        with timeutil.frozen(when):
            r = keys.present(client, rid, shares=shares)
            body = r.get_data(as_text=True)
            assert r.status_code == 400, (words, r.status_code)
            assert words in body, (words, body[-3000:])
        assert _state(app, req) == before

    doc = json.loads(good)
    # Before the opening time the holder cannot present, even with the right shares.
    refused(regulator, good, "开标时间", when=OPENS - timedelta(minutes=1))
    # Not a shares document at all (an uploaded key file, a picture, nothing).
    refused(regulator, json.dumps(city.regulator_key), "不是开标密钥生成的份额")
    refused(regulator, "not json", "不是开标密钥生成的份额")
    # The right key id, shares opened with another key file: each share is checked.
    forged = dict(doc, shares={c: base64.b64encode(bytes(33)).decode() for c in doc["shares"]})
    refused(regulator, json.dumps(forged), "打不开本次的报价")
    # A key that is not one of this request's keys (registered later, or never).
    refused(other_client, json.dumps(dict(doc, key_id=sealing.key_id(
        base64.b64decode(other_key["public_key"])))), "不是本次开标所需的密钥")
    refused(regulator, json.dumps(dict(doc, key_id=stranger_key["key_id"])),
            "不是本次开标所需的密钥")
    # Another regulator presenting the holder's shares: only one's own key.
    refused(other_client, good, "登记在其他监管人员名下")
    # Shares of an old list of quotes, or for another request.
    short = dict(doc, shares=dict(list(doc["shares"].items())[:-1]))
    refused(regulator, json.dumps(short), "报价清单不一致")
    refused(regulator, json.dumps(dict(doc, request_id="RQ-000999")), "另一个公告")
    # A holder of no key of this request sees the page but cannot fetch shares.
    with timeutil.frozen(OPENS + timedelta(minutes=3)):
        assert other_client.get(f"/regulator/openings/{rid}/shares.json").status_code == 404
        assert 'data-test="not-holder"' in other_client.get(
            f"/regulator/openings/{rid}").get_data(as_text=True)
        # Then the right key opens, once; presenting again is refused.
        assert keys.present(regulator, rid, shares=good).status_code == 302
        assert _state(app, req)[1] is not None
        assert keys.present(regulator, rid, shares=good).status_code == 400


def test_an_altered_ciphertext_stops_the_opening_and_says_so(city: City) -> None:
    """Someone with the database changes a sealed quote: it does not open, nothing is published
    from a partial set, and the pages say why; restored, the next view opens them all."""
    app = city.app
    req = _quotes(city)
    with app.app_context():
        bid = db.session.scalars(sa.select(Bid).order_by(Bid.id)).first()
        bid_id, original = bid.id, bytes(bid.sealed)
        bid.sealed = original[:-1] + bytes([original[-1] ^ 1])
        db.session.commit()
    with timeutil.frozen(OPENS + timedelta(minutes=1)):
        regulator = city.client(city.regulator)
        r = keys.present(regulator, req.public_id, city.regulator_key)
        assert r.status_code == 302
        page = regulator.get(r.headers["Location"]).get_data(as_text=True)
        assert "开标中止" in page
        notice = app.test_client().get(f"/notices/{req.public_id}").get_data(as_text=True)
        assert 'data-test="opening-error"' in notice
        assert app.test_client().get(f"/api/requests/{req.public_id}").get_json()["bids"] is None
    with app.app_context():
        db.session.get(Bid, bid_id).sealed = original
        db.session.commit()
    with timeutil.frozen(OPENS + timedelta(minutes=2)):
        app.test_client().get(f"/notices/{req.public_id}")
        detail = app.test_client().get(f"/api/requests/{req.public_id}").get_json()
    assert sorted(b["amount_fen"] for b in detail["bids"]) == [3_012_345, 3_123_456, 3_543_210]
    with app.app_context():
        assert db.session.get(SelectionRequest, req.id).opening_error is None


def test_two_of_three_holders_open_on_the_second_presentation(city: City) -> None:
    app = city.app
    app.config["SEALED_OPENING_THRESHOLD"] = 2
    holders = [city.regulator, create_person(app, "regulator"), create_person(app, "regulator")]
    files = [city.regulator_key] + [register_key(app, p) for p in holders[1:]]
    req = _quotes(city)
    rid = req.public_id
    with app.app_context():
        row = db.session.get(SelectionRequest, req.id)
        assert row.opening_threshold == 2 and len(row.opening_keys) == 3
        assert db.session.scalar(sa.select(sa.func.count(BidShare.id))) == 3 * 3
    with timeutil.frozen(START + timedelta(days=1)):
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
    assert "3 把开标密钥" in notice and "其中 2 位" in notice
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        # each holder is given its own sealed shares only, never another holder's
        docs = [city.client(h).get(f"/regulator/openings/{rid}/shares.json").get_json()
                for h in holders]
        assert [d["key_id"] for d in docs] == [f["key_id"] for f in files]
        assert len({w["wrapped"] for d in docs for w in d["shares"]}) == 9
        r = keys.present(city.client(holders[2]), rid, files[2])
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/regulator/openings/{rid}")
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert 'data-test="awaiting-opening"' in notice and "已出示 1 位" in notice
        assert app.test_client().get(f"/api/requests/{rid}").get_json()["bids"] is None
        with app.app_context():  # one share of each quote is not enough to open anything
            pres = db.session.scalar(sa.select(OpeningPresentation))
            assert pres.shares is not None and len(pres.shares) == 3
            row = db.session.get(SelectionRequest, req.id)
            assert sealed_ops.opening.plaintexts(row, sealed_ops.current_bids(row)) is None
    with timeutil.frozen(OPENS + timedelta(hours=2)):
        r = keys.present(city.client(holders[0]), rid, files[0])
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/notices/{rid}")
        detail = app.test_client().get(f"/api/requests/{rid}").get_json()
    assert detail["state"] == "selected"
    assert sorted(b["amount_fen"] for b in detail["bids"]) == [3_012_345, 3_123_456, 3_543_210]
    with app.app_context():
        assert [p.shares for p in db.session.scalars(sa.select(OpeningPresentation))] == [None,
                                                                                          None]
        opened = [e for e in bidlog.events_of(rid) if e["type"] == "open"]
        assert len(opened) == 1 and len(opened[0]["data"]["bids"]) == 3


def test_nobody_presents_reminders_then_a_public_lapse(city: City, smtp: tuple[Inbox, int]) -> None:  # noqa: F811
    inbox, port = smtp
    app = city.app
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
    req = _quotes(city)
    rid = req.public_id
    runner = app.test_cli_runner()
    with timeutil.frozen(OPENS - timedelta(hours=1)):
        assert runner.invoke(args=["selection", "tick"]).exit_code == 0
        assert not inbox.messages  # nothing before the opening time
    with timeutil.frozen(OPENS + timedelta(minutes=1)):
        out = runner.invoke(args=["selection", "tick"])
        assert "reminded 1 key holder" in out.output
        # the reminder is the notify area's, e-mailed like every reminder by the clocks tick
        assert "e-mails 1" in runner.invoke(args=["clocks", "tick"]).output
        assert "reminded 0" in runner.invoke(args=["selection", "tick"]).output  # once a day
        page = city.client(city.regulator).get("/regulator").get_data(as_text=True)
        assert 'data-test="openings-card"' in page and rid in page
    assert len(inbox.messages) == 1
    assert inbox.messages[0].rcpt_tos == [city.regulator.email]
    mail = email.message_from_bytes(inbox.messages[0].content, policy=email.policy.default)
    assert f"/regulator/openings/{rid}" in mail.get_content()  # type: ignore[attr-defined]
    with timeutil.frozen(OPENS + timedelta(days=1)):
        assert "reminded 1" in runner.invoke(args=["selection", "tick"]).output
    with timeutil.frozen(DEADLINE - timedelta(seconds=1)):
        runner.invoke(args=["selection", "tick"])
        assert _state(app, req)[0] == "open"
    with timeutil.frozen(DEADLINE):
        assert runner.invoke(args=["selection", "tick"]).exit_code == 0
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "未在开标期限 2026-03-11 09:00 前出示密钥" in notice
        regulator = city.client(city.regulator)
        assert regulator.get(f"/regulator/openings/{rid}/shares.json").status_code == 404
        mine = city.client(city.agencies[0]).get("/agency/bids").get_data(as_text=True)
        assert "未开标（本次密封报价失败）" in mine
    with timeutil.frozen(DEADLINE + timedelta(minutes=5)):
        assert keys.present(regulator, rid, shares=json.dumps({
            "format": sealing.SHARES_FORMAT, "request_id": rid, "round": 1,
            "key_id": city.regulator_key["key_id"], "shares": {}})).status_code == 400
    with app.app_context():
        row = db.session.get(SelectionRequest, req.id)
        assert row.state == "failed" and row.opened_at is None
        assert all(b.amount_fen is None for b in db.session.scalars(sa.select(Bid)))
        assert [e["type"] for e in bidlog.events_of(rid)][-1] == "void"
        assert db.session.scalar(sa.select(Notification).where(
            Notification.organisation_id == row.owner_org_id)).subject.startswith("【密封报价失败】")


def test_the_offline_tool_generates_registers_and_opens(city: City, tmp_path: Path) -> None:
    """A regulator without script in its browser: the key made by the offline tool, the public
    key pasted, and at the opening the tool's output uploaded as a file."""
    app = city.app
    holder = create_person(app, "regulator")
    client = city.client(holder)
    key_path = tmp_path / "my-key.json"
    out = subprocess.run([sys.executable, str(TOOL), "generate", str(key_path)],
                         capture_output=True, text=True, timeout=60, check=True).stdout
    public = next(line.split(":", 1)[1].strip() for line in out.splitlines()
                  if line.startswith("public key:"))
    assert (key_path.stat().st_mode & 0o777) == 0o600
    with app.app_context():  # the city's regulator retires: the offline key is the only one
        from market.accounts.models import User
        from market.selection import opening

        opening.retire_key(db.session.scalar(sa.select(User).where(
            User.email == city.regulator.email)), db.session.scalar(sa.select(OpeningKey)), "换人")
        db.session.commit()
    r = client.post("/regulator/keys", data={"public_key": "bm90IGEga2V5",
                                             "csrf_token": csrf_token(client, "/regulator/keys")})
    assert r.status_code == 400 and "不是有效的开标密钥公钥" in r.get_data(as_text=True)
    r = client.post("/regulator/keys", data={"public_key": public,
                                             "csrf_token": csrf_token(client, "/regulator/keys")})
    assert r.status_code == 302
    req = _quotes(city)
    with timeutil.frozen(OPENS + timedelta(minutes=3)):
        r = client.get(f"/regulator/openings/{req.public_id}/shares.json")
        (tmp_path / "sealed.json").write_bytes(r.get_data())
        done = subprocess.run([sys.executable, str(TOOL), "unwrap", str(key_path),
                               str(tmp_path / "sealed.json"), str(tmp_path / "shares.json")],
                              capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        wrong = tmp_path / "other.json"
        subprocess.run([sys.executable, str(TOOL), "generate", str(wrong)], check=True,
                       capture_output=True, timeout=60)
        failed = subprocess.run([sys.executable, str(TOOL), "unwrap", str(wrong),
                                 str(tmp_path / "sealed.json"), str(tmp_path / "x.json")],
                                capture_output=True, text=True, timeout=60)
        assert failed.returncode != 0 and "your file is key" in failed.stderr
        with (tmp_path / "shares.json").open("rb") as f:
            r = client.post(f"/regulator/openings/{req.public_id}", data={
                "shares_file": (f, "shares.json"),
                "csrf_token": csrf_token(client, f"/regulator/openings/{req.public_id}")},
                content_type="multipart/form-data")
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    assert _state(app, req)[1] is not None


# Columns 0011 has and today's models no longer do (NOT NULL): what the code of 0011 wrote.
GONE_SINCE_0011 = {("user_account", "session_version"): "0"}


def _as_of_0011(source: Path, target: Path) -> None:
    """A database at revision 0011 holding ``source``'s rows (the columns 0011 has): what a
    platform running the code before opening keys had when it upgrades."""
    from flask_migrate import upgrade

    from market import create_app

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{target}"})
    with app.app_context():
        upgrade(revision="0011")
        db.engine.dispose()
    with sqlite3.connect(target) as con:
        con.execute("ATTACH DATABASE ? AS src", (str(source),))
        tables = [r[0] for r in con.execute(
            "SELECT name FROM main.sqlite_master WHERE type = 'table' "
            "AND name NOT IN ('alembic_version', 'sqlite_sequence')")]
        for table in tables:
            mine = [r[1] for r in con.execute(f"PRAGMA main.table_info('{table}')")]
            theirs = {r[1] for r in con.execute(f"PRAGMA src.table_info('{table}')")}
            kept = [c for c in mine if c in theirs]
            gone = {c: v for (t, c), v in GONE_SINCE_0011.items() if t == table and c in mine}
            cols = ", ".join(f'"{c}"' for c in [*kept, *gone])
            values = ", ".join([f'"{c}"' for c in kept] + list(gone.values()))
            con.execute(f'INSERT OR REPLACE INTO main."{table}" ({cols}) '  # noqa: S608
                        f'SELECT {values} FROM src."{table}"')


def test_quotes_sealed_before_opening_keys_migrate_open_and_reseal(tmp_path: Path,
                                                                    monkeypatch) -> None:
    """A database with sealed bids published before opening keys upgrades: the migration marks
    them sealed by the platform, so they still open with the data key at their opening time,
    and ``flask selection reseal`` moves the ones not yet due to the opening keys."""
    from flask_migrate import upgrade

    from market import create_app

    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))  # one data key
    before = make_app(tmp_path / "before")  # built by the models, as a running platform's
    city = build_city(before)

    def as_the_old_code(req: SelectionRequest) -> None:  # publishing before opening keys
        with before.app_context():
            row = db.session.get(SelectionRequest, req.id)
            row.sealing, row.opening_keys, row.opening_threshold = None, None, None
            db.session.commit()

    with timeutil.frozen(START):
        early = _publish(city, **SEALED)
        as_the_old_code(early)
        for agency, amount in zip(city.agencies, AMOUNTS, strict=False):
            _bid(city, agency, early.public_id, amount)  # sealed with the data key
    with timeutil.frozen(START + timedelta(days=1)):
        late = _publish(city, **SEALED, signup_closes_at=(OPENS + timedelta(days=2)).astimezone(
            timeutil.SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
        as_the_old_code(late)
    with before.app_context():
        assert db.session.scalar(sa.select(sa.func.count(BidShare.id))) == 0
        db.engine.dispose()
    _as_of_0011(tmp_path / "before" / "test.db", tmp_path / "upgraded.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "RATELIMIT_ENABLED": False,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'upgraded.db'}",
                      "UPLOAD_DIR": str(tmp_path / "uploads"),
                      # the clock moves on by days with the regulator logged in (as make_app)
                      "SESSION_IDLE_MINUTES": 60 * 24 * 3650, "SESSION_MAX_HOURS": 24 * 3650,
                      "SECOND_FACTOR_ROLES": "none"})
    with app.app_context():
        upgrade()  # 0011 -> head with the rows in place
        assert {r.public_id: r.sealing for r in db.session.scalars(
            sa.select(SelectionRequest))} == {early.public_id: "platform",
                                               late.public_id: "platform"}
    city = dataclasses.replace(city, app=app, clients={})
    with timeutil.frozen(START + timedelta(days=2)):
        for a, amount in zip(city.agencies[:2], ("28888", "29999"), strict=True):
            _bid(city, a, late.public_id, amount)  # still sealed the old way
        keys.register(city.client(city.regulator), city.regulator_key)  # after the upgrade
    with timeutil.frozen(OPENS + timedelta(minutes=1)):  # the early one opens as it always did
        app.test_client().get(f"/notices/{early.public_id}")
        detail = app.test_client().get(f"/api/requests/{early.public_id}").get_json()
    assert sorted(b["amount_fen"] for b in detail["bids"]) == [3_012_345, 3_123_456, 3_543_210]
    with timeutil.frozen(OPENS + timedelta(minutes=2)):
        out = app.test_cli_runner().invoke(args=["selection", "reseal"])
        assert out.exit_code == 0, (out.output, out.exception)
        assert out.output.strip() == f"{late.public_id}: 2 quote(s) sealed to the opening keys"
    with app.app_context():
        assert db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == late.public_id)).sealing == "opening_key"
        assert all(bytes(b.sealed)[:1] == sealing.SCHEME for b in db.session.scalars(
            sa.select(Bid).join(SelectionRequest).where(
                SelectionRequest.public_id == late.public_id)))
    stolen = b"".join(_try_everything_with_the_data_key(app))
    assert _amount_bytes("28888") not in stolen and _amount_bytes("29999") not in stolen
    with app.app_context():
        closes = db.session.scalar(sa.select(SelectionRequest.signup_closes_at).where(
            SelectionRequest.public_id == late.public_id))
    with timeutil.frozen(closes + timedelta(minutes=1)):
        assert keys.present(city.client(city.regulator), late.public_id,
                            city.regulator_key).status_code == 302
        detail = app.test_client().get(f"/api/requests/{late.public_id}").get_json()
    assert sorted(b["amount_fen"] for b in detail["bids"]) == [2_888_800, 2_999_900]
    with app.app_context():
        db.engine.dispose()


@pytest.mark.postgres
def test_opening_on_postgresql_with_holders_presenting_at_once(pg_app: Flask) -> None:
    """Two of three holders present in the same second on PostgreSQL: one opening, one ``open``
    event, both presentations recorded and erased; then a lapse on another request."""
    city = build_city(pg_app)
    pg_app.config["SEALED_OPENING_THRESHOLD"] = 2
    holders = [city.regulator, create_person(pg_app, "regulator"),
               create_person(pg_app, "regulator")]
    files = [city.regulator_key] + [register_key(pg_app, p) for p in holders[1:]]
    req = _quotes(city)
    rid = req.public_id
    with timeutil.frozen(START + timedelta(hours=1)):  # another one, that nobody will open
        other = _publish(city, **SEALED)
        _bid(city, city.agencies[0], other.public_id, "30000")
    with timeutil.frozen(OPENS + timedelta(minutes=1)):
        bodies = [keys.shares_for(city.client(h), rid, f) for h, f in zip(holders, files,
                                                                           strict=True)]
        clients = [pg_app.test_client() for _ in holders]
        from tests.conftest import login

        for c, h in zip(clients, holders, strict=True):
            assert login(c, h.email).status_code == 302
        tokens = [csrf_token(c, f"/regulator/openings/{rid}") for c in clients]
        barrier = threading.Barrier(3)
        codes: list[int] = []

        def go(i: int) -> None:
            barrier.wait()
            codes.append(clients[i].post(f"/regulator/openings/{rid}", data={
                "shares": bodies[i], "csrf_token": tokens[i]}).status_code)

        threads = [threading.Thread(target=go, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    # Serialised by the request's row lock: one waits, one opens, one finds it opened.
    assert sorted(codes) == [302, 302, 400]
    with pg_app.app_context():
        assert len([e for e in bidlog.events_of(rid) if e["type"] == "open"]) == 1
        row = db.session.get(SelectionRequest, req.id)
        assert row.opened_at is not None and row.state == "selected"
        assert all(p.shares is None for p in db.session.scalars(sa.select(OpeningPresentation)))
        assert sorted(b.amount_fen for b in db.session.scalars(sa.select(Bid).where(
            Bid.request_id == req.id))) == [3_012_345, 3_123_456, 3_543_210]
    # The other request, that nobody opens, lapses at its deadline by the periodic command.
    with pg_app.app_context():
        closes = db.session.get(SelectionRequest, other.id).signup_closes_at
    with timeutil.frozen(closes + timedelta(days=5)):
        assert pg_app.test_cli_runner().invoke(args=["selection", "tick"]).exit_code == 0
    with pg_app.app_context():
        row = db.session.get(SelectionRequest, other.id)
        assert row.state == "failed" and "未在开标期限" in row.failed_reason


def test_a_round_is_sealed_only_to_the_keys_of_the_regulators_covering_it(city: City) -> None:
    """Keys are held across the province; a request's quotes are sealed to the keys of the
    regulators that decide its matters (its tenant's service-centre supervisor, the industry
    regulator of its service type), not to another city's, another industry's or the
    province's.  Those others find no opening for them (404; the province reads it, 403 on a
    presentation), and the covering holder opens it alone."""
    from market.accounts import operations as account_ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, RegulatorKind
    from market.catalogue.models import ServiceType

    app = city.app
    with app.app_context():
        other = tenants.add("539700", "云峰市", tenant=True)
        root = tenants.province()
        assert root is not None
        home = tenants.home_tenant().id
        orgs = {}
        for who, tenant, kind in (("other_city", other.id, RegulatorKind.CENTRE),
                                  ("province", root.id, RegulatorKind.PROVINCE),
                                  ("eia_industry", home, RegulatorKind.INDUSTRY),
                                  ("other_industry", home, RegulatorKind.INDUSTRY)):
            orgs[who] = account_ops.create_organisation(
                OrgKind.REGULATOR, f"{who} 监管测试单位", tenant_id=tenant,
                regulator_kind=kind).id
        db.session.scalars(sa.select(ServiceType).where(ServiceType.code == "EIA")).one(
        ).regulator_id = orgs["eia_industry"]
        db.session.commit()
    people = {who: create_person(app, "regulator", org_id=org) for who, org in orgs.items()}
    files = {who: register_key(app, p) for who, p in people.items()}
    req = _quotes(city)
    rid = req.public_id
    with app.app_context():
        sealed_to = set(db.session.get(SelectionRequest, req.id).opening_keys)
        shared = set(db.session.scalars(sa.select(BidShare.key_id)))
    wanted = {city.regulator_key["key_id"], files["eia_industry"]["key_id"]}
    assert sealed_to == wanted and shared == wanted
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        before = _state(app, req)
        made_up = json.dumps({"format": sealing.SHARES_FORMAT, "request_id": rid, "round": 1,
                              "key_id": files["other_city"]["key_id"], "shares": {}})
        for who, page, presenting in (("other_city", 404, 404), ("other_industry", 404, 404),
                                      ("province", 200, 403)):
            c = city.client(people[who])
            assert c.get(f"/regulator/openings/{rid}").status_code == page, who
            assert c.get(f"/regulator/openings/{rid}/shares.json").status_code == presenting, who
            r = c.post(f"/regulator/openings/{rid}", data={
                "shares": made_up, "csrf_token": csrf_token(c, "/regulator/keys")})
            assert r.status_code == presenting, who
            listed = c.get("/regulator/openings").get_data(as_text=True)
            assert (rid in listed) == (who == "province"), who
        assert _state(app, req) == before
        r = keys.present(city.client(city.regulator), rid, city.regulator_key)
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/notices/{rid}")
    with app.app_context():
        assert db.session.get(SelectionRequest, req.id).opened_at is not None
    # nor may they retire the city's keys, nor see them among "their" keys
    kid = city.regulator_key["key_id"]
    for who in ("other_city", "province"):
        c = city.client(people[who])
        r = c.post(f"/regulator/keys/{kid}/retire", data={
            "reason": "不是我们的密钥", "csrf_token": csrf_token(c, "/regulator/keys")})
        assert r.status_code == 404, who
    listed = city.client(people["other_city"]).get("/regulator/keys").get_data(as_text=True)
    assert kid not in listed and files["other_city"]["key_id"] in listed
    with app.app_context():
        assert db.session.scalar(sa.select(OpeningKey.retired_at).where(
            OpeningKey.key_id == kid)) is None
