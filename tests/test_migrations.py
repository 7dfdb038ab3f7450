"""Migrations: an empty database upgrades to head and agrees with the models (SQLite and
PostgreSQL), as Warehouse's db-check does."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import upgrade

from market import create_app
from market.db import db
from tests.support.schema import sqlite_file

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def _fresh_app(tmp_path: Path, url: str, monkeypatch) -> Flask:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})


def _check(app: Flask) -> None:
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "render_as_batch": True})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], f"models and migrations disagree: {diff}"
        db.engine.dispose()


class Upgraded:
    """SQLite files this module upgraded, by revision.  A test that needs a database at some
    revision starts from a copy of one upgraded there (or short of it) before: upgrading from
    0001 takes seconds, and only the head test is about that climb.  The steps a test is about
    still run in the test, on its own file."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.files: dict[str, Path] = {}
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        self.chain = [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]
        self.chain.reverse()  # from the first to head

    def keep(self, revision: str, app: Flask) -> None:
        """Remember ``app``'s database, upgraded to ``revision`` (and its engine disposed)."""
        path = sqlite_file(app.config["SQLALCHEMY_DATABASE_URI"])
        assert path is not None
        self.files[revision] = self.folder / f"{revision}.db"
        shutil.copyfile(path, self.files[revision])

    def app(self, tmp_path: Path, monkeypatch, revision: str, name: str) -> Flask:
        """An app on ``tmp_path / name``, at ``revision`` ("head" for the last)."""
        if revision == "head":
            revision = self.chain[-1]
        target = tmp_path / name
        before = [r for r in self.chain[:self.chain.index(revision) + 1] if r in self.files]
        if before:
            shutil.copyfile(self.files[before[-1]], target)
        app = _fresh_app(tmp_path, f"sqlite:///{target}", monkeypatch)
        if before[-1:] != [revision]:
            with app.app_context():
                upgrade(revision=revision)
                db.session.remove()
                db.engine.dispose()
            self.keep(revision, app)
        return app


@pytest.fixture(scope="module")
def upgraded(tmp_path_factory: pytest.TempPathFactory) -> Upgraded:
    return Upgraded(tmp_path_factory.mktemp("upgraded"))


def test_sqlite_upgrade_to_head_matches_models(tmp_path: Path, monkeypatch,
                                               upgraded: Upgraded) -> None:
    app = _fresh_app(tmp_path, f"sqlite:///{tmp_path / 'm.db'}", monkeypatch)
    _check(app)  # from an empty file
    upgraded.keep(upgraded.chain[-1], app)


def test_postgresql_upgrade_to_head_matches_models(tmp_path: Path, pg_url: str,
                                                   monkeypatch) -> None:
    _check(_fresh_app(tmp_path, pg_url, monkeypatch))


def test_migration_files_have_readable_names() -> None:
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    for path in versions.glob("*.py"):
        number, _, slug = path.stem.partition("_")
        assert number.isdigit() and len(number) == 4 and slug, path.name


