"""Two approval-system requests at once: the same case number applied for twice, the same
event id sent twice.  Each pair is let through the idempotency check together (a barrier
in the event's parsing, which comes after it), so the second always meets the first's write:
it answers 200 (the stored result) or 409, never 500, and one row is stored."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.approvals import ingest
from market.approvals.models import ApprovalCase, CaseEvent
from market.db import db
from tests.integration.helpers import (
    bearer,
    department,
    make_client,
    matter,
    open_case,
    owner_org,
    project,
    token,
)

NOW = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
PROJECT = "2026-530100-48-01-000009"


@pytest.fixture
def world(any_app: Flask) -> dict[str, Any]:
    return _world(any_app)


@pytest.fixture
def sqlite_world(app: Flask) -> dict[str, Any]:
    """The world on SQLite alone (where a writer can wait past its busy timeout)."""
    return _world(app)


def _world(app: Flask) -> dict[str, Any]:
    dept = department(app)
    matter_id = matter(app, dept, "EIA-APPROVAL")
    project_id = project(app, owner_org(app), PROJECT)
    client = make_client(app, "cases:write", department_code="YC-STHJJ")
    with timeutil.frozen(NOW):
        value = token(app.test_client(), client)
    return {"app": app, "token": value, "project": project_id, "matter": matter_id}


def _event(event_id: str, case_no: str, type_: str = "applied",
           at: str = "2026-12-01T09:00:00+08:00", **extra: Any) -> dict[str, Any]:
    return {"event_id": event_id, "case_no": case_no, "project_code": PROJECT,
            "matter_code": "EIA-APPROVAL", "type": type_, "at": at, **extra}


def _together(app: Flask, value: str, bodies: list[dict[str, Any]],
              monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, dict[str, Any]]]:
    """Post the bodies from threads of their own, each with its own connection, released
    together once every one has passed the idempotency check."""
    barrier = threading.Barrier(len(bodies), timeout=20)
    parse: Callable[[str], datetime] = ingest.parse_time

    def parse_together(text: str) -> datetime:
        # A request that never reaches the barrier breaks it for the other.
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return parse(text)

    monkeypatch.setattr(ingest, "parse_time", parse_together)
    answers: list[tuple[int, dict[str, Any]]] = [(0, {})] * len(bodies)

    def post(i: int) -> None:
        r = app.test_client().post("/api/v1/case-events", json=bodies[i],
                                   headers=bearer(value))
        answers[i] = (r.status_code, r.get_json() or {})

    with timeutil.frozen(NOW):
        threads = [threading.Thread(target=post, args=(i,)) for i in range(len(bodies))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    monkeypatch.setattr(ingest, "parse_time", parse)
    return answers


def _rows(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count()).select_from(ApprovalCase)) or 0,
                db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) or 0)


def test_two_applied_events_with_one_case_no_store_one_case(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app = world["app"]
    answers = _together(app, world["token"], [_event("evt-a", "SP-1"), _event("evt-b", "SP-1")],
                        monkeypatch)
    statuses = sorted(s for s, _ in answers)
    assert statuses == [201, 409], answers
    refused = next(body for s, body in answers if s == 409)
    assert refused["error"]["code"] == "concurrent_event"
    assert _rows(app) == (1, 1)


def test_two_applied_events_with_two_case_nos_for_one_owner_case_link_one(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """The owner's open case of the matter is linked to one case number, not overwritten by
    the second."""
    app = world["app"]
    open_case(app, world["project"], world["matter"])
    answers = _together(app, world["token"], [_event("evt-a", "SP-1"), _event("evt-b", "SP-2")],
                        monkeypatch)
    assert sorted(s for s, _ in answers) == [201, 409], answers
    linked = next(body for s, body in answers if s == 201)["case_no"]
    with app.app_context():
        assert db.session.scalars(sa.select(ApprovalCase.case_no)).all() == [linked]
    assert _rows(app) == (1, 1)


def test_two_applied_events_with_two_case_nos_open_one_case(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """One open case per project and matter: the second number is refused, not a second
    case."""
    app = world["app"]
    answers = _together(app, world["token"], [_event("evt-a", "SP-1"), _event("evt-b", "SP-2")],
                        monkeypatch)
    assert sorted(s for s, _ in answers) == [201, 409], answers
    assert _rows(app) == (1, 1)


@pytest.mark.parametrize("kind", ["applied", "withdrawn"])
def test_one_event_id_sent_twice_at_once_is_stored_once(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, kind: str) -> None:
    app = world["app"]
    if kind != "applied":
        with timeutil.frozen(NOW):
            r = app.test_client().post("/api/v1/case-events", json=_event("evt-0", "SP-1"),
                                       headers=bearer(world["token"]))
        assert r.status_code == 201, r.get_data(as_text=True)
    body = _event("evt-x", "SP-1", kind, at="2026-12-02T09:00:00+08:00")
    answers = _together(app, world["token"], [body, dict(body)], monkeypatch)
    statuses = sorted(s for s, _ in answers)
    first = 201 if kind == "applied" else 200
    # The second answers as the first did (the stored result), or 409 when it met the first
    # mid-way; never 500.
    assert statuses[0] in (200, 201) and statuses[1] in (200, 201, 409), answers
    assert first in statuses, answers
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent).where(
            CaseEvent.event_id == "evt-x")) == 1
    assert _rows(app)[0] == 1


def test_one_event_id_with_two_bodies_at_once_is_one_event(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    app = world["app"]
    answers = _together(app, world["token"], [_event("evt-x", "SP-1"), _event("evt-x", "SP-2")],
                        monkeypatch)
    assert sorted(s for s, _ in answers) == [201, 409], answers
    assert _rows(app) == (1, 1)


def test_one_case_no_applied_for_two_projects_at_once_is_one_case(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """Two projects' locks do not order each other: the unique case number does."""
    app = world["app"]
    other = "2026-530100-48-01-000010"
    project(app, owner_org(app), other)
    answers = _together(app, world["token"], [
        _event("evt-a", "SP-1"), {**_event("evt-b", "SP-1"), "project_code": other}],
        monkeypatch)
    assert sorted(s for s, _ in answers) == [201, 409], answers
    assert next(b for s, b in answers if s == 409)["error"]["code"] == "concurrent_event"
    assert _rows(app) == (1, 1)


