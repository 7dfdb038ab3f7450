"""Credit merit as Guangdong runs it (信用择优): the long list above the published credit
threshold, the short list drawn from it by the verifiable lottery, the owner's choice from the
short list with a written reason — published, and every bad input changing nothing."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.award import offer_award
from market.selection.models import Award, Lottery, SelectionRequest
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import person as _person
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up
from tests.support.selection_flow import witness_and_draw as _witness_and_draw

MERIT = {"method": "credit_merit", "credit_threshold": "80", "shortlist_size": "3"}


def _choose(city: City, rid: str, agency: str, reason: str) -> tuple[int, str]:
    c = city.client(city.owner)
    r = c.post(f"/owner/requests/{rid}/choose", data={
        "agency": agency, "reason": reason,
        "csrf_token": csrf_token(c, f"/owner/requests/{rid}")})
    return r.status_code, r.get_data(as_text=True)


def _awards(city: City) -> list[tuple[str, str, str | None]]:
    with city.app.app_context():
        return [(a.agency.public_id, a.state, a.choice_reason)
                for a in db.session.scalars(sa.select(Award).order_by(Award.id))]


def _verify(city: City, lottery_id: str, tmp_path: Path) -> None:
    with city.app.test_client() as c:
        body = c.get(f"/lotteries/{lottery_id}/bundle.json").get_data()
        key = c.get("/transparency/key").get_json()["public_key"]
    path = tmp_path / f"{lottery_id}.json"
    path.write_bytes(body)
    out = subprocess.run([sys.executable, "-m", "lottery", "verify", str(path), "--pubkey", key],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr


def test_long_list_short_list_and_the_owners_choice(city: City, tmp_path: Path) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city, **MERIT)
        rid = req.public_id
        for a in city.agencies[:5]:
            assert _sign_up(city, a, rid) == 302
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "不低于 80 分" in notice and "3 家入围候选" in notice
    low = city.agency_id(city.agencies[4])
    with app.app_context():
        # a decline on record puts one agency's score under the threshold of 80
        r = db.session.get(SelectionRequest, req.id)
        offer_award(r, None, low, 9, START).state = "declined"
        db.session.commit()
        lot = db.session.scalar(sa.select(Lottery))
        assert lot.announcement["k"] == 3 and lot.announcement["credit_threshold"] == 80
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        app.test_client().get(f"/notices/{rid}")
    with app.app_context():
        db.session.delete(db.session.scalars(sa.select(Award)).first())
        db.session.commit()
        lot = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lot.lottery_id, lot.external_at
        assert low not in lot.pool and len(lot.pool) == 4  # the long list
        excluded = [e for e in log.events_of(lottery_id) if e["type"] == "exclude"]
        assert [e["data"]["agency_id"] for e in excluded] == [low]
        assert "低于入围线 80 分" in excluded[0]["data"]["reason"]
    _witness_and_draw(city, lottery_id, external_at)
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, shortlist = list(lot.record["ranking"]), list(lot.record["winners"])
        assert lot.state == "drawn" and len(shortlist) == 3 and ranking[:3] == shortlist
        assert db.session.get(SelectionRequest, req.id).state == "closed"
    assert _awards(city) == []  # the draw names a short list, not a winner

    at = external_at + timedelta(hours=1)
    with timeutil.frozen(at):
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert 'data-test="shortlist-drawn"' in notice
        assert all(a in notice for a in ranking)  # the long list and the short list are public
        draw_page = app.test_client().get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert 'data-test="shortlist-note"' in draw_page
        page = city.client(city.owner).get(f"/owner/requests/{rid}").get_data(as_text=True)
        assert all(f'data-test="choose-{a}"' in page for a in shortlist)
        assert f'data-test="choose-{ranking[3]}"' not in page
        # Outside the short list, no reason, a reason too long, an agency: nothing changes.
        for agency, reason in ((ranking[3], "资质更全"), (low, "资质更全"), (shortlist[1], ""),
                               (shortlist[1], "长" * 501), ("", "资质更全")):
            status, text = _choose(city, rid, agency, reason)
            assert status == 400, (agency, reason)
            assert reason[:10] in text  # what the owner typed stays in the form
        c = city.client(city.agencies[0])
        r = c.post(f"/owner/requests/{rid}/choose", data={
            "agency": shortlist[0], "reason": "x", "csrf_token": csrf_token(c, "/agency/requests")})
        assert r.status_code == 403
        assert _awards(city) == []
        status, _text = _choose(city, rid, shortlist[1], "人员配备最强，同类项目经验最多")
        assert status == 302
        assert _awards(city) == [(shortlist[1], "offered", "人员配备最强，同类项目经验最多")]
        # chosen once: a second choice is refused
        assert _choose(city, rid, shortlist[0], "改选")[0] == 400
        notice = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "人员配备最强，同类项目经验最多" in notice and 'data-test="choice-reason"' in notice

    # The chosen agency declines: the draw's next alternate joins the short list (logged as the
    # decline's replacement) and the owner chooses again.
    chosen = _person(city, shortlist[1])
    with timeutil.frozen(at + timedelta(minutes=5)):
        c = city.client(chosen)
        with app.app_context():
            award_id = db.session.scalar(sa.select(Award.id))
        r = c.post(f"/agency/awards/{award_id}/decline", data={
            "reason": "人员冲突", "csrf_token": csrf_token(c, "/agency/awards")})
        assert r.status_code == 302
    with app.app_context():
        assert db.session.get(SelectionRequest, req.id).state == "closed"
        declines = [e for e in log.events_of(lottery_id) if e["type"] == "decline"]
        assert [(e["data"]["agency_id"], e["data"]["replacement"]) for e in declines] == [
            (shortlist[1], ranking[3])]
    with timeutil.frozen(at + timedelta(minutes=10)):
        page = city.client(city.owner).get(f"/owner/requests/{rid}").get_data(as_text=True)
        assert f'data-test="choose-{ranking[3]}"' in page
        assert f'data-test="choose-{shortlist[1]}"' not in page
        assert _choose(city, rid, shortlist[1], "再选")[0] == 400
        assert _choose(city, rid, ranking[3], "递补入围，资质符合")[0] == 302
    assert _awards(city)[-1] == (ranking[3], "offered", "递补入围，资质符合")
    # A second decline uses no replacement twice: the ranking has no fifth agency.
    with timeutil.frozen(at + timedelta(minutes=15)):
        c = city.client(_person(city, ranking[3]))
        with app.app_context():
            award_id = db.session.scalars(sa.select(Award.id).order_by(Award.id.desc())).first()
        assert c.post(f"/agency/awards/{award_id}/decline", data={
            "reason": "另有安排", "csrf_token": csrf_token(c, "/agency/awards")}).status_code == 302
    with app.app_context():
        declines = [e for e in log.events_of(lottery_id) if e["type"] == "decline"]
        assert [e["data"]["replacement"] for e in declines] == [ranking[3], None]
        assert db.session.get(SelectionRequest, req.id).state == "closed"  # two left to choose
        assert run_audit().ok
    _verify(city, lottery_id, tmp_path)


def test_a_long_list_shorter_than_the_short_list_fails(city: City) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city, method="credit_merit", credit_threshold="80", shortlist_size="5")
        for a in city.agencies[:4]:
            assert _sign_up(city, a, req.public_id) == 302
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        app.test_client().get(f"/notices/{req.public_id}")
    with app.app_context():
        r = db.session.get(SelectionRequest, req.id)
        assert r.state == "failed" and "不足 5 家" in (r.failed_reason or "")
        assert run_audit().ok


def test_the_form_asks_for_the_threshold_and_the_short_list(city: City) -> None:
    with timeutil.frozen(START):
        c = city.client(city.owner)
        pid = _project(city)
        for overrides, field in (({"credit_threshold": "", "shortlist_size": "3"}, "credit_threshold"),
                                 ({"credit_threshold": "59", "shortlist_size": "3"}, "credit_threshold"),
                                 ({"credit_threshold": "80", "shortlist_size": "1"}, "shortlist_size"),
                                 ({"credit_threshold": "80", "shortlist_size": "8"}, "shortlist_size"),
                                 ({"credit_threshold": "八十", "shortlist_size": "3"}, "credit_threshold")):
            data = _request_form(city, pid, method="credit_merit", **overrides)
            data["csrf_token"] = csrf_token(c, "/owner/requests/new")
            r = c.post("/owner/requests/new", data=data)
            assert r.status_code == 400, overrides
            assert f'id="{field}-msg"' in r.get_data(as_text=True), overrides
        with city.app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0
