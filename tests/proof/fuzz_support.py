# ruff: noqa: S608  # fixed SQL of this file (demo e-mails, table names), no outside input
"""Shared by tests/proof: a demo city that can be reset between routes, demo logins per role,
real object ids per route, a fingerprint of every table's content."""

from __future__ import annotations

import re
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from devdata import demo
from market.accounts.models import Role
from market.db import db
from tests.conftest import CSRF_RE, create_person, csrf_token
from tests.support import demo_data
from tests.test_route_matrix import MATRIX

# The demo person used for each role (agency_staff is added to agency1's organisation).
DEMO_LOGIN = {
    "owner_admin": "owner1@yunchuan.demo",
    "owner_delegate": "delegate1@yunchuan.demo",
    "agency_admin": "agency1@yunchuan.demo",
    "regulator": "regulator1@yunchuan.demo",
    "operator": "operator@yunchuan.demo",
    # the staff of the department (发展和改革委员会) with the most open cases in the demo
    "department_staff": "dept2@yunchuan.demo",
}
# What the whole province shares is the provincial operator's to change (a city's operator
# gets 403): its forms are fuzzed as that operator, who is not a role of its own.
PROVINCIAL_OPERATOR = "provincial_operator"
PROVINCIAL_LOGIN = "province-operator@yunchuan.demo"
PROVINCE_KEEPS = {"catalogue.service_types", "catalogue.edit_service_type",
                  "catalogue.approval_matters", "catalogue.edit_approval_matter",
                  "catalogue.departments", "catalogue.edit_department", "draw_schedule.edit_year"}
ROLE_PREFERENCE = ["owner_admin", "agency_admin", "regulator", "operator", "owner_delegate",
                   "agency_staff", "department_staff", "anonymous"]


@dataclass
class DemoCity:
    app: Flask
    db_path: Path
    snapshot: Path
    staff_email: str
    staff_password: str

    def reset(self) -> None:
        """Put the database back as the demo loader left it."""
        for watch in list(_WATCHES.get(self.db_path, ())):
            watch.close()
        with self.app.app_context():
            db.session.remove()
            db.engine.dispose()
        for suffix in ("-wal", "-shm"):
            Path(str(self.db_path) + suffix).unlink(missing_ok=True)
        shutil.copyfile(self.snapshot, self.db_path)


def demo_city(tmp: Path) -> DemoCity:
    app = demo_data.demo_app(tmp)
    with app.app_context():
        agency_org = db.session.execute(sa.text(
            "SELECT m.organisation_id FROM membership m JOIN user_account u ON u.id = m.user_id "
            "WHERE u.email = 'agency1@yunchuan.demo'")).scalar_one()
    staff = create_person(app, Role.AGENCY_STAFF, org_id=agency_org)
    db_path = tmp / "test.db"
    snapshot = tmp / "demo-snapshot.db"
    city = DemoCity(app, db_path, snapshot, staff.email, staff.password)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    shutil.copyfile(db_path, snapshot)
    return city


def login_as(city: DemoCity, role: str) -> FlaskClient:
    client = city.app.test_client()
    if role == "anonymous":
        return client
    email, password = ((city.staff_email, city.staff_password) if role == "agency_staff"
                       else (PROVINCIAL_LOGIN, demo.DEMO_PASSWORD)
                       if role == PROVINCIAL_OPERATOR
                       else (DEMO_LOGIN[role], demo.DEMO_PASSWORD))
    token = csrf_token(client)
    response = client.post("/login", data={"email": email, "password": password,
                                           "csrf_token": token})
    assert response.status_code == 302, (role, response.status_code)
    return client


# Machine routes: approval systems post JSON with a bearer token (or Basic credentials at the
# token endpoint), never a form with a session's CSRF token.  Schemathesis fuzzes them with a
# real token (tests/proof/test_schemathesis.py) and tests/integration drives each one.
MACHINE_BLUEPRINTS = {"integration_api"}


def post_routes(app: Flask) -> list[tuple[str, str]]:
    """(endpoint, rule) of every form route that takes a POST (machine routes left out)."""
    return sorted((r.endpoint, r.rule) for r in app.url_map.iter_rules()
                  if "POST" in (r.methods or set())
                  and r.endpoint.partition(".")[0] not in MACHINE_BLUEPRINTS)


