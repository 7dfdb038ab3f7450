"""The stored clock columns are a cache of (events, calendar): replaying the events gives the
same stored values, the SQL classification and order of the regulator's pages agree with a
full view of every clock, a calendar change refreshes stored due dates (eagerly when an
operator saves a year, lazily when another process did), and a database upgraded from 0009
works."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from market import timeutil
from market.accounts import tenants
from market.calendar.operations import add_local_days, save_year
from market.calendar.service import bump_revision, current_calendar
from market.clocks import board
from market.clocks import store as clocks
from market.clocks.models import Clock, ClockEntry, ClockKind
from market.db import UTCDateTime, db
from market.domain.calendar import SHANGHAI, local_date
from market.domain.clock import clock_view
from market.settings.models import SettingChange
from tests.conftest import make_app

# Around 2026's Spring Festival (Feb 15–23 off, Sat Feb 14 and Sat Feb 28 on), Qingming,
# Labour Day (May 1–5 off, Sat May 9 on) and Dragon Boat: holidays and make-up days inside
# every clock's span.
BASE = datetime(2026, 1, 26, 1, 0, tzinfo=UTC)
KINDS = ("pause", "resume", "extend", "stop")
TENANTS: list[int | None] = [None]  # the province's values, then the shared app's tenants
LEAD = [2, 6, 1]  # their warning lead times (the province's is the config's)

Action = tuple[str, int]  # (kind wished for, hours after the previous event)


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One database for all hypothesis examples (each example empties the clock tables)."""
    app = make_app(tmp_path_factory.mktemp("clock-cache"))
    with app.app_context():
        # two tenants with lead times of their own, one longer and one shorter than the
        # province's (2): their clocks are in warning over other spans
        tenants.home_tenant()  # the province's row
        long_, short = (tenants.add(code, name, tenant=True, audited=False).id
                        for code, name in (("539700", "云峰市"), ("539800", "云岭市")))
        for tenant, days in ((long_, 6), (short, 1)):
            db.session.add(SettingChange(
                tenant_id=tenant, key="CLOCK_WARNING_DAYS", value=days,
                effective_from=date(2020, 1, 1), effective_at=datetime(2019, 12, 31, 16, tzinfo=UTC),
                reason="本地预警提前量", created_at=datetime(2019, 12, 1, tzinfo=UTC)))
        TENANTS[:] = [None, long_, short]
        # the short one also has local days (地方性节假日): rest days inside the clocks' spans
        # and a local make-up Saturday, so its clocks count in a calendar of their own
        add_local_days(short, days_text="2026-03-02..2026-03-04\n2026-04-15", working=False,
                       name="本地节日", source="测试条例", user_id=None)
        add_local_days(short, days_text="2026-03-07", working=True, name="本地调休",
                       source="测试条例", user_id=None)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


def _build(spec: tuple[int, int, list[Action]], tenant: int | None = None) -> Clock:
    """A clock from (start offset in hours, limit, actions), through ``clocks.record`` — the
    operation the app uses.  Wished-for actions that cannot happen become the one that can."""
    offset, limit, actions = spec
    clock = clocks.new_clock(ClockKind.SERVICE, limit, tenant_id=tenant)
    at = BASE + timedelta(hours=offset)
    clocks.record(clock, "start", at=at)
    phase = "running"
    for kind, hours in actions:
        at += timedelta(hours=hours)
        if kind == "stop":
            clocks.record(clock, "stop", at=at)
            break
        if kind == "extend":
            clocks.record(clock, "extend", reason="owner", days=1 + hours % 3, at=at)
        elif phase == "running":
            clocks.record(clock, "pause", reason=("materials", "review")[hours % 2], at=at)
            phase = "paused"
        else:
            clocks.record(clock, "resume", at=at)
            phase = "running"
    return clock


def _events(clock: Clock) -> list[Any]:
    return [e.event() for e in clocks.entries(clock)]


