"""Fixtures: an app per test (SQLite by default, PostgreSQL where asked), one client per role."""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from market import create_app, timeutil
from market.accounts import operations as ops
from market.accounts import tenants
from market.accounts.models import OrgKind, Role
from market.accounts.passwords import use_cheap_parameters
from market.db import db
from tests.support import file_order, schema, scratch
from tests.support.live import Axe, CheckedBrowser, axe_missing_reason
from tests.support.postgres import (
    PostgresUnavailable,
    create_database,
    drop_database,
    throwaway_cluster,
)
from tests.support.statement_cache import reuse_compiled_statements
from tests.support.template_cache import reuse_compiled_templates
from tests.support.url_builders import reuse_url_builders

# fixtures shared by test modules of several areas
pytest_plugins = ["tests.support.second_factor"]

PASSWORD = "correct-horse-42"

scratch.use()  # temporary files in memory where there is room (tests/support/scratch.py)
use_cheap_parameters()
reuse_url_builders()  # an app per test: Werkzeug's URL builders compiled once, not per app
reuse_compiled_templates()  # and Jinja's templates
reuse_compiled_statements()  # and SQLAlchemy's statements


def make_app(tmp_path: Path, database_url: str | None = None, *, schema_ready: bool = False,
             **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{tmp_path / 'test.db'}",
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "RATELIMIT_ENABLED": False,
        # Tests move the business clock on by days with a client logged in; the session time
        # limits are tested with their real values in tests/accounts/test_sessions.py.
        "SESSION_IDLE_MINUTES": 60 * 24 * 3650,
        "SESSION_MAX_HOURS": 24 * 3650,
        # Tests log operators and regulators in with a password alone; the second factor's
        # required mode is tested in tests/accounts/test_second_factor.py.
        "SECOND_FACTOR_ROLES": "none",
        **extra,
    }
    # A new database gets the session's empty schema copied in (tests/support/schema.py);
    # one that already holds something gets create_all, as it always did.  ``schema_ready``:
    # the caller's app made the schema already (a race's worker processes, twenty at once,
    # would each check every table again).
    copied = schema_ready or schema.prepare(config["SQLALCHEMY_DATABASE_URI"], _create_schema)
    os.environ["MARKET_INSTANCE_PATH"] = str(tmp_path / "instance")
    app = create_app(config)
    if not copied:
        with app.app_context():
            db.create_all()
    return app


def _create_schema(url: str) -> None:
    """``create_all`` into the empty database at ``url`` (the session's schema template)."""
    folder = Path(tempfile.mkdtemp(prefix="market-schema-app-"))
    try:
        os.environ["MARKET_INSTANCE_PATH"] = str(folder / "instance")
        app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                          "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_DIR": str(folder / "uploads"),
                          "RATELIMIT_ENABLED": False})
        with app.app_context():
            db.create_all()
            db.session.remove()
            db.engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(autouse=True)
def _push_request_context() -> Iterator[None]:
    """Override pytest-flask's pushed request context: with it, Flask-Login's cached user on
    ``g`` leaks between clients (pytest-flask#69).  Each request gets its own context."""
    yield


@pytest.fixture(autouse=True)
def _clock_left_running() -> Iterator[None]:
    """A test that leaves the clock frozen (threads entering and leaving ``timeutil.frozen``
    out of order, an exit skipped) fails here, and the clock runs again for the next test
    instead of that one failing far from the cause."""
    yield
    left = timeutil._frozen
    if left is not None:
        timeutil._frozen = None
        pytest.fail(f"the test left the clock frozen at {left.isoformat()}")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[Flask]:
    application = make_app(tmp_path)
    yield application
    with application.app_context():
        db.engine.dispose()


# --- PostgreSQL -------------------------------------------------------------------------------

_pg_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_base_url() -> Iterator[str]:
    # Not under pytest's tmp folder: that is private to root, and the server runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="market-pg-"))
    try:
        with throwaway_cluster(workdir) as url:
            yield url
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def pg_url(request: pytest.FixtureRequest, pg_base_url: str) -> Iterator[str]:
    """A new empty database (a migration test builds its own schema); with ``pg_app``, the
    app's database, made with the schema in one step.  Dropped after the test, so the
    worker's cluster stays small (tests/support/scratch.py)."""
    name = f"test_{next(_pg_counter)}"
    if "pg_app" in request.fixturenames:
        yield schema.pg_database(pg_base_url, name, _create_schema)
    else:
        yield create_database(pg_base_url, name)
    drop_database(pg_base_url, name)