def role_for(endpoint: str) -> str:
    allowed = MATRIX[endpoint][2]
    if "anonymous" in allowed:  # public forms (login, register, language…): as a visitor
        return "anonymous"
    if endpoint in PROVINCE_KEEPS:
        return PROVINCIAL_OPERATOR
    return next(r for r in ROLE_PREFERENCE if r in allowed)


# --- real ids ---------------------------------------------------------------------------------

def _org(email: str) -> str:
    return ("(SELECT m.organisation_id FROM membership m JOIN user_account u ON u.id = m.user_id"
            f" WHERE u.email = '{email}' LIMIT 1)")


OWNER1 = _org("owner1@yunchuan.demo")
AGENCY1 = _org("agency1@yunchuan.demo")

# endpoint -> SQL giving the URL arguments of a real object the preferred role may act on,
# falling back to any object (then the answer is a 403/404, still a valid fuzz target).
ARG_SQL: dict[str, str] = {
    "awards.confirm": f"SELECT id AS award_id FROM award ORDER BY agency_org_id = {AGENCY1} DESC, id",
    "awards.decline": f"SELECT id AS award_id FROM award ORDER BY agency_org_id = {AGENCY1} DESC, id",
    "awards.explain": f"SELECT id AS award_id FROM award ORDER BY agency_org_id = {AGENCY1} DESC, id",
    "owner.choose": f"SELECT public_id FROM selection_request ORDER BY owner_org_id = {OWNER1} DESC, method = 'credit_merit' DESC, id",
    "agencies.edit_listing": f"SELECT st.code AS code FROM listing l JOIN service_type st ON st.id = l.service_type_id ORDER BY l.organisation_id = {AGENCY1} DESC, l.id",
    "agencies.change_practitioner": f"SELECT id AS row_id FROM practitioner ORDER BY organisation_id = {AGENCY1} DESC, id",
    "agencies.change_qualification": f"SELECT id AS row_id FROM qualification ORDER BY organisation_id = {AGENCY1} DESC, id",
    "evaluation.reply": f"SELECT id AS rating_id FROM rating ORDER BY agency_org_id = {AGENCY1} DESC, id",
    "awards.bid": "SELECT public_id FROM selection_request ORDER BY state = 'open' AND method = 'sealed_bid' DESC, id",
    "agency_selection.sign_up": "SELECT public_id FROM selection_request ORDER BY state = 'open' DESC, id",
    "agency_selection.withdraw": f"SELECT r.public_id FROM signup s JOIN selection_request r ON r.id = s.request_id ORDER BY s.agency_org_id = {AGENCY1} DESC, s.id",
    "billing.record_payment": f"SELECT id AS engagement_id FROM billing_engagement ORDER BY owner_org_id = {OWNER1} DESC, id",
    "billing.confirm_payout": f"SELECT id AS engagement_id FROM billing_engagement ORDER BY agency_org_id = {AGENCY1} DESC, id",
    "lotteries.external": "SELECT lottery_id FROM lottery ORDER BY state != 'drawn' DESC, id",
    "lotteries.witness": "SELECT lottery_id FROM lottery ORDER BY state != 'drawn' DESC, id",
    "awards.objection": "SELECT r.public_id FROM award a JOIN selection_request r ON r.id = a.request_id ORDER BY a.id",
    "calendar.edit_year": "SELECT CAST(strftime('%Y', 'now') AS INTEGER) AS year",
    "catalogue.edit_approval_matter": "SELECT code FROM approval_matter ORDER BY id",
    "catalogue.edit_service_type": "SELECT code FROM service_type ORDER BY id",
    "evaluation.rate": f"SELECT public_id FROM engagement ORDER BY owner_org_id = {OWNER1} DESC, state = 'accepted' DESC, id",
    "owner.amend": f"SELECT public_id FROM selection_request ORDER BY owner_org_id = {OWNER1} DESC, state = 'open' DESC, id",
    "owner.edit_request": f"SELECT public_id FROM selection_request ORDER BY owner_org_id = {OWNER1} DESC, state = 'draft' DESC, id",
    "owner.publish": f"SELECT public_id FROM selection_request ORDER BY owner_org_id = {OWNER1} DESC, state = 'draft' DESC, id",
    "regulator.complaint": "SELECT public_id FROM complaint ORDER BY id",
    "awards.decide": "SELECT id AS objection_id FROM objection ORDER BY id",
    "review.application": "SELECT id AS application_id FROM admission_application ORDER BY decided_by_id IS NULL DESC, id",
    "review.change": "SELECT 'qualification' AS kind, id AS row_id FROM qualification ORDER BY reviewed_by_id IS NULL DESC, id",
    "accounts.remove_member": f"SELECT id AS membership_id FROM membership ORDER BY organisation_id = {OWNER1} AND role = 'owner_delegate' DESC, id",
    "accounts.revoke_invitation": f"SELECT id AS invitation_id FROM invitation ORDER BY organisation_id = {OWNER1} DESC, id",
    # owner1's project its delegate does not see (the demo keeps one with the administrator)
    "owner.project_delegates": f"SELECT p.public_id FROM project p WHERE p.owner_org_id = {OWNER1} AND p.id NOT IN (SELECT project_id FROM project_assignment) ORDER BY p.id",
    "operator.activate_owner": "SELECT public_id FROM organisation WHERE kind = 'owner' ORDER BY status = 'pending' DESC, id",
    "operator.refuse_owner": "SELECT public_id FROM organisation WHERE kind = 'owner' ORDER BY status = 'pending' DESC, id",
}
for _name in ("accept", "cancel", "upload_contract", "confirm_contract", "submit_deliverable",
              "extension", "ask_materials", "answer_materials", "release",
              "return_deliverable"):
    ARG_SQL[f"engagements.{_name}"] = (
        "SELECT public_id FROM engagement ORDER BY "
        f"owner_org_id = {OWNER1} OR agency_org_id = {AGENCY1} DESC, id")
