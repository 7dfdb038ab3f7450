"""Every page of the demo city, as every role, in both languages: no internal codes (audit tags,
state codes, service-type codes) where a person reads, no English words on a Chinese page, and
on an English page no catalogue name or interface string left in Chinese."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from devdata import demo
from market.accounts import operations as accounts
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, Role, User
from market.catalogue.models import ApprovalMatter, Department, ServiceType
from market.db import db
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.engagements.models import Engagement
from market.engagements.views import AUDIT_NAMES
from market.regulator.models import Complaint
from market.selection.models import Project, SelectionRequest
from tests.conftest import csrf_token
from tests.support import demo_data
from tests.support.crawl import crawl, entry_points
from tests.support.words import Vocabulary, problems, ui_patterns

POT = Path(__file__).resolve().parents[1] / "market" / "translations" / "messages.pot"

# Who is looking: the demo city's logins (agency staff is added below).
ROLES = {
    "anonymous": None,
    "owner_admin": "owner1@yunchuan.demo",
    "owner_delegate": "delegate1@yunchuan.demo",
    "agency_admin": "agency1@yunchuan.demo",
    "agency_staff": "staff1@yunchuan.demo",
    "regulator": "regulator1@yunchuan.demo",
    "operator": "operator@yunchuan.demo",
    "department_staff": "dept1@yunchuan.demo",
}


@pytest.fixture(scope="module")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = demo_data.demo_app(tmp_path_factory.mktemp("words"))
    with app.app_context():
        agency = db.session.scalar(sa.select(Organisation).where(
            Organisation.name.like("云川青禾%")))
        assert agency is not None
        accounts.add_member(agency, name="经办人 1号", email="staff1@yunchuan.demo",
                            role=Role.AGENCY_STAFF, password=demo.DEMO_PASSWORD)
        db.session.commit()
    yield app
    with app.app_context():
        db.engine.dispose()


# Columns holding what people typed, shown as typed on every page.
TYPED = (SelectionRequest.title, SelectionRequest.scope, Project.name, Organisation.name, User.name,
         ApprovalMatter.name, Department.name, Complaint.text)


def _vocabulary(app: Flask) -> Vocabulary:
    with app.app_context():
        types = db.session.scalars(sa.select(ServiceType)).all()
        typed = sorted({value for column in TYPED for value in db.session.scalars(
            sa.select(column)) if value}, key=len, reverse=True)
    with POT.open("rb") as f:
        msgids = [m.id for m in read_po(f) if isinstance(m.id, str) and m.id]
    return Vocabulary(
        service_codes={t.code for t in types},
        translated_names={t.name for t in types if t.name_en} | set(QUALIFICATION_LEVELS),
        ui_strings=ui_patterns(msgids),
        typed=typed,
    )


def _client(app: Flask, email: str | None, lang: str) -> FlaskClient:
    client = app.test_client()
    if email:
        response = client.post("/login", data={
            "email": email, "password": demo.DEMO_PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 302, email
    if lang == "en":
        client.post("/language", data={"lang": "en", "csrf_token": csrf_token(client, "/")})
    return client


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_the_page_language(demo_city: Flask, lang: str) -> None:
    vocabulary = _vocabulary(demo_city)
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # → {where: context}
    visited: set[str] = set()
    for role, email in ROLES.items():
        client = _client(demo_city, email, lang)
        for page in crawl(demo_city, client, entry_points(demo_city)):
            visited.add(page.endpoint)
            for problem in problems(page.html, vocabulary, page.text):
                found[problem.what, problem.word].setdefault(f"{role} {page.url}",
                                                             problem.context)
    report = "\n".join(
        f"{what} {word!r}, e.g. {next(iter(where.values()))!r}\n"
        f"    on {len(where)} pages: {', '.join(sorted(where)[:3])}"
        for (what, word), where in sorted(found.items()))
    assert not found, f"{len(found)} problems on {lang} pages:\n{report}"
    assert len(visited) > 60, sorted(visited)


def test_every_audit_event_in_an_engagement_history_has_words(demo_city: Flask) -> None:
    """The history shows audit events by name; a tag without one would read 其他操作."""
    with demo_city.app_context():
        tags = set(db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.target.in_(sa.select(Engagement.public_id)))))
    assert tags and tags <= set(AUDIT_NAMES), tags - set(AUDIT_NAMES)


def test_withdrawing_a_sign_up_is_not_worded_like_logging_out(demo_city: Flask) -> None:
    html = _client(demo_city, "agency2@yunchuan.demo", "zh").get("/agency/signups").get_data(
        as_text=True)
    withdraw = re.search(r'<button data-test="withdraw-[^"]+">([^<]+)</button>', html)
    logout = re.search(r'<button class="link" data-test="logout">([^<]+)</button>', html)
    assert withdraw and logout, "the demo agency 2 has a sign-up it may still withdraw"
    assert withdraw[1] != logout[1] and "报名" in withdraw[1], (withdraw[1], logout[1])
