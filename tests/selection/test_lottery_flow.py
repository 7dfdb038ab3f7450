"""A whole lottery through the app, and every bad input on the way."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.selection.models import Lottery, SelectionRequest, SignUp
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up


def test_a_whole_lottery_and_its_bundle_verifies(city: City, tmp_path: Path) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        public_id = req.public_id
        for a in city.agencies[:4]:
            assert _sign_up(city, a, public_id) == 302
        # Signing up twice is refused and changes nothing.
        _sign_up(city, city.agencies[0], public_id)
        c = city.client(city.agencies[3])
        c.post(f"/agency/requests/{public_id}/withdraw",
               data={"reason": "人手不足", "csrf_token": csrf_token(c, "/agency/signups")})
        receipt = city.client(city.agencies[0]).get("/agency/signups/1/receipt.json").get_json()
        assert receipt["event"]["type"] == "register" and receipt["checkpoint"]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 4
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at

    # After the close: the public page closes it lazily and shows the frozen pool.
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        page = app.test_client().get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert "名单已冻结" in page
        # Sign-up after close is refused.
        assert _sign_up(city, city.agencies[4], public_id) == 302
        for who, value in ((city.delegate, "20260302"), (city.regulator, "88112233")):
            c = city.client(who)
            r = c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
            assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 4
        assert db.session.get(Lottery, 1).pool and len(db.session.get(Lottery, 1).pool) == 3
        # The regulators are told to save the checkpoint before the external value is public.
        from market.notify.models import Notification

        notes = db.session.scalars(sa.select(Notification).where(
            Notification.state == "checkpoint")).all()
        assert [n.organisation_id for n in notes] == [city.regulator.org_id]
        lottery = db.session.get(Lottery, 1)
        deadline = lottery.external_at.astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%d %H:%M")
        assert (notes[0].key, notes[0].subject, notes[0].link) == (
            f"checkpoint:{lottery.lottery_id}:{city.regulator.org_id}",
            f"请在 {deadline} 前保存透明日志检查点（{lottery.lottery_id}）", "/transparency")
        assert notes[0].body.startswith(f"摇号 {lottery.lottery_id} 的见证随机数已全部录入")

    with timeutil.frozen(external_at + timedelta(minutes=30)):
        # Typed by the operator, then again by the regulator: only then logged and drawn.
        for who in (city.operator, city.regulator):
            c = city.client(who)
            r = c.post(f"/lotteries/{lottery_id}/external", data={
                "value": "03 07 12 19 25 31 + 09", "official_date": "2026-03-10",
                "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
            assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
        page = app.test_client().get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert 'data-test="winner"' in page
        bundle = app.test_client().get(f"/lotteries/{lottery_id}/bundle.json")
        assert bundle.status_code == 200
        key = app.test_client().get("/transparency/key").get_json()["public_key"]
        verify_page = app.test_client().get(f"/lotteries/{lottery_id}/verify").get_data(as_text=True)
        assert 'data-test="verify-ok"' in verify_page
        # A second draw request changes nothing.
        c.post(f"/lotteries/{lottery_id}/external", data={
            "value": "3 7 12 19 25 31 + 9", "official_date": "2026-03-10",
            "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
    (tmp_path / "b.json").write_bytes(bundle.get_data())
    out = subprocess.run([sys.executable, "-m", "lottery", "verify", str(tmp_path / "b.json"),
                          "--pubkey", key], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout.startswith(f"OK {lottery_id} winners=")
    # The issue follows from the close by the schedule: Tuesday 10 March 2026 is the 27th
    # 双色球 draw of the year (the test schedule pauses 16-22 February).
    assert "external 福彩双色球 2026027期 public_at=2026-03-10T13:15:00Z value=3 7 12 19 25 31 + 9" in out.stdout
    with app.app_context():
        assert run_audit().ok
        types = [json.loads(leaf)["type"] for leaf in log.leaves(0, log.size())]
        assert types.count("draw") == 1
        assert types == ["announce", "register", "register", "register", "register", "withdraw",
                         "freeze", "entropy", "entropy", "entropy", "draw"]
        tags = set(db.session.scalars(sa.select(AuditEvent.tag)))
        assert {"owner:request:publish", "agency:signup:create", "system:lottery:draw"} <= tags


def test_too_few_registrants_fail_the_request(city: City) -> None:
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:2]:
            _sign_up(city, a, req.public_id)
    with timeutil.frozen(START + timedelta(days=8)):
        page = city.app.test_client().get(f"/notices/{req.public_id}").get_data(as_text=True)
        assert "有效报名不足 3 家" in page
    with city.app.app_context():
        assert db.session.get(SelectionRequest, req.id).state == "failed"
        assert db.session.get(Lottery, 1).state == "void"
        assert run_audit().ok


def test_bad_entropy_is_refused_and_changes_nothing(city: City) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=5)):
        app.test_client().get(f"/lotteries/{lottery_id}")  # closes
        with app.app_context():
            before = log.size()
        c = city.client(city.delegate)
        for bad in ("12345", "abcdef", "1" * 33):
            c.post(f"/lotteries/{lottery_id}/witness",
                   data={"value": bad, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
        # Someone not named in the plan.
        a = city.client(city.agencies[0])
        a.post(f"/lotteries/{lottery_id}/witness",
               data={"value": "123456", "csrf_token": csrf_token(a, f"/lotteries/{lottery_id}")})
        # The regulator is second: not before the delegate.
        r = city.client(city.regulator)
        r.post(f"/lotteries/{lottery_id}/witness",
               data={"value": "123456", "csrf_token": csrf_token(r, f"/lotteries/{lottery_id}")})
        # The external value before it is public.
        op = city.client(city.operator)
        op.post(f"/lotteries/{lottery_id}/external", data={
            "value": "3 7 12 19 25 31 + 9", "csrf_token": csrf_token(op, f"/lotteries/{lottery_id}")})
        with app.app_context():
            assert log.size() == before
        for who, value in ((city.delegate, "111111"), (city.regulator, "222222")):
            cl = city.client(who)
            cl.post(f"/lotteries/{lottery_id}/witness",
                    data={"value": value, "csrf_token": csrf_token(cl, f"/lotteries/{lottery_id}")})
    with timeutil.frozen(external_at + timedelta(minutes=1)):
        with app.app_context():
            before = log.size()
        op = city.client(city.operator)
        for bad, date_, message in (
                ("0 0 0 0 0 0 + 0", "2026-03-10", "超出范围 1–33"),
                ("1 2 3 4 5 34 + 9", "2026-03-10", "超出范围 1–33"),
                ("1 2 3 4 5 6 + 17", "2026-03-10", "超出范围 1–16"),
                ("1 2 3 4 5 5 + 9", "2026-03-10", "不能重复"),
                ("1 2 3 4 5 + 9", "2026-03-10", "6 个红球"),
                ("", "2026-03-10", "请填写开奖号码"),
                ("1 2 3 4 5 6 + 9", "", "请填写官方公告中该期的开奖日期"),
                ("1 2 3 4 5 6 + 9", "2026-03-08", "早于计划的 2026-03-10")):
            r = op.post(f"/lotteries/{lottery_id}/external", data={
                "value": bad, "official_date": date_,
                "csrf_token": csrf_token(op, f"/lotteries/{lottery_id}")})
            assert r.status_code == 400 and message in r.get_data(as_text=True), (bad, date_)
            assert bad in r.get_data(as_text=True)  # what was typed stays
        # An agency may not enter the external value.
        ag = city.client(city.agencies[0])
        assert ag.post(f"/lotteries/{lottery_id}/external", data={
            "value": "3 7 12 19 25 31 + 9",
            "csrf_token": csrf_token(ag, f"/lotteries/{lottery_id}")}).status_code == 403
        with app.app_context():
            assert log.size() == before
            assert db.session.scalar(sa.select(Lottery)).state == "frozen"


def test_a_missed_witness_voids_and_reannounces_never_redraws(city: City) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
    with app.app_context():
        external_at = db.session.scalar(sa.select(Lottery)).external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=5)):
        app.test_client().get(f"/notices/{req.public_id}")
    with timeutil.frozen(external_at + timedelta(minutes=1)):
        result = app.test_cli_runner().invoke(args=["selection", "tick"])
        assert result.exit_code == 0, result.output
        again = app.test_cli_runner().invoke(args=["selection", "tick"])
        assert again.exit_code == 0
    with app.app_context():
        lotteries = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert [lt.state for lt in lotteries] == ["void", "open"]
        assert lotteries[1].replaces == lotteries[0].lottery_id
        assert db.session.get(SelectionRequest, req.id).state == "open"
        # The three agencies are carried over to the new lottery.
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id)).where(
            SignUp.lottery_id == lotteries[1].lottery_id)) == 3
        assert run_audit().ok


def test_the_owner_form_keeps_input_and_explains_errors(city: City) -> None:
    c = city.client(city.owner)
    with timeutil.frozen(START):
        project_id = _project(city)
        data = _request_form(city, project_id, price="-5", title="保留这个标题",
                             signup_closes_at=(START + timedelta(hours=20)).astimezone(
                                 timeutil.SHANGHAI).strftime("%Y-%m-%dT%H:%M"))
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        page = c.post("/owner/requests/new", data=data).get_data(as_text=True)
        assert "保留这个标题" in page
        assert "服务费须大于 0" in page or "报名期至少" in page
        data.update(price="30000")
        page = c.post("/owner/requests/new", data=data).get_data(as_text=True)
        assert "报名期至少 3 个工作日" in page
        data.update(signup_closes_at=(START + timedelta(days=7)).astimezone(
            timeutil.SHANGHAI).strftime("%Y-%m-%dT%H:%M"), witnesses=[])
        page = c.post("/owner/requests/new", data=data).get_data(as_text=True)
        assert "至少需要一名见证人" in page
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0


def test_other_owners_cannot_see_a_draft(city: City) -> None:
    from tests.conftest import create_person

    with timeutil.frozen(START):
        c = city.client(city.owner)
        project_id = _project(city)
        data = _request_form(city, project_id)
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        public_id = c.post("/owner/requests/new", data=data).headers["Location"].rsplit("/", 1)[1]
        other = create_person(city.app, "owner_admin")
        oc = city.client(other)
        assert oc.get(f"/owner/requests/{public_id}").status_code == 404
        assert city.app.test_client().get(f"/notices/{public_id}").status_code == 404


def test_api_lotteries_lists_with_paging(city: City) -> None:
    with timeutil.frozen(START):
        _publish(city)
    body = city.app.test_client().get("/api/lotteries?per_page=5").get_json()
    assert body["total"] == 1 and body["items"][0]["bundle_url"] is None
    assert city.app.test_client().get("/api/lotteries?per_page=500").status_code == 400


def test_a_close_found_only_after_t_voids_and_reannounces(city: City) -> None:
    """Nobody closed the request between its close and T (cron down): freezing then would let
    someone who knows the external value choose the pool, so the lottery is voided before any
    freeze and the request re-announced under a new id; the log still audits."""
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
    with city.app.app_context():
        external_at = db.session.scalar(sa.select(Lottery)).external_at
    with timeutil.frozen(external_at + timedelta(minutes=1)):
        assert city.app.test_client().get(f"/notices/{req.public_id}").status_code == 200
    with city.app.app_context():
        lotteries = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert [lt.state for lt in lotteries] == ["void", "open"]
        types = [json.loads(leaf)["type"] for leaf in log.leaves(0, log.size())]
        assert "freeze" not in types
        assert run_audit().ok
