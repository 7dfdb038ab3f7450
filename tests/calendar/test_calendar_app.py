"""The calendar API around 2026's holidays, and operators entering a year's notice."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask

from market.accounts.audit import AuditEvent
from market.db import db
from tests.conftest import create_person, csrf_token, login


def test_add_skips_national_day_2026_and_counts_make_up_days(app: Flask) -> None:
    client = app.test_client()
    # 2026 National Day: 10-01..10-07 off (10-08 too per the library), 09-20 and 10-10 on.
    r = client.get("/api/calendar/add?start=2026-09-30&days=1")
    assert r.status_code == 200
    body = r.get_json()
    assert set(body) == {"due", "provisional"}
    assert body["due"] >= "2026-10-08"
    # Start day not counted: one working day after a Friday is the next Monday.
    assert client.get("/api/calendar/add?start=2026-03-06&days=1").get_json()["due"] == "2026-03-09"
    assert client.get("/api/calendar/add?start=2026-03-06&days=0").get_json()["due"] == "2026-03-06"


def test_count_is_the_working_days_in_the_half_open_interval(app: Flask) -> None:
    client = app.test_client()
    body = client.get("/api/calendar/count?from=2026-03-06&to=2026-03-13").get_json()
    assert body["working_days"] == 5
    assert client.get("/api/calendar/count?from=2026-03-06&to=2026-03-06").get_json()[
        "working_days"] == 0


def test_add_and_count_agree_around_spring_festival_2026(app: Flask) -> None:
    client = app.test_client()
    for n in (1, 3, 7, 12):
        due = client.get(f"/api/calendar/add?start=2026-02-10&days={n}").get_json()["due"]
        count = client.get(f"/api/calendar/count?from=2026-02-10&to={due}").get_json()
        assert count["working_days"] == n


def test_bad_input_is_a_400_with_a_message(app: Flask) -> None:
    client = app.test_client()
    for url in ("/api/calendar/add?start=2026-02-30&days=1",
                "/api/calendar/add?start=2026-02-01&days=-1",
                "/api/calendar/add?start=2026-02-01&days=x",
                "/api/calendar/add?days=1",
                "/api/calendar/add?start=1999-12-31&days=1",
                "/api/calendar/add?start=2100-12-01&days=9999",
                "/api/calendar/count?from=2026-01-02&to=2026-01-01",
                "/api/calendar/count?from=bad&to=2026-01-01"):
        r = client.get(url)
        assert r.status_code == 400, url
        assert r.get_json()["error"]["message"]


def test_operator_confirms_a_year_and_it_takes_effect(app: Flask) -> None:
    op = create_person(app, "operator", provincial=True)
    c = app.test_client()
    login(c, op.email)
    client = app.test_client()
    assert client.get("/api/calendar/add?start=2026-03-06&days=1").get_json() == {
        "due": "2026-03-09", "provisional": True}
    # A fictional extra day off on Monday 2026-03-09 and a make-up Saturday 2026-03-14.
    response = c.post("/operator/calendar/2026", data={
        "days_off": "2026-01-01\n2026-03-09", "days_on": "2026-03-14",
        "source": "测试通知〔2026〕1号", "confirmed": "y",
        "csrf_token": csrf_token(c, "/operator/calendar/2026")})
    assert response.status_code == 302
    assert client.get("/api/calendar/add?start=2026-03-06&days=1").get_json() == {
        "due": "2026-03-10", "provisional": False}
    assert client.get("/api/calendar/count?from=2026-03-13&to=2026-03-14").get_json()[
        "working_days"] == 1
    with app.app_context():
        assert db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:calendar:save")).target == "2026"
    assert "data-test=\"provisional\"" not in client.get("/calendar?year=2026").get_data(
        as_text=True)


def test_operator_bad_dates_are_refused_and_nothing_changes(app: Flask) -> None:
    op = create_person(app, "operator", provincial=True)
    c = app.test_client()
    login(c, op.email)
    for days_off, days_on, message in (
        ("2026-02-30", "", "不存在的日期"),
        ("soon", "", "无法识别的日期"),
        ("", "2026-03-10", "是工作日"),
        ("2030-01-01", "", "日期须在"),
    ):
        r = c.post("/operator/calendar/2026", data={
            "days_off": days_off, "days_on": days_on, "source": "x",
            "csrf_token": csrf_token(c, "/operator/calendar/2026")})
        page = r.get_data(as_text=True)
        # refused as every form refuses: 400, next to the field
        assert r.status_code == 400 and message in page, (days_off, days_on)
        field = "days_off" if days_off else "days_on"
        assert re.search(rf'<p class="error" id="{field}-msg">[^<]*{message}', page), field
        assert days_off in page  # what was typed is kept
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.tag == "operator:calendar:save")) == 0


def test_year_page_marks_provisional_years(app: Flask) -> None:
    page = app.test_client().get("/calendar?year=2027").get_data(as_text=True)
    assert 'data-test="provisional"' in page
    assert app.test_client().get("/calendar?year=1900").status_code == 404


def test_2026_holidays_and_make_up_days_exactly(app: Flask) -> None:
    """国办发明电〔2025〕7号: National Day 10-01..10-07 off with 09-20 (Sun) and 10-10 (Sat)
    worked; Spring Festival 02-15..02-23 off with 02-14 (Sat) and 02-28 (Sat) worked."""
    client = app.test_client()

    def add(start: str, days: int) -> str:
        return client.get(f"/api/calendar/add?start={start}&days={days}").get_json()["due"]

    def count(a: str, b: str) -> int:
        return client.get(f"/api/calendar/count?from={a}&to={b}").get_json()["working_days"]

    assert add("2026-09-30", 1) == "2026-10-08"
    assert add("2026-09-18", 1) == "2026-09-20"  # a Sunday, worked
    assert add("2026-10-09", 1) == "2026-10-10"  # a Saturday, worked
    assert add("2026-02-13", 1) == "2026-02-14"  # a Saturday, worked
    assert add("2026-02-14", 1) == "2026-02-24"  # through the Spring Festival
    assert add("2026-02-27", 1) == "2026-02-28"
    assert count("2026-09-30", "2026-10-12") == 4  # 10-08, 10-09, 10-10, 10-12
    assert count("2026-02-13", "2026-03-02") == 7  # 02-14, 02-24..02-27, 02-28, 03-02