ARG_SQL["approvals.record_event"] = (
    "SELECT c.public_id, 'accept' AS kind FROM approval_case c JOIN approval_matter m ON "
    "m.id = c.matter_id ORDER BY m.code = 'PA-FSR' DESC, c.id")

_ARG = re.compile(r"<(?:[^:<>]+:)?([^<>]+)>")


def concrete_path(app: Flask, endpoint: str, rule: str) -> str:
    """The rule with its arguments filled from the demo data (or 999999 when none exists)."""
    names = _ARG.findall(rule)
    if not names:
        return rule
    values: dict[str, Any] = {}
    sql = ARG_SQL.get(endpoint)
    if sql is not None:
        with app.app_context():
            row = db.session.execute(sa.text(sql + " LIMIT 1")).mappings().first()
            db.session.remove()
        if row is not None:
            values = dict(row)
    path = rule
    for name in names:
        value = values.get(name, 999999)
        path = re.sub(r"<(?:[^:<>]+:)?" + name + ">", str(value), path)
    return path


# --- what the database holds ------------------------------------------------------------------

def table_fingerprint(app: Flask) -> Callable[[], dict[str, str]]:
    """A function giving, for every table (the draw and bid logs, the audit trail, uploads,
    the ledger included), a SHA-256 of its whole content: every column of every row, in
    primary-key order.  Two equal fingerprints mean nothing was added, changed or removed."""
    import hashlib

    queries = _content_queries(app)

    def fingerprint() -> dict[str, str]:
        out = {}
        with app.app_context():
            # The driver's own cursor on the session's connection: the values as stored, without
            # SQLAlchemy's row and type processing (half the cost; the form fuzz takes two
            # fingerprints per example).
            cursor = db.session.connection().connection.cursor()
            try:
                for name, query in queries.items():
                    cursor.execute(query)
                    out[name] = hashlib.sha256(repr(cursor.fetchall()).encode()).hexdigest()
            finally:
                cursor.close()
                db.session.remove()
        return out

    return fingerprint


# SQLite schema text -> the queries reading its tables: a reset demo city has the same schema
# for every route, and reflecting a hundred tables costs more than fingerprinting them.
_QUERIES: dict[str, dict[str, str]] = {}


