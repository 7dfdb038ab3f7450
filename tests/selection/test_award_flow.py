"""Sealed bids, credit merit, direct selection, the result notice, objections and the award —
through the app, with every bad input changing nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from market.domain import sealed_bid as sb
from market.selection import award as award_ops
from market.selection import bidlog
from market.selection.models import (
    Award,
    Bid,
    Lottery,
    Objection,
    SelectionRequest,
)
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support import opening as opening_keys
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import bid as _bid
from tests.support.selection_flow import lottery_to_draw as _lottery_to_draw
from tests.support.selection_flow import object_to as _object
from tests.support.selection_flow import person as _person
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up
from tests.support.selection_flow import witness_and_draw as _witness_and_draw


def _snapshot(app: Flask) -> tuple[int, int, int, int]:
    with app.app_context():
        return (log.size(), bidlog.size(),
                db.session.scalar(sa.select(sa.func.count(Bid.id))) or 0,
                db.session.scalar(sa.select(sa.func.count(Objection.id))) or 0)


def _db_text(app: Flask) -> str:
    """Everything the database holds, as text (every table, every column)."""
    with app.app_context():
        conn = db.session.connection().connection.driver_connection
        return "\n".join(conn.iterdump())


def _verify(app: Flask, lottery_id: str, tmp_path: Path) -> str:
    with app.test_client() as c:
        body = c.get(f"/lotteries/{lottery_id}/bundle.json").get_data()
        key = c.get("/transparency/key").get_json()["public_key"]
    (tmp_path / f"{lottery_id}.json").write_bytes(body)
    out = subprocess.run([sys.executable, "-m", "lottery", "verify",
                          str(tmp_path / f"{lottery_id}.json"), "--pubkey", key],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_sealed_bid_quotes_opening_tie_draw_and_award(city: City, tmp_path: Path) -> None:
    app = city.app
    a0, a1, a2, a3 = city.agencies[:4]
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        rid = req.public_id
        assert "报价已密封提交" in _bid(city, a0, rid, "31234.56")
        _bid(city, a1, rid, "30000")
        _bid(city, a2, rid, "35000")
        before = _snapshot(app)
        # Outside floor and cap, not a number, an ineligible bidder: nothing changes.
        for bad in ("19999.99", "40000.01", "abc", "0"):
            _bid(city, a3, rid, bad, expect=400)
        assert _snapshot(app) == before
        # a2 replaces its quote: the old commitment stays in the log, marked replaced.
        _bid(city, a2, rid, "30000")
        _bid(city, a3, rid, "38000")
    with app.app_context():
        bids = db.session.scalars(sa.select(Bid).order_by(Bid.id)).all()
        assert len(bids) == 5 and bids[2].replaced_at is not None
        assert all(b.amount_fen is None and b.nonce is None for b in bids)
        events = bidlog.events_of(rid)
        assert [e["type"] for e in events] == ["bid"] * 5
        assert events[3]["data"]["replaces"] == bids[2].commitment
        assert all("amount" not in json.dumps(e) for e in events)

    # Before the opening nobody reads a quote: operator, regulator, owner, public, API, DB.
    with timeutil.frozen(START + timedelta(days=6)):
        for amount_text in ("3123456", "31234.56", "31,234.56"):
            assert amount_text not in _db_text(app)
        pages = [f"/notices/{rid}", f"/api/requests/{rid}", "/api/requests",
                 "/transparency/bids/log", "/transparency/log", "/regulator/objections",
                 f"/owner/requests/{rid}", "/agency/bids"]
        for who in (city.operator, city.regulator, city.owner, a0):
            c = city.client(who)
            for path in pages:
                text = c.get(path).get_data(as_text=True)
                assert "31234.56" not in text and "31,234.56" not in text and "3123456" not in text
        detail = app.test_client().get(f"/api/requests/{rid}").get_json()
        assert detail["bids"] is None and len(detail["commitments"]) == 4
        receipt = city.client(a0).get("/agency/bids/1/receipt.json").get_json()
        assert receipt["event"]["data"]["commitment"] == bids[0].commitment
        assert receipt["checkpoint"].startswith(bidlog_origin(app))

    # A quote after the deadline is refused; the quotes wait for the key holder.
    with timeutil.frozen(START + timedelta(days=7, seconds=1)):
        app.test_client().get(f"/notices/{rid}")
        before = _snapshot(app)
        late = _bid(city, city.agencies[4], rid, "25000", expect=400)
        assert "不在报价期" in late or "截止" in late  # on top: the request is no longer listed
        assert _snapshot(app) == before
        assert app.test_client().get(f"/api/requests/{rid}").get_json()["bids"] is None
        r = opening_keys.present(city.client(city.regulator), rid, city.regulator_key)
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/notices/{rid}")
        detail = app.test_client().get(f"/api/requests/{rid}").get_json()
        assert detail["state"] == "closed" and detail["winner"] is None
        assert len(detail["bids"]) == 4
        for b in detail["bids"]:
            assert sb.opens(b["commitment"], rid, b["agency_id"], b["amount_fen"], b["nonce"])
        amounts = sorted(b["amount_fen"] for b in detail["bids"])
        assert amounts == [3_000_000, 3_000_000, 3_123_456, 3_800_000]
        assert len(detail["lotteries"]) == 1
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
        assert lottery.pool == sorted([city.agency_id(a1), city.agency_id(a2)])
    _witness_and_draw(city, lottery_id, external_at)
    with timeutil.frozen(external_at + timedelta(minutes=21)):
        detail = app.test_client().get(f"/api/requests/{rid}").get_json()
        assert detail["state"] == "selected"
        assert detail["winner"] in {city.agency_id(a1), city.agency_id(a2)}
    out = _verify(app, lottery_id, tmp_path)
    assert out.startswith(f"OK {lottery_id}")
    with app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.fee_fen == 3_000_000
        assert run_audit().ok
        assert [e["type"] for e in bidlog.events_of(rid)][-1] == "open"


def bidlog_origin(app: Flask) -> str:
    with app.app_context():
        return bidlog.origin()


def test_lost_key_is_reported_at_opening(city: City) -> None:
    """A request published before opening keys is sealed with the data key and opened by the
    platform; losing that key stops its opening and says so."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        with app.app_context():
            db.session.get(SelectionRequest, req.id).sealing = "platform"
            db.session.commit()
        _bid(city, city.agencies[0], req.public_id, "30000")
    app.config["DATA_KEY"] = "11" * 32  # the key that sealed the quotes is gone
    try:
        with timeutil.frozen(START + timedelta(days=7, minutes=1)):
            page = app.test_client().get(f"/notices/{req.public_id}").get_data(as_text=True)
            assert 'data-test="opening-error"' in page and "密钥" in page
        with app.app_context():
            r = db.session.get(SelectionRequest, req.id)
            assert r.state == "open" and r.opened_at is None and r.opening_error
            assert db.session.scalar(sa.select(Bid)).amount_fen is None
    finally:
        app.config.pop("DATA_KEY")