def _stored(clock: Clock) -> dict[str, Any]:
    db.session.refresh(clock)
    return {name: getattr(clock, name) for name in (
        "phase", "last_at", "start_date", "since", "pause_reason", "used", "paused_by_reason",
        "extensions", "stop_date", "paused_days", "due_date", "calendar_revision")}


def _check_cache(clock: Clock) -> None:
    """Stored columns == the fold of the events under the calendar in force for its tenant."""
    revision, cal = clocks.calendar_state(clock.tenant_id)
    expected = clocks.stored_values(clocks.fold(_events(clock), cal), clock.limit_days, cal,
                                    revision)
    assert _stored(clock) == expected


def _check_board(now: datetime, limit: int) -> None:
    """The regulator's SQL pages agree with a full view of every open clock."""
    every = board.open_clocks(None, None, now)
    counts = Counter(r.view.state for r in every)
    b = board.urgent(limit=limit, now=now)
    assert b.counts == counts and b.total == len(every)
    assert [r.clock_id for r in b.rows] == [r.clock_id for r in every[:limit]]
    assert [r.view for r in b.rows] == [r.view for r in every[:limit]]
    for state in ("overdue", "warning", "normal", "paused"):
        wanted = [r for r in every if r.view.state == state]
        got = board.urgent(state=state, limit=limit, now=now)
        assert got.total == len(wanted)
        assert [r.clock_id for r in got.rows] == [r.clock_id for r in wanted[:limit]]
    # clock by clock: the SQL state of every settled open clock is its view's state
    cal = current_calendar()
    today = local_date(now)
    cals = board.Calendars(cal)
    expr = board.state_expr(today, board.Warn(today, cals, board.Warnings.at(now)))
    sql = dict(db.session.execute(sa.select(Clock.id, expr).where(
        Clock.phase.in_(clocks.OPEN), Clock.last_at <= now)).all())
    for r in every:
        if r.clock_id in sql:
            assert sql[r.clock_id] == r.view.state, r
    # and the stored fold gives the same view as a replay
    for c in db.session.scalars(sa.select(Clock)):
        when = max(now, c.last_at) if c.last_at else now
        assert clocks.view(c, when) == clocks.replay(c, when)
        # under its own tenant's lead time
        assert clocks.view(c, when) == clock_view(_events(c), c.limit_days,
                                                  cals.of(c.tenant_id), when,
                                                  LEAD[TENANTS.index(c.tenant_id)])


def _empty() -> None:
    db.session.execute(sa.delete(ClockEntry))
    db.session.execute(sa.delete(Clock))


action = st.tuples(st.sampled_from(KINDS + ("pause", "resume", "pause", "resume")),
                   st.integers(1, 240))
clock_spec = st.tuples(st.integers(0, 24 * 200), st.integers(0, 25),
                       st.lists(action, max_size=12))


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(specs=st.lists(st.tuples(clock_spec, st.integers(0, 2)), min_size=1, max_size=8),
       now_hours=st.integers(-48, 24 * 60), limit=st.integers(1, 6))
def test_stored_fold_and_sql_classification_match_replay(
        shared_app: Flask, specs: list[tuple[tuple[int, int, list[Action]], int]],
        now_hours: int, limit: int) -> None:
    """Clocks of the province's lead time and of two tenants' own: each is classified and
    ordered under its tenant's."""
    with shared_app.app_context():
        _empty()
        built = [_build(s, TENANTS[t]) for s, t in specs]
        for c in built:
            _check_cache(c)
        last = max(c.last_at for c in built)
        # now from two days before the last event (some clocks "ahead") to two months after
        _check_board(last + timedelta(hours=now_hours), limit)
        db.session.rollback()


