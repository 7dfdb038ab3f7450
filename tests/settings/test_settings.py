"""The operator's settings: a change takes effect from its date, never reaching back; each is
audited and listed; bad input is refused next to its field and changes nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.accounts import tenants
from market.accounts.audit import AuditEvent
from market.db import db
from market.settings import service
from market.settings.models import SettingChange
from tests.conftest import create_person, csrf_token, login

NOW = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)  # a Monday, 10:00 in Beijing
TODAY = date(2026, 6, 1)


def operator_client(app: Flask) -> FlaskClient:
    who = create_person(app, "operator")
    c = app.test_client()
    assert login(c, who.email).status_code == 302
    return c


def post(c: FlaskClient, **data: str) -> tuple[int, str]:
    data["csrf_token"] = csrf_token(c, "/operator/settings")
    r = c.post("/operator/settings", data=data)
    return r.status_code, r.get_data(as_text=True)


def rows(app: Flask) -> list[tuple[str, int, date]]:
    with app.app_context():
        return [(r.key, r.value, r.effective_from) for r in
                db.session.scalars(sa.select(SettingChange).order_by(SettingChange.id))]


def test_a_change_applies_from_its_date_and_is_audited_and_listed(any_app: Flask) -> None:
    with timeutil.frozen(NOW):
        c = operator_client(any_app)
        status, _ = post(c, key="PUBLICITY_WORKING_DAYS", value="5",
                         effective_from="2026-06-03", reason="市政务服务管理局通知")
        assert status == 302
        status, _ = post(c, key="DIRECT_SELECTION_THRESHOLD_FEN", value="30,000.50",
                         effective_from=TODAY.isoformat(), reason="预算调整")
        assert status == 302
        page = c.get("/operator/settings").get_data(as_text=True)
    assert rows(any_app) == [("PUBLICITY_WORKING_DAYS", 5, date(2026, 6, 3)),
                             ("DIRECT_SELECTION_THRESHOLD_FEN", 3_000_050, TODAY)]
    history = page.split('data-test="setting-history"')[1]
    assert "2026-06-03" in history and "市政务服务管理局通知" in history and "30,000.50" in history
    publicity = page.split('data-test="setting-PUBLICITY_WORKING_DAYS"')[1].split("</tr>")[0]
    assert "2026-06-03" in publicity  # scheduled, shown beside today's value
    with any_app.app_context():
        # The operator is a city's: its changes are the city's own, the province keeps the
        # config's numbers (tests/accounts/test_tenants.py covers the inheritance).
        city = tenants.home_tenant().id
        default = int(any_app.config["PUBLICITY_WORKING_DAYS"])
        with timeutil.frozen(NOW):
            assert service.effective("PUBLICITY_WORKING_DAYS", None, city) == default
            assert service.effective("DIRECT_SELECTION_THRESHOLD_FEN", None, city) == 3_000_050
            assert service.effective("DIRECT_SELECTION_THRESHOLD_FEN") == int(
                any_app.config["DIRECT_SELECTION_THRESHOLD_FEN"])
        # the Beijing date decides: 2026-06-02 16:00 UTC is already 06-03 in Beijing
        assert service.effective("PUBLICITY_WORKING_DAYS",
                                 datetime(2026, 6, 2, 15, 59, tzinfo=UTC), city) == default
        assert service.effective("PUBLICITY_WORKING_DAYS",
                                 datetime(2026, 6, 2, 16, 0, tzinfo=UTC), city) == 5
        events = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:setting:change").order_by(AuditEvent.id)).all()
        assert [(e.target, e.details["value"], e.details["effective_from"]) for e in events] == [
            ("PUBLICITY_WORKING_DAYS", 5, "2026-06-03"),
            ("DIRECT_SELECTION_THRESHOLD_FEN", 3_000_050, "2026-06-01")]


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"effective_from": "2026-05-31"}, "effective_from", "不得早于今天"),
    ({"value": "0"}, "value", "1 至 30"),
    ({"value": "31"}, "value", "1 至 30"),
    ({"value": "3.5"}, "value", "请填写整数"),
    ({"value": "-1"}, "value", "请填写整数"),
    ({"value": "99999999999999999999"}, "value", "请填写整数"),
    ({"key": "SECRET_KEY"}, "key", "没有这项设置"),
    ({"key": "DIRECT_SELECTION_THRESHOLD_FEN", "value": "1.234"}, "value", "金额"),
    ({"key": "DIRECT_SELECTION_THRESHOLD_FEN", "value": "100000001"}, "value", "元之间"),
    ({"reason": ""}, "reason", "请填写此项"),
    ({"effective_from": "2026-02-30"}, "effective_from", "年-月-日"),
])
def test_bad_input_is_refused_next_to_its_field_and_nothing_is_stored(
        app: Flask, data: dict[str, str], field: str, message: str) -> None:
    form = {"key": "SIGNUP_MIN_WORKING_DAYS", "value": "5", "effective_from": "2026-06-02",
            "reason": "依据"} | data
    with timeutil.frozen(NOW):
        c = operator_client(app)
        status, page = post(c, **form)
    assert status == 400
    error = page.split(f'id="{field}-msg"')[1].split("</p>")[0]
    assert message in error
    if form["value"]:
        assert f'value="{form["value"]}"' in page or form["value"] in page  # kept
    assert rows(app) == []


def test_the_same_value_and_a_second_change_today_are_refused_a_future_one_replaced(
        app: Flask) -> None:
    with timeutil.frozen(NOW):
        c = operator_client(app)
        default = str(app.config["SIGNUP_MIN_WORKING_DAYS"])
        status, page = post(c, key="SIGNUP_MIN_WORKING_DAYS", value=default,
                            effective_from="2026-06-05", reason="x")
        assert status == 400 and "无需变更" in page
        assert post(c, key="SIGNUP_MIN_WORKING_DAYS", value="4", effective_from="2026-06-01",
                    reason="x")[0] == 302
        status, page = post(c, key="SIGNUP_MIN_WORKING_DAYS", value="6",
                            effective_from="2026-06-01", reason="改正")
        assert status == 400 and "今天已有一项生效的变更" in page
        assert post(c, key="SIGNUP_MIN_WORKING_DAYS", value="7", effective_from="2026-06-08",
                    reason="x")[0] == 302
        assert post(c, key="SIGNUP_MIN_WORKING_DAYS", value="8", effective_from="2026-06-08",
                    reason="改正笔误")[0] == 302
    assert rows(app) == [("SIGNUP_MIN_WORKING_DAYS", 4, TODAY),
                         ("SIGNUP_MIN_WORKING_DAYS", 8, date(2026, 6, 8))]
    with app.app_context():
        replaced = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:setting:change")).all()[-1]
        assert replaced.details["replaces"] == 7 and replaced.details["before"] == 4


def test_only_the_operator_reaches_the_page(role_clients: dict[str, FlaskClient]) -> None:
    for role, c in role_clients.items():
        status = c.get("/operator/settings").status_code
        assert status == (200 if role == "operator" else 302 if role == "anonymous" else 403)
