"""``market.db.lock_row`` on SQLite takes the write lock by writing the row to itself; that
write must cost one row whatever the size of the tables that refer to it.  Writing the
primary key to itself did not: SQLite takes it for a change of a referenced key and looks for
referring rows in every table that refers to this one, scanning each whose reference has no
index (a clock's lock read every ``approval_case`` and ``deliverable``, an award's every
``award`` and ``objection``, a division's every ``listing`` and ``sanction``…).  Every mapped
table's lock is explained here, foreign keys on as the app runs: it finds its row by the
primary key and scans nothing (a table whose every column is a key or indexed still writes
its primary key, and looks up the referring rows through their indexes)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from market.db import db, lock_row


def test_locking_a_row_reads_no_other_row(app: Flask) -> None:
    models = sorted({m.class_ for m in db.Model.registry.mappers
                     if isinstance(getattr(m.class_, "__table__", None), sa.Table)},
                    key=lambda c: c.__table__.name)
    assert len(models) > 50
    found = []
    with app.app_context():
        engine = db.engine
        for model in models:
            seen: list[tuple[str, Any]] = []

            def note(_conn: Any, _cursor: Any, statement: str, params: Any,
                     *_args: Any) -> None:
                if statement.startswith("UPDATE"):
                    seen.append((statement, params))  # noqa: B023  # removed below

            sa.event.listen(engine, "before_cursor_execute", note)
            try:
                assert lock_row(model, -1) is None
            finally:
                sa.event.remove(engine, "before_cursor_execute", note)
                db.session.rollback()
            [(statement, params)] = seen
            with engine.connect() as conn:
                plan = [str(row[3]) for row in conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN " + statement, params)]
            table = model.__table__.name
            if not plan[0].startswith(f"SEARCH {table} USING ") or any(
                    step.startswith("SCAN") for step in plan):
                found.append(f"{table}: {statement}\n    {' | '.join(plan)}")
    assert not found, "\n".join(found)