def _content_queries(app: Flask) -> dict[str, str]:
    """Table name -> a query of its whole content in primary-key order."""
    with app.app_context():
        schema = None
        if db.engine.dialect.name == "sqlite":
            schema = str(db.session.execute(sa.text(
                "SELECT group_concat(type || ' ' || name || ' ' || coalesce(sql, ''), ';') "
                "FROM (SELECT * FROM sqlite_master ORDER BY type, name)")).scalar())
            db.session.remove()
            if schema in _QUERIES:
                return _QUERIES[schema]
        inspector = sa.inspect(db.engine)
        queries = {}
        for name in sorted(inspector.get_table_names()):
            key = inspector.get_pk_constraint(name).get("constrained_columns") or []
            columns = [c["name"] for c in inspector.get_columns(name)]
            order = ", ".join(f'"{c}"' for c in (key or columns))
            queries[name] = f'SELECT * FROM "{name}" ORDER BY {order}'
    if schema is not None:
        _QUERIES[schema] = queries
    return queries


# database file -> the watches open on it, which DemoCity.reset closes before replacing it
_WATCHES: dict[Path, list[CommitWatch]] = {}


class CommitWatch:
    """Whether anything was committed to an SQLite file since the last look: SQLite's
    ``PRAGMA data_version`` on a connection of the watch's own moves with every commit made
    by any other connection, so an unmoved one proves the content is as it was.  Closed
    before the file is replaced (:meth:`DemoCity.reset` closes the watches on its file)."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._connection = sqlite3.connect(path)
        self._seen = self._version()
        self.closed = False
        _WATCHES.setdefault(path, []).append(self)

    def _version(self) -> int:
        return int(self._connection.execute("PRAGMA data_version").fetchone()[0])

    def committed(self) -> bool:
        """Whether a commit happened since the watch began or since this was last asked."""
        version = self._version()
        moved, self._seen = version != self._seen, version
        return moved

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._connection.close()
            _WATCHES[self._path].remove(self)


def watched(fingerprint: Callable[[], dict[str, str]],
            watch: CommitWatch) -> Callable[[], dict[str, str]]:
    """``fingerprint`` taken again only after a commit: the same answers, the content read
    once per change rather than once per look."""
    known: list[dict[str, str]] = []

    def current() -> dict[str, str]:
        # the version is read before the content, so a commit after this look moves it
        if watch.committed() or not known:
            known[:] = [fingerprint()]
        return known[0]

    return current


def city_fingerprint(city: DemoCity) -> Callable[[], dict[str, str]]:
    """:func:`table_fingerprint` of the city's database, read again only after a commit or a
    reset (which closes the watch): a refused request commits nothing, so the content read
    before it serves as the content after it."""
    fingerprint = table_fingerprint(city.app)
    watches: list[CommitWatch] = []
    known: list[dict[str, str]] = []

    def current() -> dict[str, str]:
        if not watches or watches[0].closed:
            # the watch first: a commit after it opened moves it
            watches[:] = [CommitWatch(city.db_path)]
            known[:] = [fingerprint()]
        elif watches[0].committed():
            known[:] = [fingerprint()]
        return known[0]

    return current


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in before.keys() | after.keys() if before.get(t) != after.get(t))


# --- form fields ------------------------------------------------------------------------------

_FORM = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S | re.I)
_NAME = re.compile(r"""<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"[^>]*>""", re.I)
_FILE = re.compile(r"""<input\b[^>]*type="file"[^>]*\bname="([^"]+)"|<input\b[^>]*\bname="([^"]+)"[^>]*type="file\"""", re.I)


def form_fields(client: FlaskClient, path: str) -> tuple[list[str], list[str], str | None]:
    """(field names, file field names) of the form posting to ``path``, found on the page
    itself or on a page above it, and the session's CSRF token as the first page read shows
    it (every page carries one in its header's forms), or None if no page was read."""
    token = None
    candidates = [path]
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts = parts[:-1]
        candidates.append("/".join(parts) or "/")
    urls = client.application.url_map.bind("localhost")
    for page in candidates:
        try:
            urls.match(page, "GET")
        except HTTPException:  # a 404 or 405 (or a slash redirect): no page to read
            continue
        response = client.get(page)
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        html = response.get_data(as_text=True)
        if token is None and (match := CSRF_RE.search(html)) is not None:
            token = match.group(1)
        for attrs, body in _FORM.findall(html):
            action = re.search(r'action="([^"]*)"', attrs)
            target = action.group(1).split("?")[0] if action else page
            if target in (path, "") or (page == path and not action):
                names = sorted({n for n in _NAME.findall(body) if n != "csrf_token"})
                files = sorted({a or b for a, b in _FILE.findall(body)})
                return names, files, token
    return [], [], token
