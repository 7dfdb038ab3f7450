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

from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, User
from market.catalogue.models import ApprovalMatter, Department, ServiceType
from market.db import db
from market.domain.qualifications import QUALIFICATION_LEVELS
from market.engagements.models import Engagement
from market.engagements.views import AUDIT_NAMES
from market.regulator.models import Complaint
from market.selection.models import Project, SelectionRequest
from tests.support import demo_data
from tests.support.crawl import crawl
from tests.support.demo_roles import ROLES, add_agency_staff, role_client, role_starts
from tests.support.page_text import read
from tests.support.words import Vocabulary, problems, ui_patterns

POT = Path(__file__).resolve().parents[1] / "market" / "translations" / "messages.pot"

@pytest.fixture(scope="module")
def demo_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = demo_data.demo_app(tmp_path_factory.mktemp("words"))
    add_agency_staff(app)
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


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_speaks_the_page_language(demo_city: Flask, lang: str) -> None:
    vocabulary = _vocabulary(demo_city)
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)  # → {where: context}
    visited: set[str] = set()
    for role, email in ROLES.items():
        client = role_client(demo_city, email, lang)
        for page in crawl(demo_city, client, role_starts(demo_city, role, email)):
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
    html = role_client(demo_city, "agency2@yunchuan.demo", "zh").get("/agency/signups").get_data(
        as_text=True)
    withdraw = re.search(r'<button data-test="withdraw-[^"]+">([^<]+)</button>', html)
    logout = re.search(r'<button class="link" data-test="logout">([^<]+)</button>', html)
    assert withdraw and logout, "the demo agency 2 has a sign-up it may still withdraw"
    assert withdraw[1] != logout[1] and "报名" in withdraw[1], (withdraw[1], logout[1])


def test_the_reader_takes_what_a_person_reads_and_hears() -> None:
    """Text in document order with the nearest language and the code flag; the labels read
    out (title, aria-label, placeholder, alt, in that order); no script, style or template
    text (their labels are still read); comments split
    text; entities decoded; the links' hrefs."""
    html = ('<!DOCTYPE html><html lang="zh"><head><title>标题</title><style>p{}</style>'
            '<script>let a = "<b title=x>";</script></head><body>'
            '<p lang="en">One <b>two</b> &amp; three&nbsp;</p>'
            '<p lang="">中<!-- a comment -->文 <code>kbd:<kbd>x</kbd></code> 后</p>'
            '<a href="/a" title="提示">链接</a><a href="">空</a><a>无</a>'
            '<input placeholder="输入" aria-label="标签"><img alt="图"><br>尾'
            '<template><span title="模板标签">模板</span></template></body></html>')
    parts, hrefs = read(html)
    assert [(p.text, p.code, p.lang) for p in parts] == [
        ("标题", False, "zh"), ("One", False, "en"), ("two", False, "en"),
        ("& three", False, "en"), ("中", False, "zh"), ("文", False, "zh"),
        ("kbd:", True, "zh"), ("x", True, "zh"), ("后", False, "zh"),
        ("提示", False, "zh"), ("链接", False, "zh"), ("空", False, "zh"), ("无", False, "zh"),
        ("标签", False, "zh"), ("输入", False, "zh"), ("图", False, "zh"), ("尾", False, "zh"),
        ("模板标签", False, "zh")]
    assert hrefs == ["/a"]
