"""Clocks (时限): examples of the counting rules, validation, and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from market.domain.calendar import SHANGHAI, YearSchedule, library_calendar, library_schedule
from market.domain.calendar import WorkingCalendar as Cal
from market.domain.clock import (
    ClockError,
    ClockEvent,
    ClockTally,
    ClockView,
    Extend,
    Pause,
    Resume,
    Start,
    Stop,
    clock_view,
    event_from_record,
    finish,
    segments,
    step,
    validate_events,
)

CAL = library_calendar()


def at(s: str) -> datetime:
    """A Shanghai wall-clock time, as the aware UTC datetime the app stores."""
    return datetime.fromisoformat(s).replace(tzinfo=SHANGHAI).astimezone(UTC)


def d(s: str) -> date:
    return date.fromisoformat(s)


# -- examples ----------------------------------------------------------------------------------


def test_not_started() -> None:
    v = clock_view([], 5, CAL, at("2025-09-26 10:00"))
    assert (v.state, v.used, v.remaining, v.due_date) == ("not_started", 0, 5, None)
    assert v.elapsed_by_reason == {"running": 0}
    # A start after now is not seen yet.
    v = clock_view([Start(at("2025-09-27 10:00"))], 5, CAL, at("2025-09-26 10:00"))
    assert v.state == "not_started"


def test_running_across_national_day() -> None:
    events = [Start(at("2025-09-26 10:00"))]
    v = clock_view(events, 5, CAL, at("2025-09-26 18:00"))
    assert (v.used, v.remaining, v.due_date, v.state) == (0, 5, d("2025-10-10"), "normal")
    v = clock_view(events, 5, CAL, at("2025-09-30 09:00"))  # Sun 28 (调休), Mon 29, Tue 30
    assert (v.used, v.remaining, v.state) == (3, 2, "warning")
    v = clock_view(events, 5, CAL, at("2025-10-05 09:00"))  # holiday: nothing used
    assert (v.used, v.remaining, v.state) == (3, 2, "warning")
    v = clock_view(events, 5, CAL, at("2025-10-10 23:59"))
    assert (v.used, v.remaining, v.state, v.late) == (5, 0, "warning", False)
    v = clock_view(events, 5, CAL, at("2025-10-11 00:00"))  # a make-up Saturday
    assert (v.used, v.remaining, v.overdue_by, v.state) == (6, -1, 1, "overdue")


def test_overdue_on_a_rest_day_after_the_due_date() -> None:
    # Due Friday; on Saturday nothing more is used but the due day has passed.
    events = [Start(at("2025-03-03 09:00"))]
    v = clock_view(events, 4, CAL, at("2025-03-08 12:00"))
    assert (v.due_date, v.remaining, v.state, v.late) == (d("2025-03-07"), 0, "overdue", True)


def test_pause_for_materials_then_extension_then_stop() -> None:
    events: list[ClockEvent] = [
        Start(at("2025-03-03 09:00")),  # Monday
        Pause(at("2025-03-05 15:00"), "materials"),  # Wednesday still counts as running
        Resume(at("2025-03-10 11:00")),  # Thu, Fri, Mon paused
        Extend(at("2025-03-11 09:00"), 2, "scope grew"),
    ]
    v = clock_view(events, 5, CAL, at("2025-03-07 12:00"))
    assert (v.state, v.paused, v.used, v.paused_days) == ("paused", True, 2, 2)
    assert v.due_date == d("2025-03-12")  # as if resumed today: 5 + 2 paused after Monday 3rd
    v = clock_view(events, 5, CAL, at("2025-03-12 12:00"))
    assert (v.used, v.paused_days, v.extensions, v.remaining) == (4, 3, 2, 3)
    assert v.due_date == d("2025-03-17")  # 3 Mar + (5 + 2 + 3) working days
    assert v.elapsed_by_reason == {"running": 4, "materials": 3}
    assert v.state == "normal"
    stopped = [*events, Stop(at("2025-03-17 17:00"))]
    v = clock_view(stopped, 5, CAL, at("2026-01-01 00:00"))
    assert (v.state, v.used, v.remaining, v.late, v.end_date) == (
        "stopped",
        7,
        0,
        False,
        d("2025-03-17"),
    )


def test_pause_and_resume_same_day_costs_nothing() -> None:
    events: list[ClockEvent] = [
        Start(at("2025-03-03 09:00")),
        Pause(at("2025-03-04 09:00"), "materials"),
        Resume(at("2025-03-04 17:00")),
    ]
    v = clock_view(events, 5, CAL, at("2025-03-05 09:00"))
    assert (v.used, v.paused_days, v.due_date) == (2, 0, d("2025-03-10"))


def test_local_dates_decide_the_day() -> None:
    # 2025-03-03 16:30 UTC is already Tuesday 00:30 in Shanghai.
    events = [Start(datetime(2025, 3, 3, 16, 30, tzinfo=UTC))]
    v = clock_view(events, 1, CAL, datetime(2025, 3, 4, 15, 0, tzinfo=UTC))
    assert (v.start_date, v.due_date, v.used) == (d("2025-03-04"), d("2025-03-05"), 0)


def test_provisional_flag_follows_the_calendar() -> None:
    events = [Start(at("2026-12-20 09:00"))]
    assert clock_view(events, 20, CAL, at("2026-12-21 09:00")).provisional
    confirmed = Cal.build(
        [
            library_schedule(2026, confirmed=True),
            YearSchedule(2027, frozenset({d("2027-01-01")}), frozenset(), True, "notice"),
        ]
    )
    assert not clock_view(events, 20, confirmed, at("2026-12-21 09:00")).provisional


def test_segments_for_the_timeline() -> None:
    events: list[ClockEvent] = [
        Start(at("2025-03-03 09:00")),
        Pause(at("2025-03-05 15:00"), "materials"),
        Extend(at("2025-03-06 09:00"), 1, "why"),
    ]
    segs = segments(events, at("2025-03-07 12:00"))
    assert [(s.kind, s.reason, s.open) for s in segs] == [
        ("running", "running", False),
        ("paused", "materials", True),
    ]
    assert segs[-1].end == at("2025-03-07 12:00")


def test_event_from_record() -> None:
    t = at("2025-03-03 09:00")
    assert event_from_record("start", t) == Start(t)
    assert event_from_record("pause", t, "materials") == Pause(t, "materials")
    assert event_from_record("extend", t, "r", 3) == Extend(t, 3, "r")
    with pytest.raises(ClockError) as info:
        event_from_record("explode", t)
    assert info.value.key == "unknown_event"


# -- validation --------------------------------------------------------------------------------

T0 = at("2025-03-03 09:00")
H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("events", "key"),
    [
        ([Pause(T0, "x")], "not_started"),
        ([Resume(T0)], "not_started"),
        ([Start(T0), Start(T0 + H)], "already_started"),
        ([Start(T0), Pause(T0 + H, "x"), Pause(T0 + 2 * H, "y")], "already_paused"),
        ([Start(T0), Resume(T0 + H)], "not_paused"),
        ([Start(T0), Stop(T0 + H), Resume(T0 + 2 * H)], "after_stop"),
        ([Start(T0), Stop(T0 + H), Extend(T0 + 2 * H, 1, "x")], "after_stop"),
        ([Start(T0), Pause(T0, "x")], "not_increasing"),
        ([Start(T0), Pause(T0 - H, "x")], "not_increasing"),
        ([Start(T0), Extend(T0 + H, -1, "x")], "bad_extension"),
        ([Start(T0), Extend(T0 + H, 0, "x")], "bad_extension"),
        ([Start(T0), Extend(T0 + H, 1, "")], "bad_reason"),
        ([Start(T0), Pause(T0 + H, "")], "bad_reason"),
        ([Start(T0), Pause(T0 + H, "running")], "bad_reason"),
        ([Start(T0.replace(tzinfo=None))], "naive_time"),
    ],
)
def test_invalid_sequences(events: list[ClockEvent], key: str) -> None:
    with pytest.raises(ClockError) as info:
        validate_events(events)
    assert info.value.key == key
    with pytest.raises(ClockError):
        clock_view(events, 5, CAL, T0 + 10 * H)
    tally = ClockTally()
    with pytest.raises(ClockError) as info:
        for e in events:
            tally = step(tally, e, CAL)
    assert info.value.key == key


@pytest.mark.parametrize(
    ("limit", "warning_days", "now", "key"),
    [
        (-1, 2, T0 + H, "bad_limit"),
        (5, -1, T0 + H, "bad_warning_days"),
        (5, 2, (T0 + H).replace(tzinfo=None), "naive_time"),
    ],
)
def test_invalid_settings(limit: int, warning_days: int, now: datetime, key: str) -> None:
    with pytest.raises(ClockError) as info:
        clock_view([Start(T0)], limit, CAL, now, warning_days)
    assert info.value.key == key


def test_finish_refuses_now_before_last_event() -> None:
    tally = step(ClockTally(), Start(T0), CAL)
    with pytest.raises(ClockError) as info:
        finish(tally, 5, CAL, T0 - H)
    assert info.value.key == "before_last_event"


# -- properties --------------------------------------------------------------------------------

REASONS = ["materials", "补正", "expert"]
BASE = datetime(2024, 12, 1, tzinfo=UTC)


@st.composite
def histories(draw: st.DrawFn) -> list[ClockEvent]:
    """A valid event list: a start, then up to 12 legal events with gaps of 1 min .. 12 days."""
    t = BASE + timedelta(minutes=draw(st.integers(0, 60 * 24 * 400)))
    events: list[ClockEvent] = [Start(t)]
    phase = "running"
    for _ in range(draw(st.integers(0, 12))):
        t += timedelta(minutes=draw(st.integers(1, 60 * 24 * 12)))
        options = ["extend", "stop", "resume" if phase == "paused" else "pause"]
        kind = draw(st.sampled_from(options))
        if kind == "pause":
            events.append(Pause(t, draw(st.sampled_from(REASONS))))
            phase = "paused"
        elif kind == "resume":
            events.append(Resume(t))
            phase = "running"
        elif kind == "extend":
            events.append(Extend(t, draw(st.integers(1, 10)), "granted"))
        else:
            events.append(Stop(t))
            break
    return events


def now_for(offset: int, events: list[ClockEvent]) -> datetime:
    """A negative offset lands before the start (a view "as of" then); else after the last event."""
    if offset < 0:
        return events[0].at + timedelta(minutes=offset)
    return events[-1].at + timedelta(minutes=offset)


offsets = st.integers(-60 * 24 * 30, 60 * 24 * 40)
limits = st.integers(0, 30)


def fold_view(events: list[ClockEvent], limit: int, now: datetime) -> ClockView:
    tally = ClockTally()
    for e in events:
        if e.at <= now:
            tally = step(tally, e, CAL)
    return finish(tally, limit, CAL, now)


@settings(max_examples=300)
@given(histories(), limits, offsets)
def test_fold_equals_batch(events: list[ClockEvent], limit: int, off: int) -> None:
    now = now_for(off, events)
    assert fold_view(events, limit, now) == clock_view(events, limit, CAL, now)


@given(histories(), limits, offsets)
def test_accounting_identities(events: list[ClockEvent], limit: int, off: int) -> None:
    now = now_for(off, events)
    v = clock_view(events, limit, CAL, now)
    if v.state == "not_started":
        return
    assert v.start_date is not None and v.end_date is not None and v.due_date is not None
    assert v.used + v.remaining == v.limit + v.extensions
    assert v.used + v.paused_days == CAL.working_days_between(v.start_date, v.end_date)
    assert sum(v.elapsed_by_reason.values()) == v.used + v.paused_days
    assert v.late == (v.end_date > v.due_date)
    assert v.overdue_by == max(0, -v.remaining)
    if v.state == "overdue":
        assert v.late
    if v.state == "warning":
        assert 0 <= v.remaining <= 2
    if v.state == "normal":
        assert v.remaining > 2
    if v.state in ("normal", "warning"):
        # Remaining working days are exactly those after today up to the due date.
        assert CAL.working_days_between(v.end_date, v.due_date) == v.remaining


@given(histories(), limits, offsets, st.data())
def test_a_pause_never_makes_a_clock_due_sooner(
    events: list[ClockEvent], limit: int, off: int, data: st.DataObject
) -> None:
    pauses = [i for i, e in enumerate(events) if isinstance(e, Pause)]
    if not pauses:
        return
    i = data.draw(st.sampled_from(pauses))
    j = next((k for k in range(i + 1, len(events)) if isinstance(events[k], Resume)), None)
    without = [e for k, e in enumerate(events) if k not in (i, j)]
    validate_events(without)
    now = now_for(off, events)
    with_pause, no_pause = clock_view(events, limit, CAL, now), clock_view(without, limit, CAL, now)
    if with_pause.due_date is None:
        return
    assert no_pause.due_date is not None
    assert with_pause.due_date >= no_pause.due_date
    assert with_pause.used <= no_pause.used


@given(histories(), limits, st.integers(0, 60 * 24 * 400))
def test_a_stop_freezes_the_view(events: list[ClockEvent], limit: int, later: int) -> None:
    if not isinstance(events[-1], Stop):
        events = [*events, Stop(events[-1].at + timedelta(minutes=1))]
    stop_at = events[-1].at
    first = clock_view(events, limit, CAL, stop_at)
    again = clock_view(events, limit, CAL, stop_at + timedelta(minutes=later))
    assert first == again
    assert first.state == "stopped"


@given(histories(), limits, offsets, st.integers(0, 60 * 24 * 30))
def test_used_and_elapsed_never_decrease(
    events: list[ClockEvent], limit: int, off: int, more: int
) -> None:
    now = now_for(off, events)
    a = clock_view(events, limit, CAL, now)
    b = clock_view(events, limit, CAL, now + timedelta(minutes=more))
    assert a.used <= b.used
    assert a.paused_days <= b.paused_days
    for reason, days in a.elapsed_by_reason.items():
        assert days <= b.elapsed_by_reason[reason]
