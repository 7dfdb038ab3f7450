"""Agencies that look related are flagged to the regulator (疑似关联): two applications giving
the same legal representative (or the same telephone number) show up as a pair on the
regulator's relations page until a relation is recorded; recording needs its grounds and names
an existing agency, else it is refused next to the field and writes nothing."""

from __future__ import annotations

import io

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts.models import Organisation, Role
from market.agencies.models import AgencyRelation
from market.db import db
from tests.agencies.helpers import PDF, credit_code
from tests.conftest import create_person, csrf_token, login

PAGE = "/regulator/relations"


def _apply(app: Flask, representative: str, phone: str) -> tuple[str, str]:
    """An agency applies for admission; (its public id, its credit code)."""
    p = create_person(app, Role.AGENCY_ADMIN, admitted=False)
    c = app.test_client()
    assert login(c, p.email).status_code == 302
    code = credit_code()
    r = c.post("/agency/application", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(c, "/agency/application"), "legal_name": f"云川测试{code[-4:]}有限公司",
        "credit_code": code, "region": "云川市东城区", "legal_representative": representative,
        "authorised_representative": "李四", "contact_phone": phone,
        "contact_email": f"{code.lower()}@example.cn", "licence": (io.BytesIO(PDF), "营业执照.pdf")})
    assert r.status_code == 302, r.get_data(as_text=True)[-1000:]
    with app.app_context():
        return str(db.session.get(Organisation, p.org_id).public_id), code


def _as(app: Flask, role: Role) -> FlaskClient:
    c = app.test_client()
    assert login(c, create_person(app, role).email).status_code == 302
    return c


def test_a_shared_legal_representative_is_flagged_until_recorded(app: Flask) -> None:
    a, _code_a = _apply(app, "王 五", "0871-61110001")
    b, code_b = _apply(app, "王五", "0871-61110002")
    c, _code_c = _apply(app, "赵六", "0871 6111 0001")  # the same number as a's, spaced
    regulator = _as(app, Role.REGULATOR)
    page = regulator.get(PAGE).get_data(as_text=True)
    assert f'data-test="suspected-{a}-{b}"' in page  # 王五, with or without the space
    assert f'data-test="suspected-{a}-{c}"' in page  # the telephone
    assert f'data-test="suspected-{b}-{c}"' not in page
    form = regulator.get(f"{PAGE}?agency={a}&other={code_b}&kind=legal_representative")
    assert f'value="{a}"' in form.get_data(as_text=True)  # the flagged pair fills the form
    # no grounds: refused next to the field, nothing written
    r = regulator.post(PAGE, data={"agency": a, "other_credit_code": code_b, "other_name": "",
                                   "kind": "legal_representative", "note": "",
                                   "csrf_token": csrf_token(regulator, PAGE)})
    assert r.status_code == 400 and "请写明依据" in r.get_data(as_text=True)
    r = regulator.post(PAGE, data={"agency": "AG-999999", "other_credit_code": code_b,
                                   "other_name": "", "kind": "legal_representative",
                                   "note": "核查", "csrf_token": csrf_token(regulator, PAGE)})
    assert r.status_code == 400 and "没有这个中介机构" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyRelation)) == 0
    r = regulator.post(PAGE, data={"agency": a, "other_credit_code": code_b, "other_name": "",
                                   "kind": "legal_representative",
                                   "note": "两家申请的法定代表人为同一人，经核实属实",
                                   "csrf_token": csrf_token(regulator, PAGE)})
    assert r.status_code == 302
    page = regulator.get(PAGE).get_data(as_text=True)
    assert f'data-test="suspected-{a}-{b}"' not in page
    assert f'data-test="suspected-{a}-{c}"' in page
    with app.app_context():
        row = db.session.scalars(sa.select(AgencyRelation)).one()
        assert (row.source, row.kind) == ("regulator", "legal_representative")
    # the agency sees the relation a regulator recorded about it
    operator = _as(app, Role.OPERATOR)
    assert "两家申请的法定代表人为同一人" in operator.get("/operator/relations").get_data(as_text=True)


def test_relations_are_declared_on_admission_and_shown_to_the_reviewer(app: Flask) -> None:
    """The application page asks for relations and lists those declared; the reviewer of the
    application sees them beside it."""
    p = create_person(app, Role.AGENCY_ADMIN, admitted=False)
    c = app.test_client()
    assert login(c, p.email).status_code == 302
    code = credit_code()
    r = c.post("/agency/application", content_type="multipart/form-data", data={
        "csrf_token": csrf_token(c, "/agency/application"), "legal_name": f"云川测试{code[-4:]}有限公司",
        "credit_code": code, "region": "云川市东城区", "legal_representative": "钱七",
        "authorised_representative": "李四", "contact_phone": "0871-61110009",
        "contact_email": f"{code.lower()}@example.cn", "licence": (io.BytesIO(PDF), "营业执照.pdf")})
    assert r.status_code == 302
    page = c.get("/agency/application").get_data(as_text=True)
    assert 'data-test="application-relations"' in page and 'data-test="declare-relations"' in page
    other = credit_code()
    r = c.post("/agency/relations", data={
        "other_credit_code": other, "other_name": "云川母公司有限公司", "kind": "parent_subsidiary",
        "note": "本公司为其全资子公司", "csrf_token": csrf_token(c, "/agency/relations")})
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    assert "云川母公司有限公司" in c.get("/agency/application").get_data(as_text=True)
    with app.app_context():
        application = db.session.scalar(sa.text(
            "SELECT id FROM admission_application WHERE organisation_id = :o"), {"o": p.org_id})
    answer = _as(app, Role.REGULATOR).get(f"/review/admissions/{application}")
    assert answer.status_code == 200, answer.status_code
    review = answer.get_data(as_text=True)
    assert 'data-test="application-relations"' in review and "云川母公司有限公司" in review
    assert 'data-test="declare-relations"' not in review  # the reviewer records elsewhere


def test_an_operator_keeps_the_relations_of_the_agencies_admitted_in_its_tenant(
        app: Flask) -> None:
    """Another tenant's operator neither sees a relation of an agency admitted here nor
    records one for it, by its public id or its credit code; this tenant's operator does."""
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind

    a, code_a = _apply(app, "钱七", "0871-61110101")
    _b, code_b = _apply(app, "孙八", "0871-61110102")
    home = _as(app, Role.OPERATOR)
    with app.app_context():
        other = tenants.add("539700", "云峰市", tenant=True)
        org_id = ops.create_organisation(OrgKind.OPERATOR, "云峰市运营", tenant_id=other.id).id
        db.session.commit()
    elsewhere = app.test_client()
    assert login(elsewhere, create_person(app, Role.OPERATOR, org_id=org_id).email).status_code == 302
    page = "/operator/relations"
    note = "两家机构的股东为同一自然人，经工商登记核实"
    for ref in (a, code_a):
        r = elsewhere.post(page, data={"agency": ref, "other_credit_code": code_b,
                                       "other_name": "", "kind": "controlling", "note": note,
                                       "csrf_token": csrf_token(elsewhere, page)})
        assert r.status_code == 400 and "不是在本地入驻" in r.get_data(as_text=True), ref
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyRelation)) == 0
    r = home.post(page, data={"agency": a, "other_credit_code": code_b, "other_name": "",
                              "kind": "controlling", "note": note,
                              "csrf_token": csrf_token(home, page)})
    assert r.status_code == 302, r.get_data(as_text=True)[-800:]
    assert note in home.get(page).get_data(as_text=True)
    assert note not in elsewhere.get(page).get_data(as_text=True)