def test_decline_passes_to_the_alternate_and_bundle_verifies(city: City, tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with app.app_context():
        ranking = db.session.scalar(sa.select(Lottery)).record["ranking"]
        drawn_at = db.session.scalar(sa.select(Lottery)).drawn_at
    winner, alternate = _person(city, ranking[0]), _person(city, ranking[1])
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        before = _snapshot(app)
        # The wrong agency cannot confirm or decline someone else's award.
        c = city.client(alternate)
        assert c.post("/agency/awards/1/confirm",
                      data={"csrf_token": csrf_token(c, "/agency/awards")}).status_code == 404
        assert c.post("/agency/awards/1/decline", data={
            "reason": "x", "csrf_token": csrf_token(c, "/agency/awards")}).status_code == 404
        with app.app_context():
            assert db.session.get(Award, 1).state == "offered"
        assert _snapshot(app) == before
        c = city.client(winner)
        c.post("/agency/awards/1/decline", data={
            "reason": "项目负责人调离", "csrf_token": csrf_token(c, "/agency/awards")})
        with app.app_context():
            awards = db.session.scalars(sa.select(Award).order_by(Award.id)).all()
            assert [a.state for a in awards] == ["declined", "offered"]
            assert awards[1].agency.public_id == ranking[1]
            assert award_ops.declines(awards[0].agency_org_id) == 1
        c = city.client(alternate)
        c.post("/agency/awards/2/confirm", data={"csrf_token": csrf_token(c, "/agency/awards")})
        with app.app_context():
            assert db.session.get(Award, 2).state == "confirmed"
            assert run_audit().ok
    out = _verify(app, lottery_id, tmp_path)
    assert "declines=1" in out.splitlines()[0]
    assert f'selected=["{ranking[1]}"]' in out.splitlines()[0]


def test_confirmation_timeout_is_a_system_decline(city: City, tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with app.app_context():
        award = db.session.get(Award, 1)
        deadline = award_ops.confirm_by(award)
    with timeutil.frozen(deadline + timedelta(minutes=1)):
        # Confirming after the timeout is refused (and the timeout is applied).
        c = city.client(_person(city, city_agency(app, 1)))
        c.post("/agency/awards/1/confirm", data={"csrf_token": csrf_token(c, "/agency/awards")})
        with app.app_context():
            assert db.session.get(Award, 1).state == "timed_out"
            events = log.events_of(lottery_id)
            assert events[-1]["type"] == "decline" and events[-1]["data"]["by"] == "system"
            assert run_audit().ok


def test_the_tick_applies_a_confirmation_timeout_nobody_looked_at(city: City,
                                                                   tmp_path: Path) -> None:
    """Past the deadline, with no page viewed, ``flask selection tick`` records the timeout
    and offers the award to the alternate; before it, the tick changes nothing."""
    app = city.app
    _lottery_to_draw(city, tmp_path)
    with app.app_context():
        deadline = award_ops.confirm_by(db.session.get(Award, 1))
    for at, states in ((deadline - timedelta(minutes=1), ["offered"]),
                       (deadline + timedelta(minutes=1), ["timed_out", "offered"])):
        with timeutil.frozen(at):
            out = app.test_cli_runner().invoke(args=["selection", "tick"])
            assert out.exit_code == 0, out.output
        with app.app_context():
            assert list(db.session.scalars(sa.select(Award.state).order_by(Award.id))) == states
            assert run_audit().ok


def city_agency(app: Flask, award_id: int) -> str:
    with app.app_context():
        return db.session.get(Award, award_id).agency.public_id


def test_objection_rejected_then_upheld_reruns_under_a_new_lottery(city: City,
                                                                   tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, drawn_at = lot.record["ranking"], lot.drawn_at
    loser = _person(city, ranking[2])
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        before = _snapshot(app)
        assert _object(city, city.agencies[4], rid) == 400  # not a registrant
        assert _object(city, loser, rid, "") == 400  # no text
        assert _snapshot(app) == before
        assert _object(city, loser, rid) == 302
        assert _object(city, _person(city, ranking[1]), rid, "评审有误") == 302
        # One objection per agency per notice.
        _object(city, loser, rid)
        assert _snapshot(app)[3] == 2
        reg = city.client(city.regulator)
        token = csrf_token(reg, "/regulator/objections")
        reg.post("/regulator/objections/2", data={"decision": "reject", "reason": "",
                                                  "csrf_token": token})
        reg.post("/regulator/objections/2", data={"decision": "reject",
                                                  "reason": "所称情况与事实不符",
                                                  "csrf_token": token})
        reg.post("/regulator/objections/1", data={"decision": "uphold",
                                                  "reason": "中选机构资质确已过期",
                                                  "csrf_token": token})
        page = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "异议成立" in page and "所称情况与事实不符" in page
    with app.app_context():
        lots = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert [lo.state for lo in lots] == ["void", "open"]
        assert lots[1].replaces == lots[0].lottery_id
        void = log.events_of(lots[0].lottery_id)[-1]
        assert void["type"] == "void" and void["data"]["decided_by"] != "system"
        assert db.session.get(Award, 1).state == "voided"
        assert db.session.get(SelectionRequest, 1).state == "open"
        assert run_audit().ok
    out = _verify(app, lottery_id, tmp_path)
    assert out.startswith(f"OK VOID {lottery_id}")
    # Outside the window: after the publicity of the (voided) result, nothing can be filed.
    with timeutil.frozen(drawn_at + timedelta(days=10)):
        before = _snapshot(app)
        _object(city, _person(city, ranking[3]), rid)
        assert _snapshot(app)[3] == before[3]  # (the re-run's close may have logged events)


def _legacy_credit_merit(city: City) -> SelectionRequest:
    """A credit merit published before notices published a threshold (the form now asks for
    one, and so does publishing through the page): its draft's threshold and short list
    removed, then published by its procedure as it was then."""
    from market.selection import procedures
    from tests.support.selection_flow import project as _project
    from tests.support.selection_flow import request_form as _request_form

    c = city.client(city.owner)
    data = _request_form(city, _project(city), method="credit_merit", credit_threshold="80",
                         shortlist_size="3")
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302
    public_id = r.headers["Location"].rsplit("/", 1)[1]
    with city.app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))
        req.credit_threshold = req.shortlist_size = None
        procedures.of(req).publish(req, timeutil.now())
        db.session.commit()
        assert req.state == "open"
        return req


def test_credit_merit_keeps_the_top_half(city: City, tmp_path: Path) -> None:
    app = city.app
    with app.app_context():
        # One agency has a decline on record: its score is below the others'.
        from market.selection.award import offer_award

    with timeutil.frozen(START):
        req = _legacy_credit_merit(city)
        for a in city.agencies[:5]:
            assert _sign_up(city, a, req.public_id) == 302
    with app.app_context():
        r = db.session.get(SelectionRequest, req.id)
        low = offer_award(r, None, city.agency_id(city.agencies[4]), 9, START)
        low.state = "declined"
        db.session.commit()
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        app.test_client().get(f"/notices/{req.public_id}")
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lot.lottery_id, lot.external_at
        assert lot.announcement["k"] == 1 and "credit_threshold" not in lot.announcement
        assert len(lot.pool) == 4  # 5 eligible: keep max(3, 3) plus those tied at the bar
        events = log.events_of(lot.lottery_id)
        excluded = [e for e in events if e["type"] == "exclude"]
        assert len(excluded) == 1 and "信用择优" in excluded[0]["data"]["reason"]
        assert excluded[0]["data"]["agency_id"] == city.agency_id(city.agencies[4])
        db.session.delete(db.session.scalars(sa.select(Award)).first())
        db.session.commit()
    _witness_and_draw(city, lottery_id, external_at)
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        assert lot.state == "drawn"
        # the earlier rule's notice said the first drawn is awarded: it still is
        award = db.session.scalars(sa.select(Award)).one()
        assert award.agency.public_id == lot.record["winners"][0] and award.choice_reason is None
        assert run_audit().ok


def test_direct_selection(city: City) -> None:
    app = city.app
    a0 = city.agencies[0]
    with timeutil.frozen(START):
        c = city.client(city.owner)
        # Above the threshold with fiscal funds: refused, nothing saved.
        from tests.support.selection_flow import project as _project
        from tests.support.selection_flow import request_form as _request_form

        pid = _project(city)
        data = _request_form(city, pid, method="direct", price="60000", signup_closes_at="",
                             direct_agency=city.agency_id(a0))
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400 and "直接选取只适用于" in r.get_data(as_text=True)
        data.update(price="40000", direct_agency="AG-999999")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400 and "已入驻中介机构" in r.get_data(as_text=True)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0
        data.update(direct_agency=city.agency_id(a0))
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 302
        rid = r.headers["Location"].rsplit("/", 1)[1]
        c.post(f"/owner/requests/{rid}/publish",
               data={"csrf_token": csrf_token(c, f"/owner/requests/{rid}")})
        detail = app.test_client().get(f"/api/requests/{rid}").get_json()
        assert detail["method"] == "direct" and detail["state"] == "selected"
        assert detail["winner"] == city.agency_id(a0)
        other = city.client(city.agencies[1])
        other.post("/agency/awards/1/confirm",
                   data={"csrf_token": csrf_token(other, "/agency/awards")})
        with app.app_context():
            assert db.session.get(Award, 1).state == "offered"
        mine = city.client(a0)
        mine.post("/agency/awards/1/confirm", data={"csrf_token": csrf_token(mine, "/agency/awards")})
        with app.app_context():
            assert db.session.get(Award, 1).state == "confirmed"
    listing = app.test_client().get("/api/requests?method=direct").get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == rid
    assert app.test_client().get("/api/requests?method=nope").status_code == 400


def test_a_late_opening_still_plans_the_tie_break_after_its_freeze(city: City) -> None:
    """If the key holder opens the quotes a day late, the tie-break draw's external source is
    planned from the actual opening, so its T is after its freeze."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        for agency in city.agencies[:3]:
            _bid(city, agency, req.public_id, "30000")
    with app.app_context():
        closes = db.session.get(SelectionRequest, req.id).signup_closes_at
    with timeutil.frozen(closes + timedelta(days=1, hours=3)):
        regulator = city.client(city.regulator)
        assert opening_keys.present(regulator, req.public_id, city.regulator_key).status_code == 302
    with app.app_context():
        tie = db.session.scalars(sa.select(Lottery).order_by(Lottery.id.desc())).first()
        assert tie is not None and tie.state == "frozen" and len(tie.pool) == 3
        assert tie.external_at >= closes + timedelta(days=1, hours=5)
        assert run_audit().ok
