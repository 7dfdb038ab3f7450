"""Natural persons as owners (自然人业主): registration with a name and a resident identity
number, the operator's activation, and what the public sees of them (the masked name, never
the number) on pages, notices, the API and the OCDS export."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from devdata import demo
from market.accounts import persons
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation
from market.db import db
from market.domain.identity import resident_id_check_char
from tests.conftest import create_person, csrf_token, login
from tests.support import demo_data

BODY = "53990119900307123"
NUMBER = BODY + resident_id_check_char(BODY)


def register(client: FlaskClient, *, name: str = "王小川", number: str = NUMBER,
             email: str = "person@test.example.cn", consent: bool = True) -> object:
    data = {"name": name, "id_number": number, "region": "云川市东城区", "email": email,
            "phone": "", "password": "good-password-1", "confirm": "good-password-1",
            "csrf_token": csrf_token(client, "/register/person")}
    if consent:
        data["consent"] = "y"
    return client.post("/register/person", data=data)


def _person(app: Flask) -> Organisation | None:
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.person.is_(True)))
        if org is not None:
            db.session.expunge(org)
        db.session.remove()
        return org


def _everything(app: Flask) -> str:
    """Every stored value of every table as text (the SQLite file may hold freed pages)."""
    out = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                out.append(" ".join(str(v) for v in row))
        db.session.remove()
    return "\n".join(out)


def test_a_person_registers_pending_with_the_name_masked_and_the_number_sealed(
        app: Flask) -> None:
    client = app.test_client()
    response = register(client)
    assert response.status_code == 302  # type: ignore[attr-defined]
    org = _person(app)
    assert org is not None and org.kind == "owner" and org.status == "pending"
    assert org.name == "王**" and org.person_name == "王小川" and org.credit_code is None
    assert org.name_key is None and org.id_number_sealed and org.id_number_digest
    # the number is nowhere in the database as text (sealed; the digest is keyed)
    assert NUMBER not in _everything(app) and BODY not in _everything(app)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "王小川" in page and "待核验" in page
    assert f"{NUMBER[0]}{'*' * 16}{NUMBER[-1]}" in page and NUMBER not in page
    with app.app_context():
        tags = set(db.session.scalars(sa.select(AuditEvent.tag)))
        details = " ".join(str(d) for d in db.session.scalars(sa.select(AuditEvent.details)))
        db.session.remove()
    assert {"organisation:organisation:create", "user:account:register"} <= tags
    assert "王小川" not in details


@pytest.mark.parametrize(("number", "message"), [
    (NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1"), "校验位不正确"),
    (NUMBER[:17], "为 18 位"),
    ("539901199013071234", "出生日期不正确"),
    ("53990119900307ABCD", "17 位数字"),
])
def test_a_wrong_number_is_refused_next_to_its_field(app: Flask, number: str,
                                                     message: str) -> None:
    client = app.test_client()
    response = register(client, number=number)
    assert response.status_code == 400  # type: ignore[attr-defined]
    text = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert message in text and 'value="王小川"' in text  # what was typed is kept
    assert _person(app) is None


def test_consent_is_required_and_a_number_registers_once(app: Flask) -> None:
    assert register(app.test_client(), consent=False).status_code == 400  # type: ignore[attr-defined]
    assert _person(app) is None
    assert register(app.test_client()).status_code == 302  # type: ignore[attr-defined]
    again = register(app.test_client(), name="王大川", email="other@test.example.cn")
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert "已注册" in again.get_data(as_text=True)  # type: ignore[attr-defined]
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Organisation).where(
            Organisation.person.is_(True))) == 1
        db.session.remove()


def test_the_operator_activates_a_person_and_a_refusal_erases_the_number(app: Flask) -> None:
    operator = create_person(app, "operator")
    register(app.test_client())
    register(app.test_client(), name="赵四", number=(b := "53990119851111002") +
             resident_id_check_char(b), email="zhao@test.example.cn")
    op = app.test_client()
    assert login(op, operator.email).status_code == 302
    queue = op.get("/operator/owners").get_data(as_text=True)
    assert "王小川" in queue and "自然人" in queue and NUMBER not in queue
    with app.app_context():
        wang, zhao = db.session.scalars(sa.select(Organisation).where(
            Organisation.person.is_(True)).order_by(Organisation.id)).all()
        wang_id, zhao_id = wang.public_id, zhao.public_id
        db.session.remove()
    token = csrf_token(op, "/operator/owners")
    assert op.post(f"/operator/owners/{wang_id}/activate",
                   data={"csrf_token": token}).status_code == 302
    refused = op.post(f"/operator/owners/{zhao_id}/refuse",
                      data={f"o{_id(app, zhao_id)}-reason": "证件信息与申请人不符。",
                            "csrf_token": token})
    assert refused.status_code == 302
    with app.app_context():
        wang = db.session.scalar(sa.select(Organisation).where(Organisation.public_id == wang_id))
        zhao = db.session.scalar(sa.select(Organisation).where(Organisation.public_id == zhao_id))
        assert wang is not None and wang.status == "active"
        assert zhao is not None and zhao.status == "rejected"
        assert zhao.id_number_digest is None and zhao.id_number_sealed is None
        db.session.remove()


def _id(app: Flask, public_id: str) -> int:
    with app.app_context():
        found = db.session.scalar(sa.select(Organisation.id).where(
            Organisation.public_id == public_id))
        db.session.remove()
    assert found is not None
    return found


@pytest.fixture
def demo_app(tmp_path: Path) -> Iterator[Flask]:
    app = demo_data.demo_app(tmp_path)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_public_sees_the_demo_persons_name_masked_and_never_the_number(
        demo_app: Flask) -> None:
    with demo_app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(Organisation.person.is_(True)))
        assert org is not None and org.status == "active"
        owner_id, real, masked = org.public_id, org.person_name or "", org.name
        request_id = db.session.scalar(sa.text(
            "SELECT public_id FROM selection_request WHERE owner_org_id = :o"), {"o": org.id})
        db.session.remove()
    assert masked == real[0] + "*" * (len(real) - 1) and request_id
    anonymous = demo_app.test_client()
    pages = [f"/notices/{request_id}", "/notices", f"/owners/{owner_id}",
             f"/api/requests/{request_id}", f"/api/ocds/{request_id}.json",
             "/api/ocds/releases.json"]
    for page in pages:
        response = anonymous.get(page)
        assert response.status_code == 200, page
        text = response.get_data(as_text=True)
        assert real not in text, page
    notice = anonymous.get(f"/notices/{request_id}").get_data(as_text=True)
    assert masked in notice
    package = anonymous.get(f"/api/ocds/{request_id}.json").get_json()
    buyer = next(p for p in package["releases"][0]["parties"] if p["id"] == owner_id)
    assert buyer["name"] == masked and "identifier" not in buyer
    # the person sees their own name
    person = demo_app.test_client()
    assert login(person, "person1@yunchuan.demo", demo.DEMO_PASSWORD).status_code == 302
    assert real in person.get("/dashboard").get_data(as_text=True)


def _reapply(client: FlaskClient, **fields: str) -> object:
    data = {"name": "赵四", "id_number": "", "region": "云川市西城区", "consent": "y",
            "csrf_token": csrf_token(client, "/dashboard")}
    data.update(fields)
    return client.post("/org/reapply", data={k: v for k, v in data.items() if v is not None})


def test_a_refused_person_corrects_and_resubmits_from_the_same_account(app: Flask) -> None:
    operator = create_person(app, "operator")
    body = "53990119851111002"
    zhao_number = body + resident_id_check_char(body)
    person = app.test_client()
    register(person, name="赵四", number=zhao_number, email="zhao@test.example.cn")
    register(app.test_client())  # 王小川 holds NUMBER
    op = app.test_client()
    assert login(op, operator.email).status_code == 302
    zhao_id = _person_id(app, "赵四")
    assert op.post(f"/operator/owners/{zhao_id}/refuse", data={
        f"o{_id(app, zhao_id)}-reason": "姓名与证件不符。",
        "csrf_token": csrf_token(op, "/operator/owners")}).status_code == 302
    page = person.get("/dashboard").get_data(as_text=True)
    assert 'data-test="person-reapply"' in page and "姓名与证件不符" in page
    assert 'name="credit_code"' not in page  # a person has no credit code to give
    # bad data: a wrong check digit, another person's number, no consent — nothing changes
    for fields, message in (({"id_number": zhao_number[:17] + ("0" if zhao_number[17] != "0"
                                                                 else "1")}, "校验位不正确"),
                            ({"id_number": NUMBER}, "已注册"),
                            ({"id_number": zhao_number, "consent": ""}, "请阅读并勾选同意")):
        refused = _reapply(person, **fields)
        assert refused.status_code == 400, fields  # type: ignore[attr-defined]
        text = refused.get_data(as_text=True)  # type: ignore[attr-defined]
        assert message in text and 'value="云川市西城区"' in text  # what was typed is kept
        org = _person_by_id(app, zhao_id)
        assert org.status == "rejected" and org.id_number_digest is None
        assert org.id_number_sealed is None
    # good data: pending again, the number sealed again, back in the operator's queue
    assert _reapply(person, name="赵 思远", id_number=zhao_number.lower()).status_code == 302  # type: ignore[attr-defined]
    org = _person_by_id(app, zhao_id)
    assert (org.status, org.status_reason, org.person_name, org.name, org.region) == (
        "pending", None, "赵 思远", "赵**", "云川市西城区")
    assert org.id_number_sealed and org.id_number_digest
    assert zhao_number not in _everything(app) and body not in _everything(app)
    with app.app_context():
        assert persons.id_number_shown(org) == f"{zhao_number[0]}{'*' * 16}{zhao_number[-1]}"
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.tag == "owner:organisation:reapply")).one()
        assert event.target == zhao_id and "思远" not in str(event.details)
        assert event.details["previous_reason"] == "姓名与证件不符。"
        db.session.remove()
    queue = op.get("/operator/owners").get_data(as_text=True)
    assert zhao_id in queue and zhao_number not in queue
    # a second submission while pending is refused (404: nothing to resubmit)
    assert _reapply(person, id_number=zhao_number).status_code == 404  # type: ignore[attr-defined]
    # the uniqueness rule holds: nobody else may register the number now
    again = register(app.test_client(), name="赵四", number=zhao_number,
                     email="zhao2@test.example.cn")
    assert again.status_code == 400  # type: ignore[attr-defined]
    assert "已注册" in again.get_data(as_text=True)  # type: ignore[attr-defined]
    # and the operator activates the same account
    assert op.post(f"/operator/owners/{zhao_id}/activate", data={
        "csrf_token": csrf_token(op, "/operator/owners")}).status_code == 302
    assert _person_by_id(app, zhao_id).status == "active"
    assert "已核验" in person.get("/dashboard").get_data(as_text=True)


def _person_id(app: Flask, person_name: str) -> str:
    with app.app_context():
        found = db.session.scalar(sa.select(Organisation.public_id).where(
            Organisation.person_name == person_name))
        db.session.remove()
    assert found is not None
    return found


def _person_by_id(app: Flask, public_id: str) -> Organisation:
    with app.app_context():
        org = db.session.scalar(sa.select(Organisation).where(
            Organisation.public_id == public_id))
        assert org is not None
        db.session.expunge(org)
        db.session.remove()
    return org
