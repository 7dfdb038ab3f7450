"""One investment project code (投资项目代码) is one project in the deployment: the form refuses a
code already registered (by the same owner or another), the database refuses it too (two
registrations at once on PostgreSQL end as one project and one clear refusal), and the
migration that adds the constraint copes with the duplicates an older database holds."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import UTCDateTime, db
from market.selection.models import Project
from tests.conftest import Person, create_person, csrf_token
from tests.selection.conftest import START, City, build_city

CODE = "2026-539901-47-01-000777"


def _register(city: City, who: Person, code: str = CODE, name: str = "东城区第七小学改扩建"):
    c = city.client(who)
    return c.post("/owner/projects", data={
        "name": name, "code": code, "fund_source": "fiscal", "investment": "8600",
        "location": "云川市东城区", "csrf_token": csrf_token(c, "/owner/projects")})


def _projects(app: Flask) -> list[tuple[str, int]]:
    with app.app_context():
        return [tuple(r) for r in db.session.execute(
            sa.select(Project.code, Project.owner_org_id).order_by(Project.id))]


def test_the_same_owner_cannot_register_a_code_twice(city: City) -> None:
    with timeutil.frozen(START):
        assert _register(city, city.owner).status_code == 302
        again = _register(city, city.owner, name="第七小学改扩建（重复）")
        # the delegate, to whom the project is not assigned, is told only that it is taken
        hidden = _register(city, city.delegate, name="第七小学改扩建（受托人）")
    page = again.get_data(as_text=True)
    assert again.status_code == 400
    assert f"本单位已登记投资项目代码为 {CODE} 的项目（PJ-" in page and "东城区第七小学改扩建" in page
    assert 'value="第七小学改扩建（重复）"' in page  # what was typed is kept
    page = hidden.get_data(as_text=True)
    assert hidden.status_code == 400 and f"投资项目代码 {CODE} 已经登记" in page
    assert "东城区第七小学改扩建" not in page and "PJ-" not in page
    assert _projects(city.app) == [(CODE, city.owner.org_id)]


def test_another_owner_cannot_register_a_code_already_registered(city: City) -> None:
    other = create_person(city.app, "owner_admin")
    with timeutil.frozen(START):
        assert _register(city, city.owner).status_code == 302
        # surrounding blanks are not a different code
        refused = _register(city, other, code=f"  {CODE} ")
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert f"投资项目代码 {CODE} 已由其他单位登记" in page and "PJ-" not in page.split("error")[1]
    assert _projects(city.app) == [(CODE, city.owner.org_id)]


def test_the_database_refuses_a_second_project_with_a_code(any_app: Flask) -> None:
    city = build_city(any_app, agencies=0)
    with any_app.app_context():
        for n in range(2):
            db.session.add(Project(public_id=f"PJ-X{n}", owner_org_id=city.owner.org_id,
                                   name="x", code=CODE, fund_source="fiscal", investment_fen=1,
                                   location="x", created_at=START))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()


@pytest.mark.postgres
def test_two_registrations_at_once_make_one_project_and_one_refusal(pg_app: Flask) -> None:
    """The other registration is in flight (its insert done, not yet committed) while this one
    checks the code: the check cannot see it, the insert waits on the unique index, and when
    the other commits this request answers the form's refusal, not a 500."""
    city = build_city(pg_app, agencies=0)
    other = create_person(pg_app, "owner_admin")
    with timeutil.frozen(START):
        client = city.client(city.owner)
        token = csrf_token(client, "/owner/projects")
    answers: list[int] = []
    with pg_app.app_context():
        rival = db.engine.connect()
        transaction = rival.begin()
        rival.execute(sa.insert(Project).values(
            public_id="PJ-RIVAL", owner_org_id=other.org_id, name="西岭第七小学", code=CODE,
            fund_source="fiscal", investment_fen=1, location="x", created_at=START))

        def post() -> None:
            with timeutil.frozen(START):
                answers.append(client.post("/owner/projects", data={
                    "name": "东城区第七小学改扩建", "code": CODE, "fund_source": "fiscal",
                    "investment": "8600", "location": "云川市东城区",
                    "csrf_token": token}).status_code)

        thread = threading.Thread(target=post)
        thread.start()
        waiting = sa.text("SELECT count(*) FROM pg_stat_activity "
                          "WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO project%'")
        for _ in range(400):
            with db.engine.connect() as probe:  # a new transaction: a fresh activity snapshot
                if probe.execute(waiting).scalar():
                    break
            threading.Event().wait(0.05)
        else:
            pytest.fail("the request never waited on the unique index")
        transaction.commit()
        rival.close()
        thread.join(timeout=30)
    assert answers == [400]
    assert _projects(pg_app) == [(CODE, other.org_id)]