def _send(app: Flask, value: str, body: dict[str, Any]) -> None:
    with timeutil.frozen(NOW):
        r = app.test_client().post("/api/v1/case-events", json=body, headers=bearer(value))
    assert r.status_code in (200, 201), r.get_data(as_text=True)


@pytest.mark.parametrize("stage", ["preparing", "accepted", "suspended"])
def test_different_events_on_one_case_at_once_are_recorded_or_409(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, stage: str) -> None:
    """Every kind of event sent at once on one case, each with its own id: each answers as
    if it came alone after those recorded before it (200, or a 4xx of the rules), or 409
    ``concurrent_event``; never 500, and the stored events are the 200s."""
    app, value = world["app"], world["token"]
    _send(app, value, _event("evt-0", "SP-1", at="2026-12-01T09:00:00+08:00"))
    if stage != "preparing":
        _send(app, value, _event("evt-1", "SP-1", "pledge_acceptance",
                                 at="2026-12-02T09:00:00+08:00"))
    if stage == "suspended":
        _send(app, value, _event("evt-2", "SP-1", "special_procedure_started",
                                 at="2026-12-03T09:00:00+08:00", reason="testing",
                                 expected_days=3))
    at = "2026-12-04T09:00:00+08:00"
    bodies = [_event("r-1", "SP-1", "accepted", at=at),
              _event("r-2", "SP-1", "pledge_acceptance", at=at),
              _event("r-3", "SP-1", "tolerated_acceptance", at=at, expected_days=5),
              _event("r-4", "SP-1", "special_procedure_started", at=at, reason="testing",
                     expected_days=3),
              _event("r-5", "SP-1", "special_procedure_ended", at=at),
              _event("r-6", "SP-1", "extended", at=at, days=5, approved_by="张局长"),
              _event("r-7", "SP-1", "decided", at=at, outcome="approved"),
              _event("r-8", "SP-1", "withdrawn", at=at),
              _event("r-9", "SP-1", "returned_for_correction", at=at)]
    before = _rows(app)[1]
    answers = _together(app, value, bodies, monkeypatch)
    assert all(s in (200, 409, 422) for s, _ in answers), answers
    assert all(b["error"]["code"] == "concurrent_event" for s, b in answers if s == 409), \
        answers
    recorded = {bodies[i]["event_id"] for i, (s, _) in enumerate(answers) if s == 200}
    assert recorded, answers
    with app.app_context():
        stored = set(db.session.scalars(sa.select(CaseEvent.event_id).where(
            CaseEvent.event_id.like("r-%"))))
        assert stored == recorded, answers
        assert _rows(app)[1] == before + len(recorded)


@pytest.mark.parametrize("owner_cases", ["both", "first"])
def test_one_case_no_linking_owner_cases_of_two_projects_at_once_is_one_number(
        world: dict[str, Any], monkeypatch: pytest.MonkeyPatch, owner_cases: str) -> None:
    """The number given to an owner's open case (linked, not created) meets the unique
    (department, number) when it is written: the one that waited answers 409, not 500."""
    app = world["app"]
    other = "2026-530100-48-01-000011"
    other_id = project(app, owner_org(app), other)
    open_case(app, world["project"], world["matter"])
    if owner_cases == "both":
        open_case(app, other_id, world["matter"])
    answers = _together(app, world["token"], [
        _event("evt-a", "SP-1"), {**_event("evt-b", "SP-1"), "project_code": other}],
        monkeypatch)
    assert sorted(s for s, _ in answers) == [201, 409], answers
    assert next(b for s, b in answers if s == 409)["error"]["code"] == "concurrent_event"
    with app.app_context():
        assert db.session.scalars(sa.select(ApprovalCase.case_no).where(
            ApprovalCase.case_no.is_not(None))).all() == ["SP-1"]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(CaseEvent)) == 1


def test_an_event_waiting_past_the_write_lock_timeout_is_409(
        sqlite_world: dict[str, Any], tmp_path: Any) -> None:
    """SQLite: another writer holds the database past the busy timeout (5 s): the event
    answers 409 ``concurrent_event`` (send it again), not 500, and writes nothing.
    (PostgreSQL waits for row locks without a timeout: its races are the tests above.)"""
    app, value = sqlite_world["app"], sqlite_world["token"]
    with app.app_context():
        url = db.engine.url
    assert url.get_backend_name() == "sqlite"
    _send(app, value, _event("evt-0", "SP-1"))
    holder = sa.create_engine(url)
    before = _rows(app)
    with holder.connect() as conn:
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        with timeutil.frozen(NOW):
            r = app.test_client().post("/api/v1/case-events", headers=bearer(value), json=_event(
                "evt-1", "SP-1", "pledge_acceptance", at="2026-12-02T09:00:00+08:00"))
        conn.exec_driver_sql("ROLLBACK")
    holder.dispose()
    assert r.status_code == 409, r.get_data(as_text=True)
    assert r.get_json()["error"]["code"] == "concurrent_event"
    assert _rows(app) == before
