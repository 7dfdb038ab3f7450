"""The external value is bound: a computed, fresh issue; two entries, one a regulator's;
the game's rules; drand's signature; one value per label across the log; independent
witnesses; and the messages a person sees on the way, in their language."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from lottery.verify import verify_bundle
from market import timeutil
from market.db import db
from market.selection.models import EntropyEntry, ExternalProposal, Lottery, SelectionRequest
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import create_person, csrf_token
from tests.selection.conftest import (
    START,
    City,
    confirm_draw_years,
    enter_external,
    provincial_operator,
)
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up


def _frozen_lottery(city: City, **form: str) -> tuple[str, datetime]:
    """A published request with three sign-ups, closed, both witnesses in."""
    with timeutil.frozen(START):
        req = _publish(city, **form)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).order_by(Lottery.id.desc()))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=5)):
        for who, value in ((city.delegate, "20260309"), (city.regulator, "88112233")):
            c = city.client(who)
            r = c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
            assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    return lottery_id, external_at


def _post(city: City, who, lottery_id: str, value: str, official: str = "2026-03-10",
          lang: str | None = None) -> tuple[int, str]:
    c = city.client(who)
    if lang:
        c.post("/language", data={"lang": lang, "csrf_token": csrf_token(c, "/")})
    r = c.post(f"/lotteries/{lottery_id}/external", data={
        "value": value, "official_date": official,
        "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
    return r.status_code, r.get_data(as_text=True)


def test_two_entries_one_by_a_regulator_before_anything_is_logged(city: City) -> None:
    app = city.app
    lottery_id, external_at = _frozen_lottery(city)
    with app.app_context():
        before = log.size()
    with timeutil.frozen(external_at + timedelta(minutes=10)):
        # The operator types the official spelling with leading zeros: kept unlogged.
        assert _post(city, city.operator, lottery_id, "01 05 12 19 25 31 + 09")[0] == 302
        with app.app_context():
            assert log.size() == before
            proposal = db.session.scalar(sa.select(ExternalProposal))
            assert proposal.value == "1 5 12 19 25 31 + 9"
        page = city.client(city.operator).get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert 'data-test="external-mine"' in page
        # The operator may correct its own entry; that is still one entry.
        assert _post(city, city.operator, lottery_id, "3 7 12 19 25 31 + 9")[0] == 302
        # The owner's delegate may not be the second entry of a non-regulator's value.
        page = city.client(city.delegate).get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert 'data-test="external-needs-regulator"' in page
        status, body = _post(city, city.delegate, lottery_id, "3 7 12 19 25 31 + 9")
        assert status == 400 and "复核须由监管人员完成" in body
        # The regulator types another value: refused, nothing shown of the first, nothing logged.
        status, body = _post(city, city.regulator, lottery_id, "3 7 12 19 25 31 + 10")
        assert status == 400 and "与第一次录入不一致" in body
        assert "3 7 12 19 25 31 + 9" not in body
        with app.app_context():
            assert log.size() == before
        # The same value from the regulator logs it and draws.
        assert _post(city, city.regulator, lottery_id, "03,07,12,19,25,31+09")[0] == 302
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
        assert lottery.state == "drawn"
        entry = db.session.scalar(sa.select(EntropyEntry).where(EntropyEntry.position == 2))
        assert entry.source["value"] == "3 7 12 19 25 31 + 9"
        assert entry.entered_by.email == city.operator.email
        assert entry.confirmed_by.email == city.regulator.email
        assert db.session.scalar(sa.select(sa.func.count(ExternalProposal.id))) == 0
        from market.selection.draw import bundle

        verify_bundle(bundle(lottery))
        assert run_audit().ok
    page = app.test_client().get(f"/lotteries/{lottery_id}").get_data(as_text=True)
    assert 'data-test="external-people"' in page


def test_a_regulator_first_and_a_witness_second(city: City) -> None:
    lottery_id, external_at = _frozen_lottery(city)
    with timeutil.frozen(external_at + timedelta(minutes=10)):
        enter_external(city, lottery_id, external_at, people=(city.regulator, city.delegate))
    with city.app.app_context():
        assert db.session.scalar(sa.select(Lottery.state)) == "drawn"


def test_empty_and_wrong_values_answer_in_the_pages_language(city: City) -> None:
    lottery_id, external_at = _frozen_lottery(city)
    with timeutil.frozen(external_at + timedelta(minutes=10)):
        status, body = _post(city, city.operator, lottery_id, "")
        assert status == 400 and "请填写开奖号码。" in body
        status, body = _post(city, city.operator, lottery_id, "", lang="en")
        assert status == 400 and "Enter the winning numbers." in body
        status, body = _post(city, city.operator, lottery_id, "1 2 3 4 5 34 + 9")
        assert status == 400 and "outside 1–33" in body and "超出" not in body
        _post(city, city.operator, lottery_id, "", lang="zh_Hans_CN")


def test_an_issue_already_logged_must_carry_its_value(city: City) -> None:
    """Two requests closing together name one issue: the second entry of that issue must be
    the result the first logged."""
    app = city.app
    with timeutil.frozen(START):
        reqs = [_publish(city), _publish(city)]
        for req in reqs:
            for a in city.agencies[:3]:
                assert _sign_up(city, a, req.public_id) == 302
    with app.app_context():
        lotteries = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        ids = [lt.lottery_id for lt in lotteries]
        labels = {lt.announcement["entropy_plan"][-1]["label"] for lt in lotteries}
        external_at = lotteries[0].external_at
    assert len(labels) == 1  # one issue for both: nothing wrong with sharing it
    with timeutil.frozen(START + timedelta(days=7, minutes=6)):
        for lottery_id in ids:
            for who, value in ((city.delegate, "555555"), (city.regulator, "666666")):
                c = city.client(who)
                r = c.post(f"/lotteries/{lottery_id}/witness", data={
                    "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
                assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    with timeutil.frozen(external_at + timedelta(minutes=10)):
        enter_external(city, ids[0], external_at, "3 7 12 19 25 31 + 9")
        status, body = _post(city, city.operator, ids[1], "1 2 3 4 5 6 + 7")
        assert status == 400 and "已由其他摇号记录为 3 7 12 19 25 31 + 9" in body
        enter_external(city, ids[1], external_at, "3 7 12 19 25 31 + 9")
    with app.app_context():
        assert run_audit().ok


def test_a_rerun_plans_a_later_issue_and_skips_a_logged_label(city: City) -> None:
    """A void after T re-announces with an issue after the new close — never the voided one's
    — and a label that already has a value in the log is never planned again."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        external_at, old_label = lottery.external_at, lottery.announcement["entropy_plan"][-1]["label"]
    with timeutil.frozen(START + timedelta(days=7, minutes=5)):
        app.test_client().get(f"/notices/{req.public_id}")  # freeze; no witness types
    with timeutil.frozen(external_at + timedelta(minutes=1)):
        assert app.test_cli_runner().invoke(args=["selection", "tick"]).exit_code == 0
    with app.app_context():
        old, new = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        new_entry = new.announcement["entropy_plan"][-1]
        assert old.state == "void" and new.replaces == old.lottery_id
        assert new_entry["label"] != old_label
        assert new_entry["available_at"] > new.announcement["signup_closes_at"]
        from market.selection.external import plan_external

        req = db.session.get(SelectionRequest, req.id)
        planned, _ = plan_external("ssq", req.signup_closes_at, fallback=False)
        # Pretend that issue were already logged by some lottery: the next one is planned.
        db.session.add(EntropyEntry(lottery_pk=old.id, position=9, entered_by_id=1, at=START,
                                    source={**planned, "value": "1 2 3 4 5 6 + 7"}))
        db.session.flush()
        later, _ = plan_external("ssq", req.signup_closes_at, fallback=False)
        assert later["label"] != planned["label"]
        assert later["available_at"] > planned["available_at"]
        db.session.rollback()