def _upgrade_with_duplicates(app: Flask) -> dict[str, int]:
    """An 0011 database holding one code three times (two owners) and one code once."""
    from flask_migrate import upgrade

    with app.app_context():
        upgrade(revision="0011")
        ids: dict[str, int] = {}
        with db.engine.begin() as conn:
            for n, kind in ((1, "owner"), (2, "owner")):
                conn.execute(sa.text(
                    "INSERT INTO organisation (id, public_id, kind, name, status, created_at) "
                    "VALUES (:id, :pid, :kind, :name, 'active', :at)").bindparams(
                        sa.bindparam("at", type_=UTCDateTime())),
                    {"id": n, "pid": f"OW-{n}", "kind": kind, "name": f"业主{n}", "at": START})
            for n, (owner, code) in enumerate(((1, CODE), (1, CODE), (2, CODE),
                                               (2, "2026-539902-48-01-000001")), start=1):
                conn.execute(sa.text(
                    "INSERT INTO project (id, public_id, owner_org_id, name, code, fund_source, "
                    "investment_fen, location, created_at) VALUES (:id, :pid, :owner, :name, "
                    ":code, 'fiscal', 1, 'x', :at)").bindparams(
                        sa.bindparam("at", type_=UTCDateTime())),
                    {"id": n, "pid": f"PJ-{n:06d}", "owner": owner, "name": f"项目{n}",
                     "code": code, "at": START})
                ids[f"PJ-{n:06d}"] = n
        upgrade()
    return ids


@pytest.mark.parametrize("engine", ["sqlite", pytest.param("postgresql",
                                                           marks=pytest.mark.postgres)])
def test_the_migration_keeps_the_first_and_marks_the_later_duplicates(
        engine: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest) -> None:
    from flask_migrate import downgrade

    from market import create_app

    url = f"sqlite:///{tmp_path / 'old.db'}"
    if engine == "postgresql":
        url = request.getfixturevalue("pg_url")
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    _upgrade_with_duplicates(app)
    with app.app_context():
        codes = dict(db.session.execute(sa.select(Project.public_id, Project.code)).all())
        assert codes == {"PJ-000001": CODE, "PJ-000002": f"{CODE}#2", "PJ-000003": f"{CODE}#3",
                         "PJ-000004": "2026-539902-48-01-000001"}
        events = {e.target: (e.organisation_id, e.details) for e in db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.tag == "system:project:code-duplicate"))}
        assert events == {
            "PJ-000002": (1, {"code": CODE, "marked": f"{CODE}#2", "duplicates": "PJ-000001"}),
            "PJ-000003": (2, {"code": CODE, "marked": f"{CODE}#3", "duplicates": "PJ-000001"})}
        db.session.add(Project(public_id="PJ-NEW", owner_org_id=2, name="x", code=CODE,
                               fund_source="fiscal", investment_fen=1, location="x",
                               created_at=START))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        downgrade(revision="0011")
        assert sorted(db.session.scalars(sa.text("SELECT code FROM project ORDER BY id"))) == \
            sorted([CODE, CODE, CODE, "2026-539902-48-01-000001"])
        assert db.session.scalar(sa.text(
            "SELECT count(*) FROM audit_event WHERE tag = 'system:project:code-duplicate'")) == 0
        db.session.remove()
        db.engine.dispose()