@pytest.fixture
def pg_app(tmp_path: Path, pg_url: str) -> Iterator[Flask]:
    application = make_app(tmp_path, pg_url, schema_ready=True)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Flask]:
    """The same test on SQLite and on a real PostgreSQL server."""
    url = base = name = None
    if request.param == "postgresql":
        base, name = request.getfixturevalue("pg_base_url"), f"any_{next(_pg_counter)}"
        url = schema.pg_database(base, name, _create_schema)
    application = make_app(tmp_path, url, schema_ready=url is not None)
    yield application
    with application.app_context():
        db.engine.dispose()
    if base and name:
        drop_database(base, name)


# --- people -----------------------------------------------------------------------------------

ROLE_KIND = {
    Role.OWNER_ADMIN: OrgKind.OWNER,
    Role.OWNER_DELEGATE: OrgKind.OWNER,
    Role.AGENCY_ADMIN: OrgKind.AGENCY,
    Role.AGENCY_STAFF: OrgKind.AGENCY,
    Role.REGULATOR: OrgKind.REGULATOR,
    Role.OPERATOR: OrgKind.OPERATOR,
    Role.DEPARTMENT_STAFF: OrgKind.DEPARTMENT,
}


@dataclass
class Person:
    email: str
    password: str
    role: Role
    user_id: int
    org_id: int


_person_counter = itertools.count(1)


def create_person(app: Flask, role: Role, *, org_id: int | None = None,
                  admitted: bool = True, provincial: bool = False) -> Person:
    """A user holding ``role`` in a new (or the given) organisation; ``provincial``: the new
    organisation is the province's own (the provincial operator, who keeps the shared
    catalogue and draw schedule), not the first city's."""
    n = next(_person_counter)
    with app.app_context():
        from market.accounts.models import Organisation, OrgStatus
        from market.domain.codes import make_credit_code

        role = Role(role)
        kind = ROLE_KIND[role]
        if org_id is None:
            code = make_credit_code(f"91539900MA{n:07d}"[:17]) if kind in (
                OrgKind.OWNER, OrgKind.AGENCY) else None
            tenant = None
            if provincial:
                tenants.home_tenant()  # the tree, with its province, exists from here on
                root = tenants.province()
                assert root is not None
                tenant = root.id
            org = ops.create_organisation(kind, f"测试单位{n}", credit_code=code, region="云川市",
                                          tenant_id=tenant)
            if kind == OrgKind.AGENCY and admitted:
                org.status = OrgStatus.ADMITTED.value
        else:
            org = db.session.get(Organisation, org_id)
        if kind == OrgKind.DEPARTMENT and org_id is None:
            from market.catalogue.models import Department

            db.session.add(Department(code=f"DEPT-T{n:06d}", name=org.name,
                                      organisation_id=org.id, tenant_id=org.tenant_id))
        email = f"{role.value}{n}@test.example.cn"
        user = ops.add_member(org, name=f"测试{n}", email=email, role=role, password=PASSWORD)
        db.session.commit()
        return Person(email, PASSWORD, role, user.id, org.id)


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client: FlaskClient, email: str, password: str = PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password,
                                       "csrf_token": token})


@pytest.fixture
def person(app: Flask) -> Callable[..., Person]:
    return lambda role, **kw: create_person(app, role, **kw)


@pytest.fixture
def role_clients(app: Flask) -> dict[str, FlaskClient]:
    """One logged-in client per role, each with its own cookie jar, plus ``anonymous``."""
    return logged_in_clients(app)


def logged_in_clients(app: Flask, *, provincial_operator: bool = False) -> dict[str, FlaskClient]:
    """A new person per role, each logged in through its own client, plus ``anonymous``;
    with ``provincial_operator``, the operator is the province's (who alone edits the
    national calendar), else the home tenant's."""
    clients: dict[str, FlaskClient] = {"anonymous": app.test_client()}
    for role in Role:
        p = create_person(app, role, provincial=provincial_operator and role == Role.OPERATOR)
        c = app.test_client()
        response = login(c, p.email)
        assert response.status_code == 302, response.get_data(as_text=True)
        clients[role.value] = c
    return clients


# --- a real browser -----------------------------------------------------------------------------

# The browser the tests drive: ``MARKET_CHROMIUM`` when set, else Debian's
# chromium-headless-shell, else its chromium.  The headless shell is the same Blink and V8 (the
# same version, from the same source package) without the full browser around it, and costs
# 0.6 of its CPU for the same browser tests, most of it saved in loading each page
# (docs/performance.md).  Playwright passes ``--headless`` to either.
CHROMIUM = (os.environ.get("MARKET_CHROMIUM") or shutil.which("chromium-headless-shell")
            or shutil.which("chromium") or "/usr/bin/chromium")
