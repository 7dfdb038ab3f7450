"""Input at the edge, once for every form (market.forms) and every API parameter: line ends to
LF, NFC, control and format characters refused next to the field with what was typed kept;
full-width digits and signs accepted where people type numbers, amounts, dates and codes;
superscript digits refused clearly.  Before, each of these answered 500 or refused what a
Chinese IME types."""

from __future__ import annotations

import importlib
import pkgutil
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
import wtforms
from flask import Flask
from flask_wtf import FlaskForm
from hypothesis import given, settings
from hypothesis import strategies as st

import market
from market.accounts.models import Role
from market.db import db
from market.domain.text import clean_ascii, clean_text
from market.forms import Form, SubForm
from market.selection.models import Project, SelectionRequest
from tests.conftest import create_person, csrf_token, login
from tests.proof.fuzz_support import changed_tables, table_fingerprint

ZWSP = "\u200b"


# --- the rules ----------------------------------------------------------------------------------

def test_text_rules() -> None:
    assert clean_text("第一行\r\n第二行\r第三行", multiline=True).value == "第一行\n第二行\n第三行"
    assert clean_text("a\tb", multiline=True).value == "a b"
    assert clean_text("Cafe\u0301").value == "Caf\u00e9"
    for bad in (f"环评{ZWSP}报告", "\x00", "abc\u202e", "\ufeffx", "a\tb", "a\nb"):
        problem = clean_text(bad).problem
        assert problem is not None and problem.kind == "control", bad
    assert clean_text(f"x{ZWSP}").problem.position == 2  # type: ignore[union-attr]
    assert clean_text("a\nb", multiline=True).problem is None
    assert clean_text("面积 500m²").problem is None  # a superscript is fine in text


def test_number_rules() -> None:
    assert clean_ascii("３０，０００．５０").value == "30,000.50"
    assert clean_ascii("－１２").value == "-12"
    assert clean_ascii("２０２６－１１－０２").value == "2026-11-02"
    assert clean_ascii("９１５３００００ＭＡ").value == "91530000MA"
    assert clean_ascii("２０２６０２５期").value == "2026025期"
    for bad in ("2²", "₃", "¹²"):
        assert clean_ascii(bad).problem.kind == "superscript", bad  # type: ignore[union-attr]


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(value=st.text(alphabet=st.one_of(
    st.characters(), st.sampled_from("\n\t\u3000\u00a0\u200b\u202e\ufeff\x00²₃ⁿ")),
    max_size=60), multiline=st.booleans(), pad=st.sampled_from([0, 1, 4090, 4095, 4096, 8191]))
def test_the_first_refused_character_is_the_one_a_scan_finds(value: str, multiline: bool,
                                                             pad: int) -> None:
    """The cleaning finds the first refused (or superscript) character by looking each distinct
    character of a 4,096-character chunk up once: the same character at the same place as a
    scan of every one, on either side of a chunk's end."""
    value = "环" * pad + value
    from market.domain.text import REFUSED_CATEGORIES, _line_ends, is_superscript

    def scan(text: str, refused: Callable[[str], bool], kind: str) -> tuple[str, str, int] | None:
        return next(((kind, ch, i) for i, ch in enumerate(text, 1) if refused(ch)), None)

    allowed = "\n" if multiline else ""
    control = lambda ch: ch not in allowed and unicodedata.category(ch) in REFUSED_CATEGORIES  # noqa: E731
    for cleaned, expected in (
            (clean_text(value, multiline=multiline), None),
            (clean_ascii(value, multiline=multiline),
             scan(_line_ends(value), is_superscript, "superscript"))):
        problem = cleaned.problem
        found = None if problem is None else (problem.kind, problem.char, problem.position)
        if expected is None:  # a refused character of the value as cleaned, if any
            expected = scan(cleaned.value, control, "control")
        assert found == expected, (value, found, expected)


