"""A regulator's decision on an objection (异议处理) refused as every form refuses: HTTP 400, the
objections page again with the problem next to its field on that objection, the choice and the
reason kept, nothing decided and nothing recorded; a good decision is made and published."""

from __future__ import annotations

import re
from html import unescape

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.selection.models import Objection
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import field_errors, pending_objection

PAGE = "/regulator/objections"


def _state(city: City, objection: int) -> tuple[str, int]:
    with city.app.app_context():
        return (db.session.get(Objection, objection).state,
                db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) or 0)


def _textarea(html: str, objection: int) -> tuple[str, str]:
    """The reason's textarea on that objection: its attributes and its text."""
    found = re.search(rf'<textarea id="reason-{objection}"([^>]*)>([^<]*)</textarea>', html)
    assert found, html
    return found.group(1), unescape(found.group(2))


def _checked(html: str, objection: int) -> list[str]:
    form = html.split(f'data-test="decide-form-{objection}"', 1)[1].split("</form>", 1)[0]
    return re.findall(r'<input type="radio" name="decision" value="(\w+)" checked>', form)


def test_a_refused_decision_is_shown_next_to_its_field_with_what_was_typed(city: City) -> None:
    objection = pending_objection(city, START, "中选机构的执业人员不符合要求", offered_at=START)
    reg = city.client(city.regulator)
    before = _state(city, objection)
    with timeutil.frozen(START):
        token = csrf_token(reg, PAGE)
        for sent, errors, checked, kept in (
                ({"decision": "reject", "reason": "  "},
                 {f"reason-{objection}": ["请填写此项。"]}, ["reject"], "  "),
                ({"reason": "经核查，执业人员符合要求"},
                 {f"decision-{objection}": ["请选择处理结果。"]}, [], "经核查，执业人员符合要求"),
                ({"decision": "uphold", "reason": "长" * 501},
                 {f"reason-{objection}": ["字段长度不能超过 500 个字符。"]}, ["uphold"], "长" * 501)):
            r = reg.post(f"{PAGE}/{objection}", data={**sent, "csrf_token": token})
            html = r.get_data(as_text=True)
            assert r.status_code == 400, sent
            assert field_errors(html) == errors, sent
            assert 'class="flash' not in html  # nothing on top of the page
            assert _checked(html, objection) == checked
            attributes, text = _textarea(html, objection)
            assert text.strip() == kept.strip()
            invalid = f"reason-{objection}" in errors
            assert ('aria-invalid="true"' in attributes) is invalid
            assert (f'aria-describedby="reason-{objection}-msg"' in attributes) is invalid
            assert _state(city, objection) == before
        r = reg.post(f"{PAGE}/{objection}", data={"decision": "reject", "csrf_token": token,
                                                   "reason": "经核查，执业人员符合要求"})
    assert r.status_code == 302
    assert _state(city, objection)[0] == "rejected"
    # decided meanwhile (another regulator's tab): its form is gone, so the word is on top
    with timeutil.frozen(START):
        r = reg.post(f"{PAGE}/{objection}", data={"decision": "uphold", "csrf_token": token,
                                                   "reason": "执业人员确不符合要求"})
    html = r.get_data(as_text=True)
    assert r.status_code == 400 and "该异议已处理。" in html
    assert 'data-test="decide-form-' not in html and not field_errors(html)
    assert _state(city, objection)[0] == "rejected"
