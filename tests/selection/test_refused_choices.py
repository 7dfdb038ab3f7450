"""A choice refused as every form refuses: a select or radio group sent a value its page never
offered (a hand-edited form, an option gone since the page was loaded) reads a Chinese sentence
next to the field, not WTForms' own words, and shows again what the page showed when it was
loaded; nothing is saved.  A radio group left empty says 「请选择……」, never 「请填写此项」."""

from __future__ import annotations

import re
from html import unescape

import pytest
import sqlalchemy as sa
from flask import Flask
from wtforms import RadioField
from wtforms.validators import DataRequired, InputRequired, Optional

from market import timeutil
from market.approvals.models import ApprovalCase
from market.db import db
from market.forms import Form
from market.selection.models import SelectionRequest
from tests.conftest import create_person, csrf_token
from tests.selection.conftest import START, City
from tests.support.approvals_flow import make_staffed_matter
from tests.support.form_classes import product_forms
from tests.support.selection_flow import field_errors, request_form
from tests.support.selection_flow import project as make_project

NOT_OFFERED = "所选的一项不在可选范围内（打开页面后可能有变动），请重新选择。"
# what WTForms says of its own, in Chinese: not what a user should read
WTFORMS_WORDS = ("无法转化", "不是有效的选择", "无效选项")


def _selected(html: str, name: str) -> list[str]:
    """The values a select shows as chosen."""
    select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option selected value="([^"]*)"', select)


def _first_option(html: str, name: str) -> str:
    select = html.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    return re.findall(r'<option[^>]* value="([^"]*)"', select)[0]


def _count(app: Flask, model: type) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


@pytest.mark.parametrize("sent", ["abc", "999999"], ids=["not-a-number", "never-offered"])
def test_a_tampered_matter_on_a_new_case_is_refused_next_to_it(city: City, sent: str) -> None:
    app = city.app
    matter = make_staffed_matter(app, create_person(app, "department_staff"))
    older, newer = make_project(city, "000201"), make_project(city, "000202")
    owner = city.client(city.owner)
    token = csrf_token(owner, "/approvals/new")
    loaded = owner.get("/approvals/new").get_data(as_text=True)
    r = owner.post("/approvals/new", data={"csrf_token": token, "project_id": str(older),
                                           "matter_id": sent})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert field_errors(html) == {"matter_id": [NOT_OFFERED]}
    assert not any(words in html for words in WTFORMS_WORDS)
    # the matter shows what the page showed (its first), the project the one chosen
    assert _selected(html, "matter_id") == [_first_option(loaded, "matter_id")] == [str(matter)]
    assert _selected(html, "project_id") == [str(older)] != [str(newer)]
    assert _count(app, ApprovalCase) == 0


def test_a_matter_sent_empty_asks_to_choose_it(city: City) -> None:
    """The select offers no empty option: sent empty (a scripted post), it says to choose,
    next to the field, with the project chosen kept; no case is opened."""
    make_staffed_matter(city.app, create_person(city.app, "department_staff"))
    project = make_project(city, "000203")
    owner = city.client(city.owner)
    r = owner.post("/approvals/new", data={"csrf_token": csrf_token(owner, "/approvals/new"),
                                           "project_id": str(project), "matter_id": ""})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert field_errors(html) == {"matter_id": ["请在“审批事项”中选择一项。"]}
    assert _selected(html, "project_id") == [str(project)]
    assert _count(city.app, ApprovalCase) == 0


def test_a_tampered_project_on_a_new_request_is_refused_next_to_it(city: City) -> None:
    older, newer = make_project(city, "000211"), make_project(city, "000212")
    owner = city.client(city.owner)
    for sent in ("abc", "999999"):
        with timeutil.frozen(START):
            data = {**request_form(city, older), "project_id": sent,
                    "external_kind": "lottery-of-mine"}
            data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
            r = owner.post("/owner/requests/new", data=data)
        html = r.get_data(as_text=True)
        assert r.status_code == 400
        errors = field_errors(html)
        assert errors["project_id"] == [NOT_OFFERED], errors
        assert errors["external_kind"] == [NOT_OFFERED], errors
        assert not any(words in html for words in WTFORMS_WORDS)
        # a new form showed its first project and source (the newest project, 双色球)
        assert _selected(html, "project_id") == [str(newer)]
        assert _selected(html, "external_kind") == ["ssq"]
        assert 'value="第三小学改扩建环评"' in html  # what was typed is kept
    assert _count(city.app, SelectionRequest) == 0


def test_a_tampered_project_on_a_draft_shows_the_drafts_own(city: City) -> None:
    """An edit form is built from the post alone: the draft's saved project is what its page
    showed, not the select's first."""
    older, newer = make_project(city, "000221"), make_project(city, "000222")
    owner = city.client(city.owner)
    with timeutil.frozen(START):
        data = request_form(city, older)
        data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
        r = owner.post("/owner/requests/new", data=data)
        assert r.status_code == 302, field_errors(r.get_data(as_text=True))
        page = r.headers["Location"] + "/edit"
        data.update(project_id="999999", title="改过的标题",
                    csrf_token=csrf_token(owner, page))
        r = owner.post(page, data=data)
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert field_errors(html)["project_id"] == [NOT_OFFERED]
    assert _selected(html, "project_id") == [str(older)] != [str(newer)]
    assert 'value="改过的标题"' in html
    with city.app.app_context():
        assert db.session.scalar(sa.select(SelectionRequest.title)) == "第三小学改扩建环评"


def test_a_radio_group_left_empty_asks_to_choose(city: City) -> None:
    owner = city.client(city.owner)
    r = owner.post("/owner/projects", data={
        "name": "东城区第九小学", "code": "2026-539901-47-01-000231", "investment": "100",
        "location": "云川市东城区", "csrf_token": csrf_token(owner, "/owner/projects")})
    html = r.get_data(as_text=True)
    assert r.status_code == 400
    assert field_errors(html) == {"fund_source": ["请选择资金来源。"]}
    data = request_form(city, make_project(city, "000232"))
    del data["price_kind"]
    with timeutil.frozen(START):
        data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
        r = owner.post("/owner/requests/new", data=data)
    assert r.status_code == 400
    assert field_errors(r.get_data(as_text=True))["price_kind"] == ["请选择价格方式。"]


def test_every_radio_group_asks_to_choose(app: Flask) -> None:
    """A radio group either has a default, may be left empty, or, left empty, says what to
    choose: 「请填写此项」 is for a box to type in."""
    radios = 0
    with app.test_request_context():
        for form in product_forms(Form):
            for name in dir(form):
                unbound = getattr(form, name)
                if getattr(unbound, "field_class", None) is not RadioField:
                    continue
                radios += 1
                validators = unbound.kwargs.get("validators") or []
                required = [v for v in validators if isinstance(v, DataRequired | InputRequired)]
                for v in required:
                    message = unescape(str(v.message))
                    # 「请选择……」, 「请给出 1 到 5 分」: not the words of a box to type in
                    assert message.startswith("请") and "填写" not in message, (form, name, message)
                may_be_empty = unbound.kwargs.get("default") is not None or any(
                    isinstance(v, Optional) for v in validators)
                assert required or may_be_empty, f"{form.__name__}.{name}: WTForms' own words"
    assert radios >= 15
