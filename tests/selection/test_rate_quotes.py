"""Sealed quotes as a discount rate off a published base price (下浮率) and the abnormally low
quote rule published with the notice (异常低价): the form, the quote, the opening, the
ranking and the award — money in integer fen, every bad input changing nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.domain import sealed_bid as sb
from market.selection import bidlog
from market.selection.models import Award, Bid, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import SEALED, open_round
from tests.support.selection_flow import bid as _bid
from tests.support.selection_flow import person as _person
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form

RATE = {**SEALED, "quote_kind": "rate", "cap": "40000.01", "floor": "20000"}


def _bids(city: City) -> int:
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Bid.id))) or 0


def _open(city: City, rid: str) -> None:
    open_round(city, rid, START + timedelta(days=7, seconds=1))


def test_quotes_as_a_discount_rate(city: City) -> None:
    app = city.app
    a0, a1, a2, a3 = city.agencies[:4]
    with timeutil.frozen(START):
        req = _publish(city, **RATE)
        rid = req.public_id
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "下浮率" in notice and "四舍五入到分" in notice and "40,000.01" in notice
        page = city.client(a0).get("/agency/requests").get_data(as_text=True)
        assert f'data-test="rate-{rid}"' in page
        _bid(city, a0, rid, "12.5")
        _bid(city, a1, rid, "12.50%")  # the same rate: a tie
        _bid(city, a2, rid, "８")  # typed with a Chinese input method
        before = _bids(city)
        # not a rate, more than two decimals, 100 %, above the floor's rate (50.0000125 %)
        for bad in ("abc", "12.345", "100", "50.01", "-1", ""):
            _bid(city, a3, rid, bad, expect=400)
        assert _bids(city) == before
        _bid(city, a3, rid, "50")  # the floor's own rate is allowed (fee 20,000.01 ≥ floor)
    _open(city, rid)
    base = 4_000_001
    fee_12_5 = (base * 8750 + 5000) // 10000  # 3,500,000.875 fen → 3,500,001
    with app.app_context():
        bids = {b.agency.public_id: b for b in db.session.scalars(sa.select(Bid))}
        assert bids[city.agency_id(a0)].amount_fen == fee_12_5 == 3_500_001
        assert bids[city.agency_id(a2)].amount_fen == (base * 9200 + 5000) // 10000
        assert bids[city.agency_id(a3)].amount_fen == (base * 5000 + 5000) // 10000 == 2_000_001
        # what is committed and published is the fee: sealed-bid/v1 unchanged
        for b in bids.values():
            assert sb.opens(b.commitment, rid, b.agency.public_id, b.amount_fen, b.nonce)
        award = db.session.scalar(sa.select(Award))
        # the highest rate is the lowest fee
        assert award.agency.public_id == city.agency_id(a3) and award.fee_fen == 2_000_001
        opened = [e for e in bidlog.events_of(rid) if e["type"] == "open"][0]["data"]
        assert sorted(x["amount_fen"] for x in opened["bids"]) == sorted(
            b.amount_fen for b in bids.values())
    notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
    assert "12.50%" in notice and "50.00%" in notice and "8.00%" in notice


def test_a_rate_needs_a_base_of_at_least_100_yuan(city: City) -> None:
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city), **{**RATE, "cap": "99.99", "floor": ""})
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400 and 'id="cap-msg"' in r.get_data(as_text=True)
        data.update(cap="40000", quote_kind="percent")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400 and 'id="quote_kind-msg"' in r.get_data(as_text=True)
        for share, action, field in (("20", "", "low_action"), ("0.5", "explain", "low_share"),
                                     ("51", "set_aside", "low_share"), ("二十", "explain", "low_share"),
                                     ("", "explain", "low_share")):
            data.update(quote_kind="amount", low_share=share, low_action=action)
            r = c.post("/owner/requests/new", data=data)
            assert r.status_code == 400, (share, action)
            assert f'id="{field}-msg"' in r.get_data(as_text=True), (share, action)
        with city.app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0


def test_an_abnormally_low_quote_is_set_aside(city: City) -> None:
    app = city.app
    a0, a1, a2, a3 = city.agencies[:4]
    with timeutil.frozen(START):
        req = _publish(city, **SEALED, low_share="20", low_action="set_aside")
        rid = req.public_id
        assert "作无效报价处理" in app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        for who, amount in ((a0, "35000"), (a1, "36000"), (a2, "37000"), (a3, "22000")):
            _bid(city, who, rid, amount)
    _open(city, rid)
    with app.app_context():
        low = db.session.scalar(sa.select(Bid).where(Bid.amount_fen == 2_200_000))
        assert low.abnormally_low and low.valid is False
        opened = [e for e in bidlog.events_of(rid) if e["type"] == "open"][0]["data"]
        assert [x["agency_id"] for x in opened["excluded"]] == [city.agency_id(a3)]
        assert "异常低价" in opened["excluded"][0]["reason"]
        award = db.session.scalar(sa.select(Award))
        assert award.agency.public_id == city.agency_id(a0) and award.fee_fen == 3_500_000


def test_an_abnormally_low_quote_is_explained_or_passed_on(city: City) -> None:
    app = city.app
    a0, a1, a2, a3 = city.agencies[:4]
    with timeutil.frozen(START):
        req = _publish(city, **SEALED, low_share="20", low_action="explain")
        rid = req.public_id
        for who, amount in ((a0, "35000"), (a1, "36000"), (a2, "37000"), (a3, "22000")):
            _bid(city, who, rid, amount)
    _open(city, rid)
    with app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.agency.public_id == city.agency_id(a3) and award.fee_fen == 2_200_000
        award_id = award.id
    with timeutil.frozen(START + timedelta(days=7, hours=1)):
        c = city.client(a3)
        page = c.get("/agency/awards").get_data(as_text=True)
        assert 'data-test="low-explain-due"' in page
        # no confirmation before the explanation
        c.post(f"/agency/awards/{award_id}/confirm",
               data={"csrf_token": csrf_token(c, "/agency/awards")})
        with app.app_context():
            assert db.session.get(Award, award_id).state == "offered"
        # an empty or too long explanation, another agency's award: nothing changes; the
        # page is shown again with the error next to the field and what was typed kept
        for text, error in (("", "请填写此项。"), ("长" * 2001, "书面说明不超过 2000 字。")):
            r = c.post(f"/agency/awards/{award_id}/explain",
                       data={"text": text, "csrf_token": csrf_token(c, "/agency/awards")})
            assert r.status_code == 400 and r.location is None
            html = r.get_data(as_text=True)
            textarea, after = html[html.index(f'<textarea id="explain-{award_id}"'):].split(
                "</textarea>", 1)
            assert 'aria-invalid="true"' in textarea and textarea.endswith(f">{text}")
            assert after.lstrip().startswith(
                f'<p class="error" id="explain-{award_id}-msg">{error}</p>')
        other = city.client(a0)
        r = other.post(f"/agency/awards/{award_id}/explain",
                       data={"text": "x", "csrf_token": csrf_token(other, "/agency/awards")})
        assert r.status_code == 404
        with app.app_context():
            assert db.session.get(Award, award_id).low_explanation is None
        r = c.post(f"/agency/awards/{award_id}/explain", data={
            "text": "本所已有该区域同类项目的监测数据，外业成本低", "csrf_token": csrf_token(c, "/agency/awards")})
        assert r.status_code == 302
        c.post(f"/agency/awards/{award_id}/confirm",
               data={"csrf_token": csrf_token(c, "/agency/awards")})
        with app.app_context():
            assert db.session.get(Award, award_id).state == "confirmed"
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "外业成本低" in notice and 'data-test="bid-low"' in notice


def test_an_unexplained_abnormally_low_quote_lapses_to_the_next(city: City) -> None:
    app = city.app
    a0, a1, a2, a3 = city.agencies[:4]
    with timeutil.frozen(START):
        req = _publish(city, **SEALED, low_share="20", low_action="explain")
        rid = req.public_id
        for who, amount in ((a0, "35000"), (a1, "36000"), (a2, "37000"), (a3, "22000")):
            _bid(city, who, rid, amount)
    _open(city, rid)
    with timeutil.frozen(START + timedelta(days=30)):
        app.test_client().get(f"/notices/{rid}")
    with app.app_context():
        awards = db.session.scalars(sa.select(Award).order_by(Award.id)).all()
        assert [(a.agency.public_id, a.state) for a in awards][:2] == [
            (city.agency_id(a3), "timed_out"), (city.agency_id(a0), awards[1].state)]
        assert awards[1].fee_fen == 3_500_000
    assert _person(city, city.agency_id(a0)) is a0