# ``--max-opt=1``: V8 stops at its baseline compiler (Sparkplug).  A page's scripts and axe-core's
# audit of it run once and briefly; Maglev and Turbofan spent more CPU optimising that code, in
# the renderer's background threads, than the optimised code saved (docs/performance.md).
# What the scripts compute is the same at every tier.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic", "--js-flags=--max-opt=1"]


def browser_missing_reason() -> str | None:
    """Why the browser tests cannot run, or None when they can."""
    if Path(CHROMIUM).exists():
        return None
    if os.environ.get("MARKET_CHROMIUM"):
        return f"browser tests skipped: MARKET_CHROMIUM names {CHROMIUM}, which does not exist"
    return ("browser tests skipped: chromium is not installed "
            "(apt-get install chromium-headless-shell)")


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    """Debian's chromium (its headless shell where installed) through Playwright (never
    `playwright install`)."""
    reason = browser_missing_reason()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(scope="session")
def axe() -> Axe:
    reason = axe_missing_reason()
    if reason:
        pytest.skip(reason)
    return Axe()


@pytest.fixture
def browser(chromium: Any, axe: Axe) -> Iterator[Any]:
    """The browser for one test: every page it loads is checked with axe-core, and a critical
    or serious violation fails the test (tests/support/live.py)."""
    checked = CheckedBrowser(chromium, axe)
    yield checked
    checked.finish()


@pytest.fixture
def demo_city_app(tmp_path: Path) -> Iterator[Flask]:
    """An app on a copy of the demo city, loaded once per session (tests/support/demo_data.py)
    instead of by ``demo.load()`` in each test."""
    from tests.support import demo_data

    application = demo_data.demo_app(tmp_path)
    yield application
    with application.app_context():
        db.engine.dispose()


@pytest.fixture
def demo_site(tmp_path: Path) -> Iterator[str]:
    """A copy of the demo city (tests/support/demo_data.py) served on loopback; its URL."""
    from tests.support import demo_data
    from tests.support.live import serve

    with serve(demo_data.demo_app(tmp_path)) as url:
        yield url


@pytest.fixture(scope="module")
def demo_city_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Flask]]:
    """The module's own copy of the demo city (a file copy of the session's,
    tests/support/demo_data.py) served on loopback: its URL and app.  The module's tests share
    it and write to it in turn; no other module sees what they wrote."""
    from tests.support import demo_data
    from tests.support.live import serve

    application = demo_data.demo_app(tmp_path_factory.mktemp("demo-site"))
    with serve(application) as url:
        yield url, application
    with application.app_context():
        db.engine.dispose()


# --- the order of the files ------------------------------------------------------------------------

def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On ``make test``'s workers, the files longest first (tests/support/file_order.py)."""
    if hasattr(config, "workerinput"):
        items[:] = file_order.longest_first(items, file_order.load_durations())


# --- what this machine lacks ----------------------------------------------------------------------

# A skip reason's prefix -> (what is missing, the Debian package that brings it, or None).
MISSING_PARTS = {
    "axe-core is not installed": ("npm, for axe-core (`make install` runs `npm ci`)", "npm"),
    "MARKET_CHROMIUM names": ("the browser MARKET_CHROMIUM names (unset it to use Debian's)",
                              None),
    "browser tests skipped": ("Debian's chromium-headless-shell (or chromium)",
                              "chromium-headless-shell"),
    "PostgreSQL tests skipped": ("PostgreSQL", "postgresql"),
    "PDF tests skipped": ("Pango, which WeasyPrint loads for the monthly report's PDF",
                          "libpangoft2-1.0-0"),
    "OCDS tests skipped": ("the OCDS schemas (../shared/ocds beside the checkout)", None),
}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """One block at the end: which tests were skipped for a missing system part, and the one
    command that installs what can be installed."""
    counts: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        for prefix in MISSING_PARTS:  # the most specific first
            if prefix in reason:
                counts[prefix] = counts.get(prefix, 0) + 1
                break
    if not counts:
        return
    terminalreporter.section("skipped: this machine lacks a part", sep="=")
    packages = []
    for prefix, n in counts.items():
        what, package = MISSING_PARTS[prefix]
        terminalreporter.line(f"  {n:4d} test(s) need {what}")
        if package:
            packages.append(package)
    if packages:
        terminalreporter.line(f"  install with: sudo apt-get install -y {' '.join(packages)}")