def test_witnesses_must_include_a_regulator(city: City) -> None:
    with timeutil.frozen(START):
        c = city.client(city.owner)
        with city.app.app_context():
            from market.accounts.models import User

            owner_ids = [str(db.session.scalar(sa.select(User.id).where(User.email == p.email)))
                         for p in (city.owner, city.delegate)]
        data = _request_form(city, _project(city), witnesses=owner_ids)
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400 and "见证人中须至少有一名监管人员" in r.get_data(as_text=True)
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0


def test_an_unconfirmed_year_refuses_the_game_and_system_reruns_plan_drand(city: City) -> None:
    app = city.app
    confirm_draw_years(app, (2026,))
    with app.app_context():
        from market.selection.external import save_draw_year

        save_draw_year(2026, ssq_text="", fc3d_text="", source="待公告", confirmed=False,
                       user_id=None)
        db.session.commit()
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city))
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400
        assert "运营方尚未确认 2026 年福彩开奖安排" in r.get_data(as_text=True)
        # drand needs no schedule.
        data.update(external_kind="drand")
        assert c.post("/owner/requests/new", data=data).status_code == 302
    with app.app_context():
        from market.selection import draw

        req = db.session.scalar(sa.select(SelectionRequest))
        req.external_kind = "ssq"  # as if saved while the year was still confirmed
        with timeutil.frozen(START):
            req.state = "open"
            lottery = draw.announce(req, None, fallback=True)
        entry = lottery.announcement["entropy_plan"][-1]
        assert entry["kind"] == "drand" and "2026" in lottery.announcement["external_note"]
        db.session.rollback()


