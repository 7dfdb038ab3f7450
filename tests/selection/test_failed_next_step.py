"""A failed request (流标) has a next step: the owner re-announces it (a new notice linked to the
failed one, terms editable) or withdraws it (撤销, with a public reason, before any draw)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.notify.models import Notification
from market.selection import bidlog
from market.selection.models import Lottery, SelectionRequest, SignUp
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import assign_to_delegate as _assign_to_delegate
from tests.support.selection_flow import bid as _bid
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up

CLOSED = START + timedelta(days=7, minutes=1)


def _failed(city: City) -> str:
    """A lottery request with two sign-ups (three needed), closed: failed."""
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:2]:
            assert _sign_up(city, a, req.public_id) == 302
    with timeutil.frozen(CLOSED):
        city.app.test_client().get(f"/notices/{req.public_id}")  # closes lazily
    with city.app.app_context():
        assert db.session.scalar(sa.select(SelectionRequest.state)) == "failed"
    return req.public_id


def _request(city: City, public_id: str) -> SelectionRequest:
    return db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == public_id))


def _log_types(city: City) -> list[str]:
    with city.app.app_context():
        return [json.loads(leaf)["type"] for leaf in log.leaves(0, log.size())]


def _withdraw(city: City, who: object, public_id: str, reason: str) -> tuple[int, str]:
    c = city.client(who)  # type: ignore[arg-type]
    r = c.post(f"/owner/requests/{public_id}/withdraw", data={
        "reason": reason, "csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
    return r.status_code, r.get_data(as_text=True)


def test_a_failed_request_is_re_announced_with_relaxed_terms_and_both_notices_link(
        city: City) -> None:
    failed_id = _failed(city)
    with timeutil.frozen(CLOSED + timedelta(hours=1)):
        c = city.client(city.owner)
        page = c.get(f"/owner/requests/{failed_id}").get_data(as_text=True)
        assert 'data-test="next-step"' in page and 'data-test="reannounce"' in page
        form = c.get(f"/owner/requests/{failed_id}/reannounce").get_data(as_text=True)
        # the failed notice's terms, with a new window of the minimum length from today
        assert 'value="第三小学改扩建环评"' in form and 'value="30000.00"' in form
        assert 'value="2026-03-12T09:00"' in form  # 3 working days after Mon 9 March
        data = {
            "project_id": "1", "service_code": "EIA", "title": "第三小学改扩建环评（重新公告）",
            "scope": "编制环境影响报告表", "qualification_type": "", "qualification_level": "",
            "price_kind": "fixed", "price": "35000", "service_days": "20", "signing_days": "5",
            "method": "lottery", "signup_closes_at": "2026-03-13T09:00",
            "external_kind": "ssq", "avoid": "",
            "witnesses": [str(city.delegate.user_id), str(city.regulator.user_id)],
            "csrf_token": csrf_token(c, f"/owner/requests/{failed_id}/reannounce")}
        bad = dict(data, signup_closes_at="2026-03-10T09:00", price="")
        r = c.post(f"/owner/requests/{failed_id}/reannounce", data=bad)
        assert r.status_code == 400
        with city.app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 1
        r = c.post(f"/owner/requests/{failed_id}/reannounce", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
        new_id = r.headers["Location"].rsplit("/", 1)[1]
        # a draft is private: the failed notice does not name it yet
        assert 'data-test="reannounced-as"' not in city.app.test_client().get(
            f"/notices/{failed_id}").get_data(as_text=True)
        # asking again opens the same draft instead of a second one
        again = c.get(f"/owner/requests/{failed_id}/reannounce")
        assert again.status_code == 302 and again.headers["Location"].endswith(
            f"/owner/requests/{new_id}/edit")
        r = c.post(f"/owner/requests/{new_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{new_id}")})
        assert r.status_code == 302
        anyone = city.app.test_client()
        old_notice = anyone.get(f"/notices/{failed_id}").get_data(as_text=True)
        new_notice = anyone.get(f"/notices/{new_id}").get_data(as_text=True)
        assert f'href="/notices/{new_id}"' in old_notice and 'data-test="reannounced-as"' in old_notice
        assert f'href="/notices/{failed_id}"' in new_notice and 'data-test="reannounces"' in new_notice
        # a published re-announcement: the failed one can no longer be withdrawn
        status, html = _withdraw(city, city.owner, failed_id, "不再需要")
        assert status == 400 and f"该公告已重新公告为 {new_id}" in html
    with city.app.app_context():
        new = _request(city, new_id)
        assert new.reannounces.public_id == failed_id and new.state == "open"
        assert new.price_fen == 3_500_000 and new.version == 1
        lots = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert [(lt.request_id, lt.state, lt.replaces) for lt in lots] == [
            (1, "void", None), (new.id, "open", None)]
        assert run_audit().ok
        tags = list(db.session.scalars(sa.select(AuditEvent.tag)))
        assert "owner:request:reannounce" in tags
    detail = city.app.test_client().get(f"/api/requests/{new_id}").get_json()
    assert detail["reannounces"] == failed_id
    assert city.app.test_client().get(f"/api/requests/{failed_id}").get_json()[
        "reannounced_as"] == new_id


def test_a_failed_request_is_withdrawn_with_a_public_reason(city: City) -> None:
    failed_id = _failed(city)
    before = _log_types(city)
    with city.app.app_context():
        project_id = _request(city, failed_id).project_id
    with timeutil.frozen(CLOSED + timedelta(hours=2)):
        # the delegate acts on the projects the administrator assigned to it
        _assign_to_delegate(city, project_id)
        # by the owner's delegate: no reason is a 400 next to the field, nothing changes
        status, html = _withdraw(city, city.delegate, failed_id, "  ")
        assert status == 400 and '<p class="error" id="reason-msg">请填写此项。</p>' in html
        with city.app.app_context():
            assert _request(city, failed_id).state == "failed"
        status, html = _withdraw(city, city.delegate, failed_id, "项目已调整，不再采购该服务")
        assert status == 302
        notice = city.app.test_client().get(f"/notices/{failed_id}").get_data(as_text=True)
        assert 'data-test="cancel-reason"' in notice and "项目已调整，不再采购该服务" in notice
        assert "已撤销" in notice
        # twice: refused
        assert _withdraw(city, city.owner, failed_id, "再撤一次")[0] == 400
        # the failed lottery was voided at the close: no second void
        assert _log_types(city) == before
    with city.app.app_context():
        req = _request(city, failed_id)
        assert (req.state, req.cancel_reason) == ("cancelled", "项目已调整，不再采购该服务")
        assert req.cancelled_by_id == city.delegate.user_id
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "owner:request:withdraw"))
        assert event is not None
        told = {n.organisation_id for n in db.session.scalars(sa.select(Notification).where(
            Notification.state == "cancelled"))}
        assert told == {a.org_id for a in city.agencies[:2]}
    api = city.app.test_client().get(f"/api/requests/{failed_id}").get_json()
    assert api["state"] == "cancelled" and api["cancel_reason"] == "项目已调整，不再采购该服务"


def test_a_re_announcement_draft_of_a_withdrawn_request_cannot_be_published(city: City) -> None:
    failed_id = _failed(city)
    with timeutil.frozen(CLOSED + timedelta(hours=1)):
        c = city.client(city.owner)
        form = c.get(f"/owner/requests/{failed_id}/reannounce").get_data(as_text=True)
        assert "reannouncing" in form
        data = {"project_id": "1", "service_code": "EIA", "title": "重新公告", "scope": "编制",
                "price_kind": "fixed", "price": "30000", "service_days": "20",
                "signing_days": "5", "method": "lottery", "signup_closes_at": "2026-03-13T09:00",
                "external_kind": "ssq",
                "witnesses": [str(city.delegate.user_id), str(city.regulator.user_id)],
                "csrf_token": csrf_token(c, f"/owner/requests/{failed_id}/reannounce")}
        r = c.post(f"/owner/requests/{failed_id}/reannounce", data=data)
        assert r.status_code == 302
        new_id = r.headers["Location"].rsplit("/", 1)[1]
        assert _withdraw(city, city.owner, failed_id, "改为自行组织")[0] == 302
        r = c.post(f"/owner/requests/{new_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{new_id}")})
        assert r.status_code == 302
        assert "已撤销，不能再重新公告" in c.get(r.headers["Location"]).get_data(as_text=True)
    with city.app.app_context():
        assert _request(city, new_id).state == "draft"
        assert db.session.scalar(sa.select(sa.func.count(Lottery.id))) == 1


def test_an_open_lottery_is_withdrawn_with_a_void_by_the_owner(city: City) -> None:
    with timeutil.frozen(START):
        req = _publish(city)
        public_id = req.public_id
        for a in city.agencies[:3]:
            assert _sign_up(city, a, public_id) == 302
        c = city.client(city.agencies[2])
        c.post(f"/agency/requests/{public_id}/withdraw",
               data={"reason": "人手不足", "csrf_token": csrf_token(c, "/agency/signups")})
    with timeutil.frozen(START + timedelta(days=2)):
        status, _html = _withdraw(city, city.owner, public_id, "项目暂缓实施")
        assert status == 302
        # sign-up is over for good
        assert _sign_up(city, city.agencies[3], public_id) == 302
    with timeutil.frozen(CLOSED):
        city.app.test_client().get(f"/notices/{public_id}")  # a close that is no longer due
    with city.app.app_context():
        leaves = [json.loads(leaf) for leaf in log.leaves(0, log.size())]
        assert [e["type"] for e in leaves] == ["announce", "register", "register", "register",
                                              "withdraw", "void"]
        owner_account = db.session.scalar(sa.text(
            "SELECT account_id FROM user_account WHERE id = :i"), {"i": city.owner.user_id})
        assert leaves[-1]["data"] == {"reason": "业主撤销公告：项目暂缓实施",
                                      "decided_by": owner_account}
        assert db.session.scalar(sa.select(Lottery.state)) == "void"
        assert _request(city, public_id).state == "cancelled"
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 3
        # the two agencies still signed up are told; the one that left is not
        told = {n.organisation_id for n in db.session.scalars(sa.select(Notification))}
        assert told == {a.org_id for a in city.agencies[:2]}
        assert run_audit().ok


def test_after_the_freeze_only_a_regulator_may_void_so_the_owner_cannot_withdraw(
        city: City) -> None:
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            assert _sign_up(city, a, req.public_id) == 302
    with timeutil.frozen(CLOSED):
        city.app.test_client().get(f"/notices/{req.public_id}")
        before = _log_types(city)
        status, html = _withdraw(city, city.owner, req.public_id, "项目暂缓实施")
        assert status == 400 and "只有监管部门可以作废本次摇号" in html
        assert _log_types(city) == before and before[-1] == "freeze"
        page = city.client(city.owner).get(f"/owner/requests/{req.public_id}").get_data(
            as_text=True)
        assert 'data-test="withdraw"' not in page and "名单已冻结，业主不能再撤销" in page
    with city.app.app_context():
        assert _request(city, req.public_id).state == "closed"


def test_an_unopened_sealed_bid_is_withdrawn_and_its_quotes_stay_sealed(city: City) -> None:
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        _bid(city, city.agencies[0], req.public_id, "33000")
        _bid(city, city.agencies[1], req.public_id, "31000")
        status, _html = _withdraw(city, city.owner, req.public_id, "预算调整")
        assert status == 302
    with timeutil.frozen(CLOSED):
        city.app.test_client().get(f"/notices/{req.public_id}")  # no opening after withdrawal
    with city.app.app_context():
        r = _request(city, req.public_id)
        assert (r.state, r.opened_at) == ("cancelled", None)
        leaves = [json.loads(leaf) for leaf in bidlog.leaves(0, bidlog.size())]
        assert [e["type"] for e in leaves] == ["bid", "bid", "void"]
        assert leaves[-1]["data"]["reason"] == "业主撤销公告：预算调整"
        assert leaves[-1]["data"]["round"] == 1
        assert "33000" not in json.dumps(leaves) and "3300000" not in json.dumps(leaves)
        told = {n.organisation_id for n in db.session.scalars(sa.select(Notification))}
        assert told == {a.org_id for a in city.agencies[:2]}


def test_another_owner_can_neither_withdraw_nor_re_announce(city: City) -> None:
    from tests.conftest import create_person

    failed_id = _failed(city)
    stranger = create_person(city.app, "owner_admin")
    with timeutil.frozen(CLOSED + timedelta(hours=1)):
        c = city.client(stranger)
        token = csrf_token(c, "/owner/requests")
        assert c.post(f"/owner/requests/{failed_id}/withdraw",
                      data={"reason": "x", "csrf_token": token}).status_code == 404
        assert c.get(f"/owner/requests/{failed_id}/reannounce").status_code == 404
    with city.app.app_context():
        assert _request(city, failed_id).state == "failed"


def test_a_selected_request_cannot_be_withdrawn_or_re_announced(city: City,
                                                                 tmp_path: Path) -> None:
    from tests.support.selection_flow import lottery_to_draw as _lottery_to_draw

    drawn_id, _lottery_id = _lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        drawn_at = db.session.scalar(sa.select(Lottery).where(Lottery.state == "drawn")).drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        before = _log_types(city)
        status, html = _withdraw(city, city.owner, drawn_id, "不想要这个结果")
        assert status == 400 and "已选出中选机构，不能撤销" in html
        assert _log_types(city) == before
        # and a request that did not fail cannot be re-announced
        assert city.client(city.owner).get(
            f"/owner/requests/{drawn_id}/reannounce").status_code == 404
    with city.app.app_context():
        assert _request(city, drawn_id).state == "selected"
