"""A request keeps the numbers it was published with: the operator's later change of the
minimum sign-ups reaches requests published after its date, never one already open; a new
sign-up window is checked against the minimum in force on the day it is published."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import project, publish, request_form, sign_up


def change(city: City, key: str, value: str, day: str) -> None:
    c = city.client(city.operator)
    r = c.post("/operator/settings", data={
        "key": key, "value": value, "effective_from": day, "reason": "测试",
        "csrf_token": csrf_token(c, "/operator/settings")})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]


def state(city: City, public_id: str) -> str:
    with city.app.app_context():
        return db.session.scalar(sa.select(SelectionRequest.state).where(
            SelectionRequest.public_id == public_id))


def test_a_published_request_keeps_its_minimum_of_sign_ups(city: City) -> None:
    tomorrow = (START + timedelta(days=1)).astimezone(timeutil.SHANGHAI).date().isoformat()
    with timeutil.frozen(START):
        before = publish(city, title="公告一")
        change(city, "MIN_ELIGIBLE_REGISTRANTS", "5", tomorrow)
    with timeutil.frozen(START + timedelta(days=1, hours=1)):
        after = publish(city, title="公告二")
        for a in city.agencies[:4]:
            assert sign_up(city, a, before.public_id) == 302
            assert sign_up(city, a, after.public_id) == 302
    with timeutil.frozen(START + timedelta(days=8)):
        for rid in (before.public_id, after.public_id):
            city.app.test_client().get(f"/notices/{rid}")
        # four eligible: enough under the three it was published with, not under the five
        assert state(city, before.public_id) == "closed"
        assert state(city, after.public_id) == "failed"


def test_a_new_window_is_checked_against_the_minimum_in_force(city: City) -> None:
    tomorrow = (START + timedelta(days=1)).astimezone(timeutil.SHANGHAI).date().isoformat()
    with timeutil.frozen(START):
        change(city, "SIGNUP_MIN_WORKING_DAYS", "10", tomorrow)
        publish(city, title="今日发布")  # five working days ahead: enough today
    with timeutil.frozen(START + timedelta(days=1)):
        c = city.client(city.owner)
        data = request_form(city, project(city), title="明日发布")
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        assert r.status_code == 400
        assert "报名期至少 10 个工作日" in r.get_data(as_text=True)


def test_a_change_for_today_spares_what_was_published_this_morning(city: City) -> None:
    today = START.astimezone(timeutil.SHANGHAI).date().isoformat()
    with timeutil.frozen(START):
        morning = publish(city, title="上午发布")
    with timeutil.frozen(START + timedelta(hours=1)):
        change(city, "MIN_ELIGIBLE_REGISTRANTS", "5", today)
    with timeutil.frozen(START + timedelta(hours=2)):
        noon = publish(city, title="中午发布")
        for a in city.agencies[:4]:
            assert sign_up(city, a, morning.public_id) == 302
            assert sign_up(city, a, noon.public_id) == 302
    with timeutil.frozen(START + timedelta(days=8)):
        for rid in (morning.public_id, noon.public_id):
            city.app.test_client().get(f"/notices/{rid}")
        assert state(city, morning.public_id) == "closed"
        assert state(city, noon.public_id) == "failed"