def test_overdue_clocks_of_a_tenant_with_local_days_sort_by_due_date(shared_app: Flask) -> None:
    """A clock of the tenant with local rest days (2026-03-02..04) falls due on 02-28 and is
    2 of its working days overdue on 03-06; a province clock due 03-02 is 4.  Both pages put
    the one due first first: SQL orders by the stored date and cannot count local days."""
    with shared_app.app_context():
        _empty()
        local = _build((0, 20, []), TENANTS[2])
        national = _build((0, 21, []), None)
        now = datetime(2026, 3, 6, 4, tzinfo=UTC)
        every = board.open_clocks(None, None, now)
        views = {r.clock_id: r.view for r in every}
        assert (views[local.id].due_date, views[local.id].overdue_by) == (date(2026, 2, 28), 2)
        assert (views[national.id].due_date, views[national.id].overdue_by) == (
            date(2026, 3, 2), 4)
        assert [r.clock_id for r in every] == [local.id, national.id]
        for limit in (1, 2):
            assert [r.clock_id for r in board.urgent(limit=limit, now=now).rows] == [
                local.id, national.id][:limit]
            assert [r.clock_id for r in board.urgent(state="overdue", limit=limit,
                                                     now=now).rows] == [
                local.id, national.id][:limit]
        _check_board(now, 1)
        db.session.rollback()


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s).replace(tzinfo=SHANGHAI).astimezone(UTC)


def _city(n: int = 60, seed: int = 3) -> list[Clock]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        actions = [(rng.choice(KINDS[:3]), rng.randint(2, 90)) for _ in range(rng.randint(0, 6))]
        out.append(_build((rng.randint(0, 24 * 60), rng.randint(3, 20), actions)))
    return out


def test_saving_a_year_refreshes_stored_due_dates(app: Flask) -> None:
    """An operator makes 2026-03-16..20 days off: every clock spanning them moves, the others
    are only restamped, and the pages agree with a replay under the new calendar."""
    with app.app_context():
        built = _city()
        db.session.commit()
        before = {c.id: _stored(c) for c in built}
        cal = current_calendar()
        schedule = cal.schedules[2026]
        off = "\n".join(sorted(d.isoformat() for d in schedule.days_off)) + \
            "\n2026-03-16..2026-03-20"
        on = "\n".join(sorted(d.isoformat() for d in schedule.days_on))
        save_year(2026, days_off_text=off, days_on_text=on, source="测试通知", confirmed=True,
                  user_id=None)
        db.session.commit()
        assert not current_calendar().is_working_day(date(2026, 3, 17))
        moved = 0
        for c in built:
            _check_cache(c)
            after = _stored(c)
            assert after["calendar_revision"] == clocks.calendar_revision()
            spans = (before[c.id]["start_date"] < date(2026, 3, 20)
                     and max(d for d in (before[c.id]["due_date"], before[c.id]["since"],
                                         before[c.id]["stop_date"]) if d) >= date(2026, 3, 16))
            if not spans:
                assert {k: v for k, v in after.items() if k != "calendar_revision"} == \
                    {k: v for k, v in before[c.id].items() if k != "calendar_revision"}
            moved += after["due_date"] != before[c.id]["due_date"]
        assert moved > 10  # the change did reach stored due dates
        for now in (_at("2026-03-18 10:00"), _at("2026-04-20 10:00"), _at("2026-06-01 10:00")):
            _check_board(now, 10)


