"""``flask clocks tick`` tells the approval system when a case's clock enters its warning days
and when it is overdue (``case.clock.warning`` / ``case.clock.overdue``, integration.md §5):
one webhook message per clock, state and due date, however often the tick runs; a new due
date (an Art. 42 extension) is news again."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from market.integration.models import WebhookDelivery, WebhookMessage
from tests.integration.helpers import (
    bearer,
    department,
    make_client,
    matter,
    owner_org,
    project,
    token,
)

PROJECT = "2026-530100-48-01-000021"
START = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai


def _tick(app: Flask, at: datetime) -> None:
    with timeutil.frozen(at):
        result = app.test_cli_runner().invoke(args=["clocks", "tick"])
    assert result.exit_code == 0, result.output


def _messages(app: Flask) -> list[dict[str, Any]]:
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookMessage).order_by(WebhookMessage.id)).all()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) \
            == len(rows)  # one endpoint: one delivery each
        return [json.loads(m.body) for m in rows]


def test_the_tick_announces_a_case_clock_once_per_state_and_due_date(any_app: Flask) -> None:
    app = any_app
    dept = department(app)
    matter(app, dept, "EIA-APPROVAL")  # 10 working days committed
    project(app, owner_org(app), PROJECT)
    system = make_client(app, "cases:write projects:read webhooks:manage",
                         department_code="YC-STHJJ")
    http = app.test_client()
    n = iter(range(1, 100))

    def send(type_: str, at: datetime, **extra: Any) -> dict[str, Any]:
        with timeutil.frozen(at):  # a token lives one hour
            bearer_token = token(http, system)
        body = {"event_id": f"evt-{next(n)}", "case_no": "SP-1", "project_code": PROJECT,
                "matter_code": "EIA-APPROVAL", "type": type_, "at": at.isoformat(), **extra}
        with timeutil.frozen(at):
            r = http.post("/api/v1/case-events", json=body, headers=bearer(bearer_token))
        assert r.status_code in (200, 201), r.get_data(as_text=True)
        return dict(r.get_json()["clock"])

    with timeutil.frozen(START):
        r = http.post("/api/v1/webhooks", headers=bearer(token(http, system)), json={
            "url": "http://127.0.0.1:9/hook",
            "events": ["case.clock.warning", "case.clock.overdue"]})
        assert r.status_code == 201, r.get_data(as_text=True)
    send("applied", START)
    clock = send("pledge_acceptance", START + timedelta(minutes=1))
    due = date.fromisoformat(clock["due_date"])

    # Every day at 09:00 and 15:00 Shanghai, each run twice (two cron instances).
    day = START.replace(hour=1)
    while day.date() <= due + timedelta(days=3):
        for hour in (0, 6):
            _tick(app, day + timedelta(hours=hour))
            _tick(app, day + timedelta(hours=hour, minutes=1))
        day += timedelta(days=1)
    seen = _messages(app)
    assert [m["type"] for m in seen] == ["case.clock.warning", "case.clock.overdue"], seen
    for m in seen:
        assert m["project_code"] == PROJECT
        assert m["data"]["case_id"].startswith("BJ-")
        assert m["data"]["matter_code"] == "EIA-APPROVAL"
        assert m["data"]["due_date"] == due.isoformat()
    assert seen[0]["data"]["clock_state"] == "warning"
    assert seen[1]["data"]["clock_state"] == "overdue"
    assert seen[1]["data"]["overdue_days"] >= 1

    # An extension moves the due date: the clock's warning and lateness are news again, once.
    late = day
    clock = send("extended", late, days=5, approved_by="张局长", extension_reason="需现场核查")
    new_due = date.fromisoformat(clock["due_date"])
    assert new_due > due
    while day.date() <= new_due + timedelta(days=3):
        _tick(app, day)
        _tick(app, day + timedelta(minutes=1))
        day += timedelta(days=1)
    again = _messages(app)[2:]
    assert [m["type"] for m in again] == ["case.clock.warning", "case.clock.overdue"], again
    assert {m["data"]["due_date"] for m in again} == {new_due.isoformat()}
