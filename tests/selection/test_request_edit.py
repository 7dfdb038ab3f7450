"""The owner corrects a notice: editing a draft and amending a published request, with the
witnesses (and the avoid list) kept, changed, reordered or removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection.models import Amendment, Lottery, SelectionRequest, Witness
from market.transparency.audit import run_audit
from tests.conftest import create_person, csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import sign_up as _sign_up


def _ids(city: City, *people: object) -> list[str]:
    with city.app.app_context():
        return [str(db.session.scalar(sa.select(User.id).where(User.email == p.email)))  # type: ignore[attr-defined]
                for p in people]


def _witnesses(city: City, public_id: str) -> list[tuple[int, str]]:
    with city.app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))
        rows = db.session.scalars(sa.select(Witness).where(Witness.request_id == req.id)
                                  .order_by(Witness.position)).all()
        return [(w.user_id, w.label) for w in rows]


def _draft(city: City) -> str:
    c = city.client(city.owner)
    data = _request_form(city, _project(city))
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    return r.headers["Location"].rsplit("/", 1)[1]


@pytest.fixture
def second_regulator(city: City) -> object:
    return create_person(city.app, "regulator")


def _orders(city: City, extra: object) -> dict[str, list[object]]:
    d, r = city.delegate, city.regulator
    return {"kept": [d, r], "changed": [d, extra], "reordered": [r, d], "removed": [r],
            "added": [r, d, extra]}


@pytest.mark.parametrize("case", ["kept", "changed", "reordered", "removed", "added"])
def test_editing_a_draft_keeps_changes_reorders_or_removes_witnesses(
        city: City, second_regulator: object, case: str) -> None:
    with timeutil.frozen(START):
        public_id = _draft(city)
        c = city.client(city.owner)
        people = _orders(city, second_regulator)[case]
        data = _request_form(city, 0, title="第三小学改扩建环评（修改）")
        with city.app.app_context():
            data["project_id"] = str(db.session.scalar(sa.select(SelectionRequest.project_id)))
        data["witnesses"] = _ids(city, *people)
        data["avoid"] = ""
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{public_id}/edit")
        r = c.post(f"/owner/requests/{public_id}/edit", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
        got = _witnesses(city, public_id)
        assert [u for u, _label in got] == [int(i) for i in _ids(city, *people)]
        assert [label.split("：")[0] for _u, label in got] == [
            f"见证人{i + 1}" for i in range(len(people))]
        # saved twice in a row (nothing changed) is fine too
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{public_id}/edit")
        assert c.post(f"/owner/requests/{public_id}/edit", data=data).status_code == 302
        assert [u for u, _label in _witnesses(city, public_id)] == [
            int(i) for i in _ids(city, *people)]
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        assert r.status_code == 302
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        labels = [e["label"] for e in lot.announcement["entropy_plan"][:-1]]
        assert labels == [label for _u, label in _witnesses(city, public_id)]


@pytest.mark.parametrize("case", ["kept", "changed", "reordered", "removed", "added"])
def test_amending_a_published_request_with_witnesses_kept_or_changed(
        city: City, second_regulator: object, case: str) -> None:
    with timeutil.frozen(START):
        req = _publish(city, avoid=f"{city.agency_id(city.agencies[4])} 与设计单位同一集团")
        public_id, project_id = req.public_id, req.project_id
        assert _sign_up(city, city.agencies[0], public_id) == 302
    with timeutil.frozen(START + timedelta(days=1)):
        c = city.client(city.owner)
        people = _orders(city, second_regulator)[case]
        data = _request_form(city, project_id, scope="编制环境影响报告书（更正）",
                             avoid=f"{city.agency_id(city.agencies[4])} 与设计单位同一集团")
        data["witnesses"] = _ids(city, *people)
        data["reason"] = "服务范围由报告表改为报告书"
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{public_id}/amend")
        r = c.post(f"/owner/requests/{public_id}/amend", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
        assert [u for u, _label in _witnesses(city, public_id)] == [
            int(i) for i in _ids(city, *people)]
    with city.app.app_context():
        amendment = db.session.scalar(sa.select(Amendment))
        assert amendment.version == 2 and "scope" in amendment.changes
        lotteries = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert [lt.state for lt in lotteries] == ["void", "open"]
        plan = lotteries[1].announcement["entropy_plan"]
        assert [e["label"] for e in plan[:-1]] == [
            label for _u, label in _witnesses(city, public_id)]
        req = db.session.scalar(sa.select(SelectionRequest))
        assert [a.reason for a in req.avoid] == ["与设计单位同一集团"]
        assert [s.lottery_id for s in req.signups] == [lotteries[1].lottery_id]
        assert run_audit().ok


def test_an_amendment_cannot_switch_a_draw_to_a_sealed_bid(city: City) -> None:
    """The lottery announced for the notice would stay open forever under a sealed bid (the
    draw log then fails its audit as abandoned); a draw stays a draw."""
    with timeutil.frozen(START):
        req = _publish(city)
        public_id, project_id = req.public_id, req.project_id
    with timeutil.frozen(START + timedelta(days=1)):
        c = city.client(city.owner)
        data = _request_form(city, project_id, method="sealed_bid", price_kind="cap", price="",
                             cap="40000", reason="改为竞价")
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{public_id}/amend")
        r = c.post(f"/owner/requests/{public_id}/amend", data=data)
        assert r.status_code == 400
        assert "发布后不能在摇号（随机抽取、信用择优）、密封报价和直接选取之间更改选取方式" in r.get_data(
            as_text=True)
        with city.app.app_context():
            assert db.session.scalar(sa.select(SelectionRequest.method)) == "lottery"
            assert db.session.scalar(sa.select(sa.func.count(Amendment.id))) == 0
        # lottery -> credit merit is still a draw: allowed, a new lottery replaces the old
        data.update(method="credit_merit", price_kind="fixed", price="30000", cap="",
                    credit_threshold="70", shortlist_size="3")
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{public_id}/amend")
        assert c.post(f"/owner/requests/{public_id}/amend", data=data).status_code == 302
    with city.app.app_context():
        assert [lt.state for lt in db.session.scalars(
            sa.select(Lottery).order_by(Lottery.id))] == ["void", "open"]
        assert run_audit().ok


def test_reordering_witnesses_on_both_engines(any_app: object) -> None:
    """The unique (request, person) and (request, position) constraints hold on PostgreSQL
    too, where they are checked row by row as well: a swap of two witnesses saves."""
    from tests.selection.conftest import build_city

    city = build_city(any_app)  # type: ignore[arg-type]
    with timeutil.frozen(START):
        public_id = _draft(city)
        c = city.client(city.owner)
        data = _request_form(city, 0)
        with city.app.app_context():
            data["project_id"] = str(db.session.scalar(sa.select(SelectionRequest.project_id)))
        data["witnesses"] = _ids(city, city.regulator, city.delegate)
        data["csrf_token"] = csrf_token(c, f"/owner/requests/{public_id}/edit")
        r = c.post(f"/owner/requests/{public_id}/edit", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    assert [u for u, _label in _witnesses(city, public_id)] == [
        city.regulator.user_id, city.delegate.user_id]
