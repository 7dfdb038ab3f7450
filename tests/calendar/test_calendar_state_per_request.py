"""The calendar state (stamp and calendar of a tenant) is read once per tenant in a request
(market.calendar.service), and never served stale: a change in the same request shows on the
next read, a rolled-back one leaves nothing behind, and a change committed by another
instance shows on this one's next request — on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from market.calendar import service
from market.calendar.models import CalendarLocalDay
from market.calendar.operations import remove_local_day, save_year
from market.clocks import store as clocks
from market.db import db
from tests.calendar.test_local_days import START, _local, _tree
from tests.conftest import make_app

COUNTY = "539821"  # 青石县 of _tree, under 云岭市


@contextmanager
def _revision_reads(app: Flask) -> Iterator[list[str]]:
    """The statements that read a calendar revision while the block runs."""
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, sql: str, *_args: Any) -> None:
        if "calendar_revision" in sql or "calendar_local_revision" in sql:
            seen.append(sql)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)


def _due(tenant: int | None) -> date:
    """The first working day after START in ``tenant``'s calendar."""
    return service.current_calendar(tenant).add_working_days(START, 1)


def _setup(app: Flask) -> tuple[int, int, int]:
    with app.app_context():
        _root, home, city, county = _tree()
        _local(city)  # 火把节 in 云岭市 and its county
        db.session.commit()
    return home, city, county


def test_a_request_reads_each_tenants_state_once(any_app: Flask) -> None:
    """Four tenants asked for their state, calendar and stamp many times in one request: four
    reads of the revisions, and the same answers as reads outside a request."""
    home, city, county = _setup(any_app)
    tenants: list[int | None] = [None, home, city, county]
    with any_app.app_context():
        expected = {t: service.current_state(t) for t in tenants}
    with any_app.test_request_context(), _revision_reads(any_app) as seen:
        for _ in range(4):
            for t in tenants:
                assert service.current_state(t) == expected[t]
                assert clocks.calendar_state(t) == expected[t]
                assert service.current_calendar(t) is expected[t][1]
        assert len(seen) == len(tenants)
    with any_app.app_context(), _revision_reads(any_app) as seen:
        for t in tenants:  # outside a request nothing is kept: read at each call
            service.current_state(t)
            service.current_state(t)
        assert len(seen) == 2 * len(tenants)


def test_a_change_in_the_request_shows_at_once_and_a_rollback_leaves_nothing(
        any_app: Flask) -> None:
    """In one request: the county's calendar read, then a local day added, removed, and the
    national year changed, each seen by the very next read; after a rollback the state of
    before, read again."""
    _home, _city, county = _setup(any_app)
    with any_app.test_request_context():
        assert _due(county) == date(2026, 7, 31)  # after 火把节 (07-28..30)
        stamp = clocks.calendar_state(county)[0]
        _local(county, "2026-07-31")
        assert _due(county) == date(2026, 8, 3)
        assert clocks.calendar_state(county)[0] == stamp + 1
        own = db.session.scalar(sa.select(CalendarLocalDay.id).where(
            CalendarLocalDay.division_id == county))
        assert own is not None
        remove_local_day(county, own)
        assert _due(county) == date(2026, 7, 31)
        national = service.current_calendar()
        schedule = national.schedules[2026]
        save_year(2026, days_off_text="\n".join(
            [d.isoformat() for d in sorted(schedule.days_off)] + ["2026-07-27", "2026-07-31"]),
            days_on_text="\n".join(d.isoformat() for d in sorted(schedule.days_on)),
            source="测试通知", confirmed=True, user_id=None)
        assert _due(None) == date(2026, 7, 28)  # START itself off changes nothing after it
        assert _due(county) == date(2026, 8, 3)  # 07-31 off nationally now
        db.session.rollback()
        assert _due(county) == date(2026, 7, 31)
        assert clocks.calendar_state(county)[0] == stamp
        assert service.current_calendar() == national


def test_another_instances_change_shows_on_the_next_request(any_app: Flask,
                                                              tmp_path: Path) -> None:
    """Two instances on one database: a local day and a national change committed by one are
    in the other's next request (API and operations), and in the same request once its
    transaction has ended; within one transaction a request keeps what it read."""
    _home, _city, county = _setup(any_app)
    other = make_app(tmp_path / "other", any_app.config["SQLALCHEMY_DATABASE_URI"])
    api = f"/api/calendar/add?start={START.isoformat()}&days=1&division={COUNTY}"
    assert any_app.test_client().get(api).get_json()["due"] == "2026-07-31"
    with any_app.test_request_context():
        assert _due(county) == date(2026, 7, 31)
        with other.app_context():
            _local(county, "2026-07-31")
            db.session.commit()
        assert _due(county) == date(2026, 7, 31)  # the transaction's own reading
        db.session.commit()
        assert _due(county) == date(2026, 8, 3)
    assert any_app.test_client().get(api).get_json()["due"] == "2026-08-03"
    with other.app_context():
        schedule = service.current_calendar().schedules[2026]
        save_year(2026, days_off_text="\n".join(
            [d.isoformat() for d in sorted(schedule.days_off)] + ["2026-08-03"]),
            days_on_text="\n".join(d.isoformat() for d in sorted(schedule.days_on)),
            source="测试通知", confirmed=True, user_id=None)
        db.session.commit()
    assert any_app.test_client().get(api).get_json()["due"] == "2026-08-04"
    with any_app.test_request_context():
        assert _due(county) == date(2026, 8, 4)
        assert _due(None) == date(2026, 7, 28)
    with other.app_context():
        db.engine.dispose()



def test_databases_of_the_same_schedules_share_one_built_calendar(
        tmp_path: Path, monkeypatch: Any) -> None:
    """The national calendar is built once per process for each set of schedules: a second
    database of the same schedules reads its revisions but builds nothing; a saved year builds
    the new set's calendar once, and that database alone sees it."""
    from market.domain.calendar import WorkingCalendar

    built: list[int] = []
    build = WorkingCalendar.build.__func__  # type: ignore[attr-defined]

    def counted(cls: type[WorkingCalendar], *args: Any, **kwargs: Any) -> WorkingCalendar:
        built.append(1)
        return build(cls, *args, **kwargs)

    monkeypatch.setattr(WorkingCalendar, "build", classmethod(counted))
    service.national_calendar.cache_clear()
    first, second = make_app(tmp_path / "first"), make_app(tmp_path / "second")
    with first.app_context():
        plain = service.current_calendar()
    with second.app_context():
        assert service.current_calendar() is plain
    assert len(built) == 1
    with first.app_context():
        schedule = plain.schedules[2026]
        save_year(2026, days_off_text="\n".join(
            [d.isoformat() for d in sorted(schedule.days_off)] + ["2026-07-31"]),
            days_on_text="\n".join(d.isoformat() for d in sorted(schedule.days_on)),
            source="测试通知", confirmed=True, user_id=None)
        db.session.commit()
        changed = service.current_calendar()
        assert changed is not plain and not changed.is_working_day(date(2026, 7, 31))
        assert service.current_calendar() is changed
    after_save = len(built)
    assert after_save > 1
    with second.app_context():
        assert service.current_calendar() is plain and plain.is_working_day(date(2026, 7, 31))
    assert len(built) == after_save
    for application in (first, second):
        with application.app_context():
            db.engine.dispose()
