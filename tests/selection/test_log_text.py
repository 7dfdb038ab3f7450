"""Text people type, on its way into the draw log and the bid log: checked with the lottery's
own rules before the first write, so a refusal is a clear answer on the field and leaves every
table (the logs included) as it was; multi-line reasons are logged as one line."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from lottery.errors import Invalid
from market import timeutil
from market.accounts.models import Organisation, User
from market.db import db
from market.selection import bidlog, draw, procedures
from market.selection import requests as request_ops
from market.selection.errors import SelectionError
from market.selection.logtext import event_text, one_line
from market.selection.models import Award, Lottery, Objection, SelectionRequest
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.proof.fuzz_support import changed_tables, table_fingerprint
from tests.selection.conftest import START, City
from tests.support.selection_flow import lottery_to_draw as _lottery_to_draw
from tests.support.selection_flow import object_to as _object
from tests.support.selection_flow import person as _person
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up

ZWSP = "\u200b"


def _amend(city: City, req: SelectionRequest, **overrides: object) -> tuple[int, str]:
    c = city.client(city.owner)
    path = f"/owner/requests/{req.public_id}/amend"
    data = _request_form(city, req.project_id)
    data.update(overrides)
    data["csrf_token"] = csrf_token(c, path)
    r = c.post(path, data=data)
    return r.status_code, r.get_data(as_text=True)


def _events(city: City, lottery_id: str) -> list[dict]:
    with city.app.app_context():
        return log.events_of(lottery_id)


def test_one_line_joins_lines_and_keeps_the_rest() -> None:
    assert one_line("第一行\r\n\r\n  第二行\t第三行 ") == "第一行 第二行 第三行"
    assert one_line("e\u0301") == "\u00e9"  # NFC
    assert len(one_line("长" * 600)) == 500
    assert event_text("a\u2028b", "reason") == "a b"
    with pytest.raises(SelectionError) as caught:
        event_text(f"理由{ZWSP}", "reason")
    assert caught.value.field == "reason" and caught.value.params["code"] == "200B"
    with pytest.raises(SelectionError):
        event_text(" \r\n ", "reason")


def test_amending_with_a_reason_the_log_refuses_changes_nothing(city: City) -> None:
    """End to end: the owner amends an open request with a zero-width space in the reason, the
    text an amendment logs (the plan's labels are computed).  Refused next to the field with
    what was typed kept; every table (the log included) unchanged; the log still audits and
    the next sign-up still logs under the same, still open, lottery."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        assert _sign_up(city, city.agencies[0], req.public_id) == 302
        fingerprint = table_fingerprint(app)
        before = fingerprint()
        status, page = _amend(city, req, title="改了标题", reason=f"更正{ZWSP}开奖期号")
        assert status == 400, page[-2000:]
        assert changed_tables(before, fingerprint()) == []
        field = page[page.index('name="reason"'):][:1500]
        assert "控制字符或格式字符" in field and f"更正{ZWSP}开奖期号" in field
        assert "改了标题" in page
        with app.app_context():
            assert run_audit().ok
            lottery = db.session.scalar(sa.select(Lottery))
            assert lottery.state == "open"
        assert _sign_up(city, city.agencies[1], req.public_id) == 302
        with app.app_context():
            assert run_audit().ok
            assert [e["type"] for e in log.events_of(lottery.lottery_id)] == [
                "announce", "register", "register"]


def test_amend_refuses_a_bad_label_before_its_first_write(city: City) -> None:
    """The operation itself, without the request's rollback: the old lottery is not voided
    and nothing is logged when the void or the new announcement would be refused."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        with app.test_request_context():
            request = db.session.get(SelectionRequest, req.id)
            owner = db.session.get(Organisation, request.owner_org_id)
            user = db.session.scalar(sa.select(User).where(User.email == city.owner.email))
            size = log.size()
            data = request_ops.input_of(request)
            data.title = "改了标题"
            with pytest.raises(SelectionError) as caught:  # a reason written around the form
                request_ops.amend(owner, request, data, f"更正{ZWSP}标题", user)
            assert caught.value.field == "reason"
            # A witness label written around the form reaches the re-announcement (an
            # amendment's last step) and is refused before the void is written.
            witness = min(request.witnesses, key=lambda w: w.position)
            witness.label = f"见证人1：张{ZWSP}三"
            with pytest.raises(SelectionError) as caught:
                draw.reannounce(request, "公告更正：标题")
            assert caught.value.field == "witnesses"
            db.session.flush()
            assert log.size() == size
            assert [lo.state for lo in db.session.scalars(sa.select(Lottery))] == ["open"]
            db.session.rollback()


def test_a_witness_name_with_an_invisible_character_is_logged_without_it(city: City) -> None:
    """An amendment builds the witnesses' labels afresh from their names: a name written
    around the form with a zero-width space gives a label the log accepts."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        with app.app_context():
            regulator = db.session.scalar(sa.select(User).where(
                User.email == city.regulator.email))
            regulator.name = f"监管{ZWSP}人员甲"
            db.session.commit()
        status, page = _amend(city, req, title="改了标题", reason="更正标题")
        assert status == 302, page[-2000:]
    with app.app_context():
        new = draw.current_lottery(db.session.get(SelectionRequest, req.id))
        labels = [e["label"] for e in new.announcement["entropy_plan"]]
        assert "见证人2：监管人员甲（监管人员）" in labels
        assert not any(ZWSP in label for label in labels)
        assert run_audit().ok


def test_amend_with_a_multi_line_reason_logs_it_on_one_line(city: City) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        status, page = _amend(city, req, title="第三小学改扩建环评（更正）",
                              reason="标题有误\r\n更正为正式名称")
        assert status == 302, page[-2000:]
    with app.app_context():
        old, new = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert (old.state, new.replaces) == ("void", old.lottery_id)
        assert log.events_of(old.lottery_id)[-1]["data"]["reason"] == \
            "公告更正：标题有误 更正为正式名称"
        assert run_audit().ok


def test_upholding_an_objection_with_a_multi_line_reason(city: City, tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, drawn_at = lot.record["ranking"], lot.drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        assert _object(city, _person(city, ranking[2]), rid) == 302
        reg = city.client(city.regulator)
        r = reg.post("/regulator/objections/1", data={
            "decision": "uphold", "reason": "中选机构资质确已过期。\r\n见附件第二页。",
            "csrf_token": csrf_token(reg, "/regulator/objections")})
        assert r.status_code == 302
    with app.app_context():
        objection = db.session.get(Objection, 1)
        assert objection.state == "upheld"
        assert objection.decision_reason == "中选机构资质确已过期。\n见附件第二页。"  # LF kept
        void = log.events_of(lottery_id)[-1]
        assert void["type"] == "void"
        assert void["data"]["reason"] == "异议成立：中选机构资质确已过期。 见附件第二页。"
        assert run_audit().ok


def test_decline_and_withdraw_refuse_a_reason_the_log_refuses_before_writing(
        city: City, tmp_path: Path) -> None:
    app = city.app
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        winner = _person(city, lot.record["ranking"][0])
        drawn_at = lot.drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)), app.test_request_context():
        award = db.session.get(Award, 1)
        agency = db.session.get(Organisation, winner.org_id)
        user = db.session.get(User, winner.user_id)
        size = log.size()
        with pytest.raises(SelectionError) as caught:
            procedures.decline(award, agency, user, f"人手不足{ZWSP}")
        assert caught.value.field == "reason"
        db.session.flush()
        assert log.size() == size and db.session.get(Award, 1).state == "offered"
        db.session.rollback()
    with timeutil.frozen(START):
        req = _publish(city, title="另一项")
        assert _sign_up(city, city.agencies[0], req.public_id) == 302
        with app.test_request_context():
            request = db.session.get(SelectionRequest, req.id)
            agency = db.session.get(Organisation, city.agencies[0].org_id)
            user = db.session.get(User, city.agencies[0].user_id)
            size = log.size()
            with pytest.raises(SelectionError) as caught:
                draw.withdraw(request, agency, user, "\u202e退出")  # a bidi override (Cf)
            assert caught.value.field == "reason"
            db.session.flush()
            assert log.size() == size
            db.session.rollback()