def test_only_operators_witnesses_and_regulators_may_type_it(city: City) -> None:
    lottery_id, external_at = _frozen_lottery(city)
    other_owner = create_person(city.app, "owner_admin")
    with timeutil.frozen(external_at + timedelta(minutes=10)):
        for who in (other_owner, city.agencies[0], city.owner):
            c = city.client(who)
            r = c.post(f"/lotteries/{lottery_id}/external", data={
                "value": "3 7 12 19 25 31 + 9", "official_date": "2026-03-10",
                "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
            assert r.status_code == 403


def test_witnesses_are_shown_by_name_and_told_when_they_are_due(city: City) -> None:
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
    with city.app.app_context():
        lottery_id = db.session.scalar(sa.select(Lottery.lottery_id))
        from market.accounts.models import User

        names = [db.session.scalar(sa.select(User.name).where(User.email == p.email))
                 for p in (city.delegate, city.regulator)]
    with timeutil.frozen(START + timedelta(hours=1)):
        page = city.app.test_client().get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        for name in names:
            assert name in page
        assert "采购受托人" in page and "监管人员" in page
        dele = city.client(city.delegate).get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert 'data-test="witness-not-due"' in dele and "报名截止" in dele
        dash = city.client(city.delegate).get("/dashboard").get_data(as_text=True)
        assert 'data-state="not_open"' in dash
    with timeutil.frozen(START + timedelta(days=7, minutes=5)):
        city.app.test_client().get(f"/lotteries/{lottery_id}")  # freeze
        reg = city.client(city.regulator).get(f"/lotteries/{lottery_id}").get_data(as_text=True)
        assert 'data-test="witness-not-due"' in reg and names[0] in reg  # waits for the delegate
        dash = city.client(city.delegate).get("/dashboard").get_data(as_text=True)
        assert 'data-state="due"' in dash
        c = city.client(city.delegate)  # an empty submit says why, next to the field
        r = c.post(f"/lotteries/{lottery_id}/witness", data={
            "value": "", "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
        assert r.status_code == 400 and 'class="error"' in r.get_data(as_text=True)
        assert "请输入 6–32 位数字。" in r.get_data(as_text=True)
        result = city.app.test_cli_runner().invoke(args=["selection", "tick"])
        assert result.exit_code == 0 and "draw reminders 2" in result.output
        again = city.app.test_cli_runner().invoke(args=["selection", "tick"])
        assert "draw reminders 0" in again.output
        notes = city.client(city.regulator).get("/notifications").get_data(as_text=True)
        assert "请在" in notes and lottery_id in notes


def test_the_operator_enters_each_years_schedule(city: City) -> None:
    c = city.client(provincial_operator(city))
    with timeutil.frozen(START):
        path = "/operator/draw-schedule/2028"
        r = c.post(path, data={"ssq_no_draw": "2028-01-25..2028-02-01\n2029-01-01",
                               "fc3d_no_draw": "", "source": "公告", "confirmed": "y",
                               "csrf_token": csrf_token(c, path)})
        assert r.status_code == 400 and "日期须在 2028 年内" in r.get_data(as_text=True)
        r = c.post(path, data={"ssq_no_draw": "2028-01-25..2028-02-01", "fc3d_no_draw": "",
                               "source": "中国福利彩票发行管理中心公告", "confirmed": "y",
                               "csrf_token": csrf_token(c, path)})
        assert r.status_code == 302
        page = city.app.test_client().get("/draw-schedule?year=2028").get_data(as_text=True)
        assert "2028-01-25" in page and 'data-test="schedule-confirmed"' in page
        assert city.client(city.owner).get(path).status_code == 403
        # the city's operator reads the schedule the province keeps, and cannot change it
        city_op = city.client(city.operator)
        page = city_op.get(path).get_data(as_text=True)
        assert 'data-test="read-only"' in page and "save-draw-schedule" not in page
        assert "2028-01-25" in page
        r = city_op.post(path, data={"ssq_no_draw": "", "fc3d_no_draw": "", "source": "改",
                                     "csrf_token": csrf_token(city_op, "/")})
        assert r.status_code == 403
        page = city.app.test_client().get("/draw-schedule?year=2028").get_data(as_text=True)
        assert "2028-01-25" in page
        # the public page links to the form for the one who keeps it only
        edit = 'href="/operator/draw-schedule/2028"'
        assert edit not in city_op.get("/draw-schedule?year=2028").get_data(as_text=True)
        assert edit in c.get("/draw-schedule?year=2028").get_data(as_text=True)


def test_drand_round_is_verified_with_the_chain_key(app) -> None:
    """A drand request whose plan names quicknet round 657413 (published 2023-09-15): the
    real signature is accepted after two entries; another round's signature is refused."""
    from tests.selection.conftest import build_city

    with timeutil.frozen(datetime(2023, 9, 4, 1, 0, tzinfo=UTC)):
        city = build_city(app)
    round_at = datetime(2023, 9, 15, 11, 0, 3, tzinfo=UTC)
    closes = round_at - timedelta(hours=2)  # the configured minimum delay
    sig = ("b713718a38ae728dfd477991af2822e08d2f305e47718cef9f7848ce4050e7be"
           "41076862b98fad56e91a6b85b89cd97b")
    with timeutil.frozen(datetime(2023, 9, 4, 1, 0, tzinfo=UTC)), app.app_context():
        from market.accounts.models import Organisation, User
        from market.selection import requests as ops

        owner = db.session.get(Organisation, city.owner.org_id)
        users = {p.email: db.session.scalar(sa.select(User).where(User.email == p.email))
                 for p in (city.owner, city.delegate, city.regulator)}
        project = ops.create_project(owner, name="测绘项目", code="2023-539901-47-01-000123",
                                     fund_source="fiscal", investment_fen=10**9, location="云川市")
        data = ops.RequestInput(
            project_id=project.id, service_code="EIA", title="drand 摇号", scope="测绘",
            qualification_type=None, qualification_level=None, practitioners={},
            price_kind="fixed", price_fen=3_000_000, cap_fen=None, floor_fen=None,
            service_days=20, signing_days=5, method="lottery", signup_closes_at=closes,
            external_kind="drand",
            witness_ids=[users[city.delegate.email].id, users[city.regulator.email].id])
        req = ops.save_draft(owner, data, users[city.owner.email])
        ops.publish(owner, req)
        lottery = db.session.scalar(sa.select(Lottery))
        assert lottery.announcement["entropy_plan"][-1]["round"] == 657413
        db.session.commit()
        public_id, lottery_id = req.public_id, lottery.lottery_id
    with timeutil.frozen(datetime(2023, 9, 4, 2, 0, tzinfo=UTC)):
        for a in city.agencies[:3]:
            assert _sign_up(city, a, public_id) == 302
    with timeutil.frozen(closes + timedelta(minutes=5)):
        for who, value in ((city.delegate, "123456"), (city.regulator, "654321")):
            c = city.client(who)
            assert c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}
            ).status_code == 302
    with timeutil.frozen(round_at + timedelta(minutes=1)):
        c = city.client(city.operator)
        round_1000 = ("b44679b9a59af2ec876b1a6b1ad52ea9b1615fc3982b19576350f93447cb1125"
                      "e342b73a8dd2bacbe47e4b6b63ed5e39")
        for bad, message in ((round_1000, "签名验证失败"), (sig[:-2], "48 字节"),
                             ("zz" * 48, "十六进制")):
            r = c.post(f"/lotteries/{lottery_id}/external", data={
                "signature": bad, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
            assert r.status_code == 400 and message in r.get_data(as_text=True), bad
        for who in (city.operator, city.regulator):
            c = city.client(who)
            r = c.post(f"/lotteries/{lottery_id}/external", data={
                "signature": sig.upper(), "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
            assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with app.app_context():
        source = db.session.scalar(sa.select(EntropyEntry).where(
            EntropyEntry.position == 2)).source
        assert source["value"] == "fc1873a13f3545aeade8401532ef5519920652eee6b0d2b19ca12643b87b3587"
        assert source["signature"] == sig
        assert db.session.scalar(sa.select(Lottery.state)) == "drawn"
        assert run_audit().ok


def test_witness_and_external_reminders_reach_each_person_by_mail(city: City) -> None:
    import socket

    from aiosmtpd.controller import Controller

    from tests.support.mail import Inbox

    inbox = Inbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        city.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=str(port))
        with timeutil.frozen(START):
            req = _publish(city)
            for a in city.agencies[:3]:
                _sign_up(city, a, req.public_id)
        with city.app.app_context():
            lottery = db.session.scalar(sa.select(Lottery))
            lottery_id, external_at = lottery.lottery_id, lottery.external_at
        runner = city.app.test_cli_runner()
        with timeutil.frozen(START + timedelta(days=7, minutes=5)):
            city.app.test_client().get(f"/lotteries/{lottery_id}")  # freeze
            assert "draw reminders 2" in runner.invoke(args=["selection", "tick"]).output
            assert "draw reminders 0" in runner.invoke(args=["selection", "tick"]).output
            # e-mailed, like every reminder, by the clocks tick (once)
            assert "e-mails 2" in runner.invoke(args=["clocks", "tick"]).output
            assert "e-mails 0" in runner.invoke(args=["clocks", "tick"]).output
        to = sorted(rcpt for m in inbox.messages for rcpt in m.rcpt_tos)
        assert to == sorted([city.delegate.email, city.regulator.email])  # the regulator too
        with timeutil.frozen(START + timedelta(days=7, minutes=10)):
            for who, value in ((city.delegate, "20260309"), (city.regulator, "88112233")):
                c = city.client(who)
                c.post(f"/lotteries/{lottery_id}/witness", data={
                    "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
        with timeutil.frozen(external_at + timedelta(minutes=1)):
            out = runner.invoke(args=["selection", "tick"]).output
            assert "draw reminders 2" in out  # the delegate and the regulator: please enter it
        with timeutil.frozen(external_at + timedelta(minutes=3)):
            enter_external(city, lottery_id, external_at, people=(city.delegate,))
            out = runner.invoke(args=["selection", "tick"]).output
            assert "draw reminders 1" in out  # the regulator: please confirm it
            notes = city.client(city.regulator).get("/notifications").get_data(as_text=True)
            assert "请复核外部随机数" in notes
            dash = city.client(city.regulator).get("/dashboard").get_data(as_text=True)
            assert 'data-state="confirm"' in dash
    finally:
        controller.stop()