def test_every_form_derives_from_the_cleaning_base_form() -> None:
    for info in pkgutil.walk_packages(market.__path__, "market."):
        importlib.import_module(info.name)
    importlib.import_module("billing.forms")
    forms: list[type] = []
    stack = list(wtforms.Form.__subclasses__())  # nested forms (a FieldList's rows) too
    while stack:
        cls = stack.pop()
        forms.append(cls)
        stack.extend(cls.__subclasses__())
    outside = [f"{c.__module__}.{c.__qualname__}" for c in forms
               if not issubclass(c, Form | SubForm)
               and c.__module__.startswith(("market", "billing"))]
    assert outside == []
    assert len([c for c in forms if issubclass(c, FlaskForm)]) > 30


# --- through the app ------------------------------------------------------------------------------

@pytest.fixture
def owner(app: Flask):
    person = create_person(app, Role.OWNER_ADMIN)
    client = app.test_client()
    assert login(client, person.email).status_code == 302
    return client


def _project_form(client, **overrides: str) -> dict[str, str]:
    data = {"name": "东城区第三小学改扩建", "code": "2026-539901-47-01-000123",
            "fund_source": "fiscal", "investment": "8600", "location": "云川市东城区",
            "csrf_token": csrf_token(client, "/owner/projects")}
    data.update(overrides)
    return data


def test_a_zero_width_space_is_refused_next_to_the_field_and_kept(app: Flask, owner) -> None:
    fingerprint = table_fingerprint(app)
    before = fingerprint()
    r = owner.post("/owner/projects", data=_project_form(owner, name=f"东城区{ZWSP}第三小学"))
    assert r.status_code in (200, 400)
    page = r.get_data(as_text=True)
    field = page[page.index('id="name"') - 400:page.index('id="name"') + 1200]
    assert "第 4 个字符是看不见的控制字符或格式字符（U+200B 零宽空格" in field
    assert f"东城区{ZWSP}第三小学" in page  # what was typed stays in the field
    assert changed_tables(before, fingerprint()) == []


def test_nfd_full_width_and_crlf_are_stored_normalised(app: Flask, owner) -> None:
    r = owner.post("/owner/projects", data=_project_form(
        owner, name=unicodedata.normalize("NFD", "云川市第三小学（é）"),
        code="２０２６－５３９９０１－４７－０１－０００１２３", investment="８，６００"))
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with app.app_context():
        project = db.session.scalar(sa.select(Project))
        assert project.name == "云川市第三小学（\u00e9）"
        assert project.code == "2026-539901-47-01-000123"
        assert project.investment_fen == 8600 * 10_000 * 100


def test_superscript_digits_are_refused_clearly(app: Flask, owner) -> None:
    r = owner.post("/owner/projects", data=_project_form(owner, investment="86²"))
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "第 3 个字符“²”是上标或下标数字，请用普通数字填写。" in page
    assert "请填写以万元为单位的数字" not in page  # one message: the character to change


def test_a_superscript_in_a_price_gets_the_one_clear_message(app: Flask) -> None:
    from market import timeutil
    from tests.selection.conftest import START, city_in
    from tests.support.selection_flow import project as _project
    from tests.support.selection_flow import request_form as _request_form

    city = city_in(app)
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city), price="30000²")
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert "第 6 个字符“²”是上标或下标数字，请用普通数字填写。" in page
    assert "请填写以元为单位的金额" not in page


