"""Configuration, security headers, error pages, one transaction per request."""

from __future__ import annotations

import logging
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, abort

from market import create_app
from market.accounts.audit import AuditEvent
from market.accounts.auth import ANYONE, access
from market.config import ConfigError
from market.db import db
from tests.conftest import make_app
from tests.support.production import production as _production


def test_production_without_secret_key_refuses_to_start(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MARKET_ENV", "production")
    monkeypatch.delenv("MARKET_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="MARKET_SECRET_KEY"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_development_generates_and_keeps_a_secret_key(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("MARKET_SECRET_KEY", raising=False)
    first = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    second = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"}).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_configure_the_app(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("MARKET_DATABASE_URL", f"sqlite:///{tmp_path}/env.db")
    monkeypatch.setenv("MARKET_SECRET_KEY", "from-env")
    monkeypatch.setenv("MARKET_UPLOAD_DIR", str(tmp_path / "up"))
    monkeypatch.setenv("MARKET_HTTPS", "1")
    app = create_app()
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
    assert app.config["SECRET_KEY"] == "from-env"
    assert app.config["UPLOAD_DIR"] == str(tmp_path / "up")
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_default_database_is_sqlite_in_the_instance_folder_with_wal(tmp_path, monkeypatch):
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("MARKET_DATABASE_URL", raising=False)
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'market.db'}"
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        assert db.session.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1


def test_security_headers_and_cookie_flags(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "<script>" not in response.get_data(as_text=True)  # no inline script


def test_secure_cookie_when_https(tmp_path: Path) -> None:
    app = make_app(tmp_path, HTTPS=True, SESSION_COOKIE_SECURE=True)
    response = app.test_client().get("/login")
    assert "Secure" in response.headers.get("Set-Cookie", "")


def test_server_error_page_has_a_logged_reference_and_rolls_back(tmp_path: Path, caplog) -> None:
    app = make_app(tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    @access(ANYONE)
    def boom() -> str:
        from market.accounts import audit

        audit.record("test:boom:start", "x")
        db.session.flush()
        raise RuntimeError("boom")

    with caplog.at_level(logging.ERROR, logger="market.errors"):
        response = app.test_client().get("/boom")
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "错误编号" in page
    reference = page.split('data-test="error-ref">')[1].split("<")[0]
    assert reference in caplog.text
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0


def test_a_view_without_an_access_rule_stops_start_up(tmp_path: Path) -> None:
    from market.accounts.auth import check_every_view_has_a_rule

    app = make_app(tmp_path)

    @app.route("/unguarded")
    def unguarded() -> str:
        return "no rule"

    with pytest.raises(RuntimeError, match="unguarded"):
        check_every_view_has_a_rule(app)


def test_naive_datetimes_are_refused(app: Flask) -> None:
    from datetime import datetime

    with app.app_context():
        db.session.add(AuditEvent(at=datetime(2026, 1, 1), tag="t:t:t", target="x",  # noqa: DTZ001
                                  details={}))
        with pytest.raises(Exception, match="naive"):
            db.session.flush()


# --- production start-up ---------------------------------------------------------------------

def test_production_starts_with_every_required_setting_and_shows_no_demo_notice(
        tmp_path: Path, monkeypatch) -> None:
    app = _production(tmp_path, monkeypatch)
    with app.app_context():
        db.create_all()
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "demo-notice" not in page and "云川市" not in page
    assert "某市中介服务超市" in page
    monkeypatch.setenv("MARKET_ENV", "development")
    monkeypatch.setenv("MARKET_SITE_NAME", "云川市中介服务超市")
    development = make_app(tmp_path / "dev")
    assert "demo-notice" in development.test_client().get("/login").get_data(as_text=True)


@pytest.mark.parametrize("variable", [
    "MARKET_SECRET_KEY", "MARKET_SIGNING_KEY", "MARKET_DATA_KEY", "MARKET_DATABASE_URL",
    "MARKET_LOG_ORIGIN", "MARKET_SITE_NAME", "MARKET_SITE_URL", "MARKET_OCDS_OCID_PREFIX"])
def test_production_refuses_to_start_without_each_required_setting(
        tmp_path: Path, monkeypatch, variable: str) -> None:
    expected = "MARKET_SIGNING_KEY_FILE" if variable == "MARKET_SIGNING_KEY" else variable
    with pytest.raises(ConfigError, match=expected):
        _production(tmp_path, monkeypatch, **{variable: None})


def test_production_names_every_missing_setting_at_once(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ConfigError) as caught:
        _production(tmp_path, monkeypatch, MARKET_SIGNING_KEY=None, MARKET_DATA_KEY=None,
                    MARKET_SITE_URL=None)
    message = str(caught.value)
    assert all(v in message for v in ("MARKET_SIGNING_KEY_FILE", "MARKET_DATA_KEY",
                                      "MARKET_SITE_URL"))
    assert "MARKET_SECRET_KEY" not in message


@pytest.mark.parametrize(("variable", "value", "says"), [
    ("MARKET_DATA_KEY", "00" * 16, "32 bytes"),
    ("MARKET_DATA_KEY", "not hex, not base64!", "32 bytes"),
    ("MARKET_SIGNING_KEY", "c2hvcnQ=", "32-byte"),
    ("MARKET_SIGNING_KEY_FILE", "/nonexistent/signing.pem", "cannot read"),
    ("MARKET_SECRET_KEY", "short", "32 characters"),
    ("MARKET_LOG_ORIGIN", "yunchuan.market.example/draws", "demo city"),
])
def test_production_refuses_unusable_values(tmp_path: Path, monkeypatch, variable: str,
                                            value: str, says: str) -> None:
    changes = {variable: value}
    if variable == "MARKET_SIGNING_KEY_FILE":
        changes["MARKET_SIGNING_KEY"] = None
    with pytest.raises(ConfigError, match=f"(?s){variable}.*{says}"):
        _production(tmp_path, monkeypatch, **changes)


def test_a_signing_key_file_that_is_not_a_key_is_refused(tmp_path: Path, monkeypatch) -> None:
    bad = tmp_path / "signing.pem"
    bad.write_text("-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigError, match="MARKET_SIGNING_KEY_FILE"):
        _production(tmp_path, monkeypatch, MARKET_SIGNING_KEY=None,
                    MARKET_SIGNING_KEY_FILE=str(bad))


def test_production_warns_when_login_limits_are_counted_per_process(
        tmp_path: Path, monkeypatch, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="market"):
        _production(tmp_path, monkeypatch)
    assert "MARKET_RATELIMIT_STORAGE_URI" in caplog.text


# --- files only the owner can read -------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_default_database_and_instance_folder_are_private(tmp_path: Path, monkeypatch):
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("MARKET_DATABASE_URL", raising=False)
    old = os.umask(0o022)  # the usual umask, which made market.db 0644
    try:
        app = create_app({"SECRET_KEY": "x"})
        with app.app_context():
            db.create_all()
            db.session.execute(sa.text("SELECT 1"))
            database = Path(app.instance_path) / "market.db"
            assert _mode(database) == 0o600
            for suffix in ("-wal", "-shm"):  # SQLite gives them the database's mode
                side = Path(str(database) + suffix)
                assert not side.exists() or _mode(side) == 0o600
            db.engine.dispose()
        assert _mode(Path(app.instance_path)) == 0o700
    finally:
        os.umask(old)


def test_an_existing_world_readable_database_is_tightened(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    (tmp_path / "instance").mkdir(mode=0o755)
    database = tmp_path / "old.db"
    database.touch(mode=0o644)
    database.chmod(0o644)
    create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{database}"})
    assert _mode(database) == 0o600
    assert _mode(tmp_path / "instance") == 0o700


def test_upload_folders_and_backups_are_not_world_readable(tmp_path: Path) -> None:
    import io

    from market.storage import path_for, store

    old = os.umask(0o022)
    try:
        app = make_app(tmp_path)
        with app.app_context():
            upload = store(io.BytesIO(b"%PDF-1.4\n" + b"x" * 100), "licence.pdf")
            stored = path_for(upload.sha256)
            assert _mode(stored) & 0o007 == 0
            for folder in (Path(app.config["UPLOAD_DIR"]), stored.parent):
                assert _mode(folder) & 0o007 == 0, folder
            db.session.rollback()
        backup = tmp_path / "backups" / "market.sqlite"
        result = app.test_cli_runner().invoke(args=["backup", "create", str(backup)])
        assert result.exit_code == 0, result.output
        assert _mode(backup) == 0o600
    finally:
        os.umask(old)


def test_the_suites_shared_url_builders_are_werkzeugs_own(app: Flask) -> None:
    """tests/support/url_builders.py hands every app the builders compiled for the first: each
    rule's must be the very code Werkzeug compiles for that rule now, and build the same URLs."""
    from werkzeug.routing import IntegerConverter

    from tests.support.url_builders import compile_fresh

    rules = list(app.url_map.iter_rules())
    assert len(rules) > 200
    for rule in rules:
        values = {name: 12 if isinstance(rule._converters.get(name), IntegerConverter)
                  else "ab-c" for name in rule.arguments}
        for append_unknown, built in ((False, rule._build), (True, rule._build_unknown)):
            fresh = compile_fresh(rule, append_unknown)
            for code in ("co_code", "co_consts", "co_names", "co_varnames", "co_argcount"):
                assert getattr(built.__code__, code) == getattr(fresh.__code__, code), (rule, code)
            extra = {"unknown": "x y"} if append_unknown else {}
            assert built(**values, **extra) == fresh(**values, **extra), rule


def test_the_suites_shared_rule_parses_are_werkzeugs_own(tmp_path: Path) -> None:
    """tests/support/url_builders.py hands every app the parse its first app made of a rule:
    a second app's rules must have the parts, trace and arguments Werkzeug parses for them now,
    and converters of the same kinds and settings, but their own, holding their own map."""
    from tests.support.url_builders import _PARSED, compile_fresh_rule

    make_app(tmp_path / "first")
    app = make_app(tmp_path / "second")
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 200 and len(_PARSED) >= len({r.rule for r in rules})
    converted = 0
    for rule in rules:
        fresh = compile_fresh_rule(rule)
        assert rule._parts == fresh._parts, rule
        assert rule._trace == fresh._trace, rule
        assert rule.arguments == fresh.arguments, rule
        assert rule._converters.keys() == fresh._converters.keys(), rule
        for name, converter in rule._converters.items():
            other = fresh._converters[name]
            assert type(converter) is type(other) and vars(converter) == vars(other), rule
            assert converter.map is app.url_map
            converted += 1
    assert converted > 100
    match = app.url_map.bind("localhost").match
    assert match("/login") == ("accounts.login", {})


def test_the_suites_shared_template_code_is_jinjas_own(app: Flask) -> None:
    """tests/support/template_cache.py hands every app the code its first app compiled for a
    template: after a page is rendered, the cached code of each template it used must be the
    very code this app's environment compiles from the source now."""
    from tests.support.template_cache import SHARED

    env = app.jinja_env
    assert env.bytecode_cache is SHARED
    assert app.test_client().get("/login").status_code == 200
    for name in ("base.html", "accounts/login.html"):
        assert env.loader is not None
        source, filename, _ = env.loader.get_source(env, name)
        bucket = SHARED.get_bucket(env, name, filename, source)
        assert bucket.code is not None, name
        assert bucket.code == env.compile(source, name, filename, raw=False), name


def test_the_shared_template_code_is_kept_apart_per_compile_option() -> None:
    """Environments whose options change the generated code do not share it: the same template
    renders as each environment renders it without the cache, and a changed source is compiled
    again."""
    from jinja2 import DictLoader, Environment

    from tests.support.template_cache import SharedBytecode

    shared = SharedBytecode()
    source = {"page.html": "{% if x %}\n  <b>{{ x }}</b>\n{% endif %}\n"}
    for options in ({}, {"trim_blocks": True}, {"autoescape": True}, {"lstrip_blocks": True,
                                                                      "trim_blocks": True}):
        # noqa S701: autoescape off and on are both options under test
        plain = Environment(loader=DictLoader(source), **options)  # noqa: S701
        cached = Environment(loader=DictLoader(source), bytecode_cache=shared, **options)  # noqa: S701
        for x in ("a<", ""):
            assert cached.get_template("page.html").render(x=x) == \
                plain.get_template("page.html").render(x=x), options
    assert len(shared.store) == 4
    changed = Environment(loader=DictLoader({"page.html": "<i>{{ x }}</i>"}),
                          bytecode_cache=shared, autoescape=True)
    assert changed.get_template("page.html").render(x="y") == "<i>y</i>"


def test_a_statement_compiled_for_one_app_serves_the_next(tmp_path: Path) -> None:
    """tests/support/statement_cache.py: a second app's engine (another dialect object of the
    same settings) finds the statement the first compiled, and runs it on its own database."""
    from market.accounts.models import User
    from tests.conftest import create_person
    from tests.support.statement_cache import SHARED, SharedStatements

    found = []
    for n in (1, 2):
        application = make_app(tmp_path / str(n))
        person = create_person(application, "operator")
        with application.app_context():
            assert db.engine._compiled_cache is SHARED
            assert isinstance(sa.inspect(User).base_mapper._compiled_cache, SharedStatements)
            result = db.session.connection().execute(sa.select(User.email, User.id).where(
                User.email.startswith("operator")).order_by(User.id))
            found.append((result.context.cache_hit, result.all()))
            db.session.remove()
            db.engine.dispose()
        assert found[-1][1] == [(person.email, person.user_id)]
    assert found[1][0].name == "CACHE_HIT"  # compiled for the first app


def test_dialects_of_other_settings_compile_their_own_statements(tmp_path: Path) -> None:
    """Engines whose dialect settings differ (here the parameter style) do not share compiled
    statements; engines of the same settings do."""
    from tests.support.statement_cache import SharedStatements, dialect_settings

    shared = SharedStatements()
    table = sa.table("t", sa.column("x"))
    query = sa.select(table.c.x).where(table.c.x == 7)
    compiled = {}
    for name, options in (("qmark", {}), ("named", {"paramstyle": "named"}),
                          ("qmark again", {})):
        engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}", **options)
        engine._compiled_cache = shared  # type: ignore[assignment]
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE IF NOT EXISTS t (x INTEGER)"))
            conn.execute(sa.text("DELETE FROM t"))
            conn.execute(sa.text("INSERT INTO t VALUES (7)"))
            result = conn.execute(query)
            compiled[name] = (dialect_settings(engine.dialect), result.context.compiled.string,
                              result.context.cache_hit.name, result.all())
        engine.dispose()
    assert compiled["qmark"][0] != compiled["named"][0]
    assert compiled["qmark"][0] == compiled["qmark again"][0]
    assert "?" in compiled["qmark"][1] and ":x_1" in compiled["named"][1]
    assert [c[2] for c in compiled.values()] == ["CACHE_MISS", "CACHE_MISS", "CACHE_HIT"]
    assert all(c[3] == [(7,)] for c in compiled.values())


def test_a_dialect_whose_settings_change_gets_a_new_key(tmp_path: Path) -> None:
    """The settings of the dialect last asked about are remembered with its attributes: a
    setting changed on the same object (as its first connection sets the server's version)
    gives the new key, and changed back, the old one."""
    from tests.support.statement_cache import dialect_settings

    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    dialect = engine.dialect
    before = dialect_settings(dialect)
    assert dialect_settings(dialect) == before
    style = dialect.paramstyle
    dialect.paramstyle = "named"
    changed = dialect_settings(dialect)
    assert changed != before and ("paramstyle", "named") in changed[1]  # type: ignore[index]
    dialect.paramstyle = style
    assert dialect_settings(dialect) == before
    engine.dispose()


def _audit_rows(app: Flask) -> int:
    with app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0)


def _write(how: str) -> None:
    from market.accounts import audit

    if how == "core":  # a statement of its own, past the unit of work
        db.session.connection().execute(sa.insert(AuditEvent).values(
            at=datetime(2026, 1, 1, tzinfo=UTC), tag="test:fail:core", target="x"))
        return
    audit.record("test:fail:" + how, "x")
    if how == "flushed":
        db.session.flush()


def _fail(code: int) -> None:
    if code == 500:
        raise RuntimeError("failed after writing")
    abort(code)


@pytest.mark.parametrize("code", [403, 404, 500])
@pytest.mark.parametrize("how", ["pending", "flushed", "core"])
def test_a_request_that_wrote_then_failed_leaves_nothing(tmp_path: Path, code: int,
                                                         how: str) -> None:
    """Through a view's transaction, and through the error page alone (a route without the
    access wrapper, which the start-up check no longer sees): nothing is written, and a
    commit later in the same application context finds nothing of it to commit."""
    app = make_app(tmp_path, TESTING=False, PROPAGATE_EXCEPTIONS=False)

    @app.route("/wrapped")
    @access(ANYONE)
    def wrapped() -> str:
        _write(how)
        _fail(code)
        return "not reached"

    @app.route("/bare")
    def bare() -> str:
        _write(how)
        _fail(code)
        return "not reached"

    for path in ("/wrapped", "/bare"):
        with app.app_context():
            assert app.test_client().get(path).status_code == code
            db.session.commit()
        assert _audit_rows(app) == 0, path


def test_an_error_page_for_a_logged_in_user_loads_them_once(app: Flask) -> None:
    """A refused or missing page rolls back nothing when nothing was written: the page's
    menu uses the user and memberships the request already loaded."""
    from market.accounts.models import Role
    from tests.conftest import create_person, login
    from tests.support.page_cache import statements

    client = app.test_client()
    assert login(client, create_person(app, Role.AGENCY_STAFF).email).status_code == 302
    client.get("/")  # the session's last-seen time is written here, not below
    for path, code in (("/regulator/draws", 403), ("/no/such/page", 404)):
        with statements(app) as seen:
            assert client.get(path).status_code == code
        # the session's row brings the user, memberships and organisations, once
        assert sum("user_account" in s or "membership" in s for s in seen) == 1, (path, seen)
        assert len(seen) <= 2, (path, seen)


def test_a_page_of_several_forms_repeats_no_id(app: Flask) -> None:
    """The header's language switch and logout and the page's own form each carry a CSRF
    token: rendered without an id, so no two elements of the page share one, and still read
    (and checked) by their name."""
    import re

    from market.accounts.models import Role
    from tests.conftest import create_person, csrf_token, login

    client = app.test_client()
    assert login(client, create_person(app, Role.REGULATOR).email).status_code == 302
    html = client.get("/regulator/avoid-reviews").get_data(as_text=True)
    assert html.count('name="csrf_token"') >= 2
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    token = csrf_token(client, "/regulator/avoid-reviews")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302


def _kept_event() -> AuditEvent:
    """An audit row written and committed, then loaded in a new transaction."""
    db.session.add(AuditEvent(at=datetime(2026, 1, 1, tzinfo=UTC), tag="test:kept", target="x"))
    db.session.commit()
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.tag == "test:kept")).one()
    assert not sa.inspect(event).expired_attributes
    return event


def _tree_of_events() -> sa.Select:
    """A recursive query shaped like the directory's region tree: SQL that starts with WITH."""
    tree = sa.select(AuditEvent.id).where(AuditEvent.tag == "test:kept").cte("tree",
                                                                             recursive=True)
    tree = tree.union_all(sa.select(AuditEvent.id).join(tree, AuditEvent.id == tree.c.id + 1))
    return sa.select(tree.c.id)


def test_a_failed_request_that_read_through_with_keeps_its_transaction(any_app: Flask) -> None:
    """A compiled SELECT that starts with a common table expression only reads: an error page
    after it keeps what the request loaded.  Text starting with WITH is not parsed and counts
    as a write (a needless rollback, nothing worse)."""
    from market.db import discard_failed_work

    with any_app.test_request_context():
        event = _kept_event()
        assert len(db.session.execute(_tree_of_events()).all()) == 1
        discard_failed_work()
        assert not sa.inspect(event).expired_attributes

        db.session.execute(sa.text("WITH one AS (SELECT 1 AS n) SELECT n FROM one")).all()
        discard_failed_work()
        assert sa.inspect(event).expired_attributes


@pytest.mark.postgres
def test_a_write_inside_with_is_a_write(pg_app: Flask) -> None:
    """PostgreSQL runs an INSERT inside a WITH: a failed request that did so rolls it back,
    and a later commit finds nothing of it."""
    from market.db import discard_failed_work

    with pg_app.test_request_context():
        _kept_event()
        added = sa.insert(AuditEvent).values(at=datetime(2026, 1, 2, tzinfo=UTC),
                                             tag="test:inside-with", target="x")
        added_ids = added.returning(AuditEvent.id).cte("added")
        assert len(db.session.execute(sa.select(added_ids.c.id)).all()) == 1
        discard_failed_work()
        db.session.commit()
        tags = db.session.scalars(sa.select(AuditEvent.tag)).all()
        assert tags == ["test:kept"]