def test_the_bid_log_checks_its_events_before_writing(app) -> None:
    with pytest.raises(Invalid):
        bidlog.check_event_data("void", {"round": 1, "reason": "第一行\n第二行",
                                         "decided_by": "u-1"})
    with pytest.raises(Invalid):
        bidlog.check_event_data("decline", {"agency_id": "AG-000001", "reason": "e\u0301",
                                            "replacement": None, "by": "u-1"})
    with pytest.raises(Invalid):
        bidlog.check_event_data("bid", {"round": 1, "agency_id": "AG 1", "commitment": "0" * 64,
                                        "replaces": None, "by": "u-1"})
    bidlog.check_event_data("void", {"round": 2, "reason": "异议成立：报价有误",
                                     "decided_by": "u-1"})


def test_amend_with_the_witnesses_in_another_order(city: City) -> None:
    """Replacing the witnesses (unique by position and by person) used to insert the new rows
    before deleting the old ones: every amendment answered 500."""
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city)
        data = _request_form(city, req.project_id)
        swapped = list(reversed(data["witnesses"]))
        status, page = _amend(city, req, witnesses=swapped, reason="见证顺序调整")
        assert status == 302, page[-2000:]
    with app.app_context():
        request = db.session.get(SelectionRequest, req.id)
        assert [str(w.user_id) for w in sorted(request.witnesses, key=lambda w: w.position)] \
            == swapped
        new = draw.current_lottery(request)
        labels = [e["label"] for e in new.announcement["entropy_plan"][:2]]
        assert labels[0].startswith("见证人1") and labels[1].startswith("见证人2")
        assert run_audit().ok