def test_a_calendar_changed_elsewhere_is_picked_up_lazily(app: Flask) -> None:
    """Another process changed the schedule without refreshing (only the revision moved):
    views refold in memory, the dashboards refold stale open clocks before querying, and the
    next event steps from a refolded tally."""
    with app.app_context():
        built = _city(30, seed=5)
        db.session.commit()
        from market.calendar.models import CalendarDay, CalendarYear

        year = CalendarYear(year=2026, confirmed=True, source="elsewhere",
                            updated_at=timeutil.now())
        schedule = current_calendar().schedules[2026]
        year.days = ([CalendarDay(day=d, working=False) for d in sorted(schedule.days_off)]
                     + [CalendarDay(day=date(2026, 2, 10), working=False),
                        CalendarDay(day=date(2026, 3, 3), working=False)]
                     + [CalendarDay(day=d, working=True) for d in sorted(schedule.days_on)])
        db.session.add(year)
        bump_revision()
        db.session.commit()
        revision = clocks.calendar_revision()
        assert all(c.calendar_revision != revision for c in built)
        now = _at("2026-03-10 12:00")
        cal = current_calendar()
        differs = 0
        for c in built:  # stale rows: views refold in memory
            when = max(now, c.last_at)
            assert clocks.view(c, when) == clocks.replay(c, when)
            differs += clocks.finish(c.tally(), c.limit_days, cal, when) != clocks.replay(c, when)
        assert differs > 3  # the stale rows really were wrong under the new calendar
        _check_board(now, 8)  # refreshes the open ones first
        for c in built:
            if c.phase in clocks.OPEN:
                _check_cache(c)
        stopped = next((c for c in built if c.phase == "stopped"), None)
        if stopped is not None:
            assert stopped.calendar_revision != revision  # only open clocks are refolded
        # an event on a stale clock steps from the refolded tally
        db.session.execute(sa.update(Clock).values(calendar_revision=None))
        db.session.expire_all()
        live = next(c for c in built if c.phase == "running")
        clocks.record(live, "pause", reason="materials", at=max(live.last_at, now)
                      + timedelta(hours=1))
        _check_cache(live)


def test_a_database_upgraded_from_0009_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    """Rows written before 0010 (no due date, no revision) are refolded on first use."""
    from flask_migrate import upgrade

    from market import create_app

    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.db'}",
                      "SECRET_KEY": "x"})
    with app.app_context():
        upgrade(revision="0009")
        # as 0009's code stored them: the tally columns only
        cal = current_calendar()
        rng = random.Random(11)
        created = timeutil.now()
        expected = {}
        with db.engine.begin() as conn:
            for i in range(1, 41):
                start = _at("2026-02-02 09:00") + timedelta(hours=rng.randint(0, 24 * 50))
                log = [("start", start, None, None)]
                t = start
                for k in range(rng.randint(0, 6)):
                    t += timedelta(hours=rng.randint(3, 70))
                    log.append(("pause", t, "materials", None) if k % 2 == 0
                               else ("resume", t, None, None))
                tally = clocks.fold((clocks.event_from_record(*e) for e in log), cal)
                limit = rng.randint(3, 15)
                expected[i] = (tally, limit)
                conn.execute(sa.text(
                    "INSERT INTO clock (id, kind, limit_days, created_at, phase, last_at, "
                    "start_date, since, pause_reason, used, paused_by_reason, extensions, "
                    "stop_date) VALUES (:id, 'case', :limit, :created, :phase, :last_at, "
                    ":start, :since, :reason, :used, :pbr, :ext, :stop)").bindparams(
                        sa.bindparam("created", type_=UTCDateTime()),
                        sa.bindparam("last_at", type_=UTCDateTime()),
                        sa.bindparam("pbr", type_=sa.JSON())),
                    {"id": i, "limit": limit, "created": created, "phase": tally.phase,
                     "last_at": tally.last_at, "start": tally.start_date, "since": tally.since,
                     "reason": tally.pause_reason, "used": tally.used,
                     "pbr": dict(tally.paused_by_reason), "ext": tally.extensions,
                     "stop": tally.stop_date})
                for seq, (kind, when, reason, days) in enumerate(log, start=1):
                    conn.execute(sa.text(
                        "INSERT INTO clock_event (clock_id, seq, kind, at, reason, days, note) "
                        "VALUES (:c, :s, :k, :at, :r, :d, '')").bindparams(
                            sa.bindparam("at", type_=UTCDateTime())),
                        {"c": i, "s": seq, "k": kind, "at": when,
                         "r": reason, "d": days})
        upgrade()
        row = db.session.get(Clock, 1)
        assert row.due_date is None and row.calendar_revision is None and row.paused_days == 0
        now = _at("2026-04-15 10:00")
        c1 = db.session.get(Clock, 1)
        when = max(now, c1.last_at)
        assert clocks.view(c1, when) == clocks.replay(c1, when)
        _check_board(now, 10)
        for i in expected:
            _check_cache(db.session.get(Clock, i))
        db.session.commit()
        db.engine.dispose()