def test_counts_with_superscripts_or_full_width_digits(app: Flask) -> None:
    """A practitioner requirement is a row of type and count: a full-width count is read as
    its digits, a superscript one is refused next to the count (was int("²"): a 500)."""
    from market import timeutil
    from tests.selection.conftest import START, city_in
    from tests.support.selection_flow import PRAC
    from tests.support.selection_flow import field_errors as _errors
    from tests.support.selection_flow import project as _project
    from tests.support.selection_flow import request_form as _request_form
    from tests.support.selection_flow import require_qualifications as _catalogue

    city = city_in(app)
    _catalogue(app)
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city))
        data["practitioners-0-kind"] = PRAC

        def post(count: str) -> tuple[int, str]:
            data["practitioners-0-count"] = count
            data["csrf_token"] = csrf_token(c, "/owner/requests/new")
            r = c.post("/owner/requests/new", data=data)
            return r.status_code, r.get_data(as_text=True)

        status, page = post("²")
        assert status == 400
        assert _errors(page)["practitioners-0-count"] == [
            "第 1 个字符“²”是上标或下标数字，请用普通数字填写。"]
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0
        status, page = post("２")
        assert status == 302, page[-2000:]
    with app.app_context():
        assert db.session.scalar(sa.select(SelectionRequest)).practitioners == {PRAC: 2}


def test_full_width_amounts_and_dates_are_accepted_for_a_payment(app: Flask) -> None:
    from billing.integration import backend
    from billing.interface import EngagementRef
    from market import timeutil

    # the administrator: a delegate sees the payments of its projects' engagements only, and
    # this billing engagement stands alone, with no project to assign
    owner = create_person(app, Role.OWNER_ADMIN)
    agency = create_person(app, Role.AGENCY_ADMIN)
    # The contract is confirmed on 2026-11-02 and paid that day (a payment may not predate its
    # contract nor be dated after today).
    with timeutil.frozen(datetime(2026, 11, 2, 2, 0, tzinfo=UTC)):
        with app.app_context():
            backend().open_engagement(EngagementRef(7001, owner.org_id, agency.org_id,
                                                    12_345_67))
            db.session.commit()
        client = app.test_client()
        assert login(client, owner.email).status_code == 302
        token = csrf_token(client, "/billing/engagements/7001")
        r = client.post("/billing/engagements/7001/payments", data={
            "csrf_token": token, "reference": "ＧＫ－２０２６－００１",
            "paid_on": "２０２６－１１－０２", "amount": "１２，３４５．６７"})
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with app.app_context():
        summary = backend().summary(7001)
        assert summary.paid_fen == 12_345_67
        from billing.models import Payment

        payment = db.session.scalar(sa.select(Payment))
        assert payment.reference == "GK-2026-001" and str(payment.paid_on) == "2026-11-02"


def test_a_multi_line_text_keeps_its_lines_as_lf(app: Flask) -> None:
    from market import timeutil
    from tests.selection.conftest import START, city_in
    from tests.support.selection_flow import publish as _publish

    city = city_in(app)
    with timeutil.frozen(START):
        req = _publish(city, scope="编制环境影响报告表\r\n含公众参与")
    with app.app_context():
        stored = db.session.get(SelectionRequest, req.id)
        assert stored.scope == "编制环境影响报告表\n含公众参与"


# --- search fields and the API ----------------------------------------------------------------------

def test_directory_search_cleans_and_refuses(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/agencies?days_max=２０&fee_max=３０，０００").status_code == 200
    r = client.get("/agencies?q=%E7%8E%AF%E8%AF%84%E2%80%8B")
    assert r.status_code == 400
    assert "U+200B" in r.get_data(as_text=True)


def test_api_parameters_clean_and_refuse(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/api/agencies?page=%EF%BC%92").status_code == 200  # full-width 2
    for bad in ("q=%00", "q=a%E2%80%8Bb", "page=2%C2%B2"):
        r = client.get(f"/api/agencies?{bad}")
        assert r.status_code == 400, bad
        assert r.get_json()["error"]["code"] == "invalid_parameter"


@pytest.mark.postgres
def test_a_nul_in_a_search_is_a_400_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    """PostgreSQL refuses NUL in any string: it reached the query and answered 500."""
    from tests.conftest import make_app

    app = make_app(tmp_path, pg_url)
    client = app.test_client()
    assert client.get("/api/agencies?q=%00").status_code == 400
    assert client.get("/agencies?q=%00").status_code == 400
    with app.app_context():
        db.engine.dispose()
