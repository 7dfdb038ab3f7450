"""Migration 0036: a populated one-city database (the demo's rows in the schema of 0035)
upgrades to tenants with nothing lost, and every lottery bundle still verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from market.db import db
from market.regulator.draws import statuses
from market.settings import service as settings
from tests.conftest import make_app
from tests.support import demo_data

NEW_COLUMNS = {("organisation", "tenant_id"), ("organisation", "regulator_kind"),
               ("selection_request", "tenant_id"), ("setting_change", "tenant_id"),
               ("sanction", "local_tenant_id"), ("clock", "tenant_id"),
               # added by a later migration (natural persons as owners): not 0036's, but the
               # demo's rows carry them
               ("organisation", "person"), ("organisation", "person_name"),
               ("organisation", "id_number_sealed"), ("organisation", "id_number_digest"),
               # (the project a notification is about, for an owner's delegates)
               ("notification", "project_id"),
               # (a listing's copy of its agency's tenant, for the directory's division filter)
               ("listing", "tenant_id"),
               # (the tenant a department belongs to, whose operator staffs it)
               ("department", "tenant_id")}


def _counts(conn: sa.Connection, tables: list[str]) -> dict[str, int]:
    return {t: conn.execute(sa.select(sa.func.count()).select_from(sa.table(t))).scalar_one()
            for t in tables}


def test_a_populated_city_becomes_the_first_tenant(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    demo = demo_data.demo_app(tmp_path)  # its instance folder holds the key that signed
    with demo.app_context():
        source = db.engine
        names = sa.inspect(source).get_table_names()
        with source.connect() as conn:
            # raw values (JSON as its text), as a dump would carry them
            rows = {t: [dict(r._mapping) for r in conn.execute(
                sa.select(sa.text("*")).select_from(sa.table(t)))]
                for t in names if t != "alembic_version"}
        db.engine.dispose()

    # The same platform as a one-city database at 0035: the demo's rows, less what 0036 adds.
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    old = make_app(tmp_path, f"sqlite:///{tmp_path / 'old.db'}")
    with old.app_context():
        db.drop_all()
        upgrade(revision="0035")
        old_tables = set(sa.inspect(db.engine).get_table_names())
        with db.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            for table in names:
                if table not in old_tables or table == "alembic_version" or not rows[table]:
                    continue
                columns = [c["name"] for c in sa.inspect(conn).get_columns(table)]
                kept = [{k: v for k, v in r.items() if k in columns} for r in rows[table]]
                assert all((table, k) in NEW_COLUMNS for k in rows[table][0] if k not in columns)
                target = sa.table(table, *(sa.column(c) for c in columns))
                conn.execute(target.delete())  # what the migrations seed
                conn.execute(target.insert(), kept)
            conn.execute(sa.text(
                "INSERT INTO setting_change (key, value, effective_from, effective_at, reason,"
                " created_at) VALUES ('MIN_ELIGIBLE_REGISTRANTS', 5, '2026-01-01',"
                " '2025-12-31 16:00:00+00:00', '原有设置', '2025-12-31 16:00:00+00:00')"))
        before = _counts(db.session.connection(), sorted(old_tables - {"alembic_version"}))
        db.session.commit()
        assert before["organisation"] > 10 and before["lottery"] > 0

        upgrade()
        conn = db.session.connection()
        assert _counts(conn, sorted(before)) == before  # nothing lost
        # the reminders already written are given the project of the page they link to
        for table, prefix in (("selection_request", "/notices/"), ("engagement", "/engagements/")):
            linked = conn.execute(sa.text(
                f"SELECT n.project_id, t.project_id FROM notification n JOIN {table} t "  # noqa: S608  # fixed names
                f"ON n.link = '{prefix}' || t.public_id")).all()
            assert linked and all(n == t for n, t in linked), table
        assert conn.execute(sa.text("SELECT count(*) FROM notification WHERE link = "
                                    "'/dashboard' AND project_id IS NOT NULL")).scalar_one() == 0
        divisions = conn.execute(sa.text(
            "SELECT id, code, level, tenant, parent_id FROM division ORDER BY code")).all()
        assert [(d.code, d.level, bool(d.tenant)) for d in divisions] == [
            ("530000", "province", False), ("539900", "city", True)]
        city = divisions[1].id
        assert divisions[1].parent_id == divisions[0].id
        assert conn.execute(sa.text(
            "SELECT count(*) FROM organisation WHERE tenant_id = :c"), {"c": city}
        ).scalar_one() == before["organisation"]
        assert conn.execute(sa.text(
            "SELECT count(*) FROM selection_request WHERE tenant_id = :c"), {"c": city}
        ).scalar_one() == before["selection_request"]
        # every clock of an engagement or a case reads its (the only) tenant's settings
        assert conn.execute(sa.text(
            "SELECT count(*) FROM clock WHERE tenant_id IS NOT NULL AND tenant_id = :c"),
            {"c": city}).scalar_one() == before["clock"] > 0
        kinds = conn.execute(sa.text(
            "SELECT DISTINCT regulator_kind FROM organisation WHERE kind = 'regulator'")).all()
        assert [k[0] for k in kinds] == ["centre"]
        assert conn.execute(sa.text("SELECT count(*) FROM organisation WHERE kind <> "
                                    "'regulator' AND regulator_kind IS NOT NULL")).scalar() == 0
        # A staffed department is its staff's city's (0048); one nobody staffed, the
        # province's, until its operator gives it to a city.
        departments = conn.execute(sa.text(
            "SELECT organisation_id IS NOT NULL, tenant_id FROM department")).all()
        assert {(bool(s), t) for s, t in departments} == {(True, city), (False, divisions[0].id)}
        # The stored change became the province's, which the city inherits.
        assert settings.effective("MIN_ELIGIBLE_REGISTRANTS", tenant=city) == 5
        drawn = [s for s in statuses() if s.ok is not None]
        assert drawn and all(s.ok for s in drawn), [s for s in drawn if not s.ok]

        # Back to one city and up again: still all there.
        db.session.commit()
        downgrade(revision="0035")
        upgrade()
        assert _counts(db.session.connection(), sorted(before)) == before
        db.session.commit()

        # A second tenant cannot fold back into one city.
        db.session.execute(sa.text(
            "INSERT INTO division (code, name, level, parent_id, tenant, created_at) VALUES "
            "('539800', '云岭市', 'city', :p, 1, '2026-01-01 00:00:00+00:00')"),
            {"p": divisions[0].id})
        db.session.commit()
        with pytest.raises(SystemExit):  # flask-migrate logs the migration's error and exits
            downgrade(revision="0035")
        db.session.rollback()
        assert db.session.execute(sa.text("SELECT count(*) FROM division")).scalar() == 3
        db.engine.dispose()
