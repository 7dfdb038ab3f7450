"""``POST /api/v1/case-events`` costs the same whatever the number of cases: no statement of an
event reads a table that grows with the cases, their events, clocks or the audit log in
full.  One case is taken through every event type of the integration bench's stream (and an
event sent again, the idempotent answer); every statement the requests send is explained,
on SQLite (``EXPLAIN QUERY PLAN``, foreign keys on as the app runs) and on PostgreSQL
(``EXPLAIN`` with sequential scans disabled, so that a plan keeps one only where no index
could serve).  Plans do not depend on the number of rows here (SQLite has no statistics
without ``ANALYZE``; PostgreSQL is told to prefer any index), so a small database shows what
a large one would do.

Before, a clock's lock on SQLite wrote the clock's primary key to itself
(``UPDATE clock SET id=clock.id``): SQLite checks every table that refers to a changed key,
and ``approval_case.clock_id`` has no index, so every event that moves a case's clock read
all of ``approval_case`` (11 ms an event at 10,000 cases, 0.1 ms at 200: docs/performance.md,
"Machine clients")."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from tests.integration.helpers import (
    bearer,
    department,
    make_client,
    matter,
    owner_org,
    project,
    token,
)

NOW = datetime(2026, 12, 30, 2, 0, tzinfo=UTC)
PROJECT = "2026-530100-48-01-000001"
# One case through the bench's stream (bench/integration_bench.py STEPS), in the law's order.
STREAM: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("applied", "2026-12-07T09:00:00+08:00", {}),
    ("returned_for_correction", "2026-12-08T09:00:00+08:00", {}),
    ("resubmitted", "2026-12-09T09:00:00+08:00", {}),
    ("accepted", "2026-12-10T09:00:00+08:00", {}),
    ("special_procedure_started", "2026-12-14T09:00:00+08:00",
     {"reason": "expert_review", "expected_days": 10}),
    ("special_procedure_ended", "2026-12-18T09:00:00+08:00", {}),
    ("extended", "2026-12-21T09:00:00+08:00",
     {"days": 5, "approved_by": "局长 王某", "extension_reason": "需现场核查"}),
    ("decided", "2026-12-28T09:00:00+08:00", {"outcome": "approved"}),
)
# Tables that do not grow with cases: the operator's settings (a few rows a key), the
# calendar's years (read when the calendar is built, once a process until an operator changes
# it) and a matter's service types (read by the matter's id; the sort is of that matter's few).
SMALL = {"setting_change", "calendar_year", "service_type"}
SQLITE_SCAN = re.compile(r"SCAN (?!CONSTANT ROW)(\w+)")
PG_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")
SKIP = ("SAVEPOINT", "RELEASE", "ROLLBACK", "COMMIT", "BEGIN", "PRAGMA")


def _statements(app: Flask) -> list[tuple[str, str, Any]]:
    """(event type, statement, parameters) of every statement the stream's requests send."""
    dept = department(app)
    matter(app, dept, "EIA-APPROVAL")
    project(app, owner_org(app), PROJECT)
    http = app.test_client()
    client = make_client(app, "cases:write projects:read", department_code="YC-STHJJ")
    with timeutil.frozen(NOW):
        headers = bearer(token(http, client))
    seen: list[tuple[str, str, Any]] = []
    current = [""]

    def note(_conn: Any, _cursor: Any, statement: str, params: Any, _ctx: Any,
             many: bool) -> None:
        if not many and not statement.lstrip().upper().startswith(SKIP):
            seen.append((current[0], statement, params))

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", note)
    try:
        bodies = []
        for n, (kind, at, extra) in enumerate(STREAM):
            body = {"event_id": f"plan-{n}", "case_no": "SP-PLAN-1", "project_code": PROJECT,
                    "matter_code": "EIA-APPROVAL", "type": kind, "at": at, **extra}
            bodies.append(body)
            current[0] = kind
            with timeutil.frozen(NOW):
                r = http.post("/api/v1/case-events", json=body, headers=headers)
            assert r.status_code in (200, 201), r.get_data(as_text=True)
        current[0] = "repeated"
        with timeutil.frozen(NOW):
            r = http.post("/api/v1/case-events", json=bodies[3], headers=headers)
        assert r.status_code == 200, r.get_data(as_text=True)
    finally:
        sa.event.remove(engine, "before_cursor_execute", note)
    assert {kind for kind, _s, _p in seen} == {k for k, _a, _e in STREAM} | {"repeated"}
    return seen


def test_no_event_reads_a_growing_table_in_full(any_app: Flask) -> None:
    seen = _statements(any_app)
    sqlite = any_app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")
    found = []
    with any_app.app_context(), db.engine.connect() as conn:
        if not sqlite:
            conn.exec_driver_sql("SET LOCAL enable_seqscan = off")  # till the rollback below
        for kind, statement, params in seen:
            if sqlite and statement.lstrip().upper().startswith("INSERT") and \
                    " VALUES " in statement.upper():
                # A row inserted into a table others refer to shows their scans in its plan,
                # but SQLite runs them only to settle deferred foreign-key violations, which
                # the app never has (its foreign keys are immediate).
                continue
            if sqlite:
                rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, params)
                plan = " | ".join(str(row[3]) for row in rows)
                scanned = set(SQLITE_SCAN.findall(plan))
                sorted_ = "TEMP B-TREE" in plan
            else:
                rows = conn.exec_driver_sql("EXPLAIN " + statement, params)
                plan = " | ".join(str(row[0]).strip() for row in rows)
                scanned = set(PG_SEQ_SCAN.findall(plan))
                sorted_ = False  # a sort of rows found by an index is of those rows only
            tables = set(re.findall(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+\"?(\w+)", statement))
            if scanned - SMALL or (sorted_ and not tables <= SMALL):
                found.append(f"{kind}: {' '.join(statement.split())[:200]}\n    {plan}")
        conn.rollback()
    assert len(seen) > 100
    assert not found, "\n".join(found)