def test_every_batch_skips_the_tables_its_foreign_keys_name() -> None:
    """A batch's table copy on SQLite stubs the tables its foreign keys name, so reflecting
    them (SQLAlchemy's default) is only cost (migrations/README)."""
    calls = 0
    for path in sorted((MIGRATIONS / "versions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                    node.func.attr == "batch_alter_table":
                calls += 1
                reflect = {k.arg: k.value for k in node.keywords}.get("reflect_kwargs")
                assert isinstance(reflect, ast.Dict) and ast.literal_eval(reflect) == {
                    "resolve_fks": False}, f"{path.name}:{node.lineno}"
    assert calls > 200


def test_every_migration_downgrades_and_upgrades_again(tmp_path: Path, monkeypatch,
                                                      upgraded: Upgraded) -> None:
    from flask_migrate import downgrade

    app = upgraded.app(tmp_path, monkeypatch, "head", "round.db")
    with app.app_context():
        upgrade()  # at head already: nothing to do
        downgrade(revision="base")
        upgrade()
        db.engine.dispose()


def _previous(revision: str) -> str:
    """The revision ``revision`` follows (read from its file: the chain is re-linked when
    branches merge)."""
    versions = Path(__file__).resolve().parent.parent / "migrations" / "versions"
    path = next(versions.glob(f"{revision}_*.py"))
    found = re.search(r"^down_revision = '(\w+)'", path.read_text(encoding="utf-8"), re.M)
    assert found
    return found.group(1)


def _regulators_move(app: Flask, *, at_start: bool = False) -> None:
    """Each service type's industry regulator becomes a row for the regulator's own tenant;
    a type with none gets no row."""
    from flask_migrate import downgrade

    from market.accounts import operations as accounts
    from market.accounts import tenants
    from market.accounts.models import OrgKind, RegulatorKind
    from market.catalogue.models import ServiceType

    with app.app_context():
        if not at_start:
            upgrade(revision=_previous("0045"))
        # the tables the rows go in are the same at that revision as in the models
        home = tenants.home_tenant()  # the migrations seed the first tenant
        other = tenants.add("539800", "云岭市", tenant=True)
        bureau = accounts.create_organisation(OrgKind.REGULATOR, "云川市生态环境局",
                                              tenant_id=home.id,
                                              regulator_kind=RegulatorKind.INDUSTRY)
        elsewhere = accounts.create_organisation(OrgKind.REGULATOR, "云岭市住房和城乡建设局",
                                                 tenant_id=other.id,
                                                 regulator_kind=RegulatorKind.INDUSTRY)
        db.session.add_all([ServiceType(code="EIA", name="环境影响评价", regulator_id=bureau.id),
                            ServiceType(code="DES", name="工程设计", regulator_id=elsewhere.id),
                            ServiceType(code="SURV", name="测绘")])
        db.session.commit()
        ids = {c: i for c, i in db.session.execute(sa.select(ServiceType.code, ServiceType.id))}
        expected = {(home.id, ids["EIA"], bureau.id), (other.id, ids["DES"], elsewhere.id)}
        db.session.remove()
        upgrade()
        rows = set(db.session.execute(sa.text(
            "SELECT tenant_id, service_type_id, regulator_id FROM service_type_regulator")).all())
        assert rows == expected
        db.session.remove()
        downgrade(revision=_previous("0045"))
        assert db.session.scalar(sa.text("SELECT count(*) FROM service_type")) == 3
        db.session.remove()
        db.engine.dispose()


def test_sqlite_regulators_move_to_their_tenants(tmp_path: Path, monkeypatch,
                                                 upgraded: Upgraded) -> None:
    _regulators_move(upgraded.app(tmp_path, monkeypatch, _previous("0045"), "r.db"),
                     at_start=True)


def test_postgresql_regulators_move_to_their_tenants(tmp_path: Path, pg_url: str,
                                                     monkeypatch) -> None:
    _regulators_move(_fresh_app(tmp_path, pg_url, monkeypatch))


def _departments_get_tenants(app: Flask, *, at_start: bool = False) -> None:
    """A staffed department takes its staff organisation's tenant (a second city's too); one
    nobody staffed takes the province's row (its operator keeps the catalogue and assigns it),
    not the first city's."""
    from flask_migrate import downgrade

    from market.accounts import operations as accounts
    from market.accounts import tenants
    from market.accounts.models import OrgKind

    with app.app_context():
        if not at_start:
            upgrade(revision=_previous("0048"))
        home = tenants.home_tenant()
        other = tenants.add("539800", "云岭市", tenant=True)
        province = tenants.province()
        assert province is not None
        staff = {t.id: accounts.create_organisation(OrgKind.DEPARTMENT, f"{t.name}生态环境局（审批部门）",
                                                    tenant_id=t.id).id
                 for t in (home, other)}
        # the table as 0047 knows it: no tenant yet
        for code, org in (("YC-STHJJ", staff[home.id]), ("YL-STHJJ", staff[other.id]),
                          ("YN-FGW", None)):
            db.session.execute(sa.text(
                "INSERT INTO department (code, name, organisation_id) VALUES (:c, :n, :o)"),
                {"c": code, "n": code + " 部门", "o": org})
        db.session.commit()
        expected = {("YC-STHJJ", home.id), ("YL-STHJJ", other.id), ("YN-FGW", province.id)}
        db.session.remove()
        upgrade(revision="0048")
        assert set(db.session.execute(sa.text(
            "SELECT code, tenant_id FROM department")).all()) == expected
        with pytest.raises(sa.exc.IntegrityError):  # every department has one from now on
            db.session.execute(sa.text("UPDATE department SET tenant_id = NULL"))
        db.session.rollback()
        db.session.remove()
        downgrade(revision=_previous("0048"))
        assert db.session.scalar(sa.text("SELECT count(*) FROM department")) == 3
        assert "tenant_id" not in {c["name"] for c in sa.inspect(db.engine).get_columns(
            "department")}
        db.session.remove()
        db.engine.dispose()


def test_sqlite_departments_get_tenants(tmp_path: Path, monkeypatch,
                                        upgraded: Upgraded) -> None:
    _departments_get_tenants(upgraded.app(tmp_path, monkeypatch, _previous("0048"), "d.db"),
                             at_start=True)


def test_postgresql_departments_get_tenants(tmp_path: Path, pg_url: str, monkeypatch) -> None:
    _departments_get_tenants(_fresh_app(tmp_path, pg_url, monkeypatch))


def test_the_migration_refuses_a_dated_draft(tmp_path: Path, monkeypatch,
                                             capfd: pytest.CaptureFixture[str],
                                             upgraded: Upgraded) -> None:
    """Upgraded over a draft that carries a date, the check's migration stops with the
    request named and changes nothing; with the date cleared it goes through."""
    from tests.support.requests_data import published_requests

    before = _previous("0047")
    app = upgraded.app(tmp_path, monkeypatch, before, "m.db")
    published_requests(app, ["open"])
    with app.app_context():
        db.session.execute(sa.text(
            "UPDATE selection_request SET published_at = "
            "(SELECT max(published_at) FROM selection_request) WHERE state = 'draft'"))
        db.session.commit()
        draft = db.session.scalar(sa.text(
            "SELECT public_id FROM selection_request WHERE state = 'draft'"))
        with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
            upgrade(revision="0047")
        # (alembic's logging setup writes to stderr, past pytest's log capture)
        assert re.search(f"drafts carry a publication date.*{draft}", capfd.readouterr().err)
        db.session.remove()
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == before
        db.session.execute(sa.text(
            "UPDATE selection_request SET published_at = NULL WHERE state = 'draft'"))
        db.session.commit()
        upgrade(revision="0047")
        db.session.remove()
        assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == "0047"
        db.engine.dispose()
