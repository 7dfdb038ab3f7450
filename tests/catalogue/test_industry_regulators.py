"""Each tenant's industry regulators (行业主管部门, market.catalogue.regulators): the catalogue
is the province's, the bureau that regulates a service type is each city's, mapped by the
city's operator on its catalogue choices page.

On the demo province: a complaint about a request of the second city (云岭市) is handled by
the bureau 云岭市's operator maps the request's type to, and not by the first city's bureau the
catalogue names as the type's default; the operator's page refuses another city's bureau."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from devdata.demo import DEMO_PASSWORD
from market.accounts import operations as accounts
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, OrgKind, RegulatorKind, Role
from market.catalogue import regulators
from market.catalogue.models import ServiceType, service_type_regulator
from market.db import db
from market.selection.models import SelectionRequest
from market.selection.scope import request_subject, within
from tests.conftest import PASSWORD, csrf_token, login

SECOND_CITY_OPERATOR = "operator2@yunchuan.demo"
SECOND_CITY_SURVEYING = "regulator4@yunchuan.demo"  # 云岭市自然资源和规划局


def _client(app: Flask, email: str, password: str = DEMO_PASSWORD) -> FlaskClient:
    client = app.test_client()
    assert login(client, email, password).status_code == 302
    return client


def _org(name: str) -> Organisation:
    return db.session.scalars(sa.select(Organisation).where(Organisation.name == name)).one()


def _choices_form(client: FlaskClient, regulator_for: dict[int, int]) -> dict[str, object]:
    """What the choices page shows, as its form posts it, with ``regulator_for`` changed."""
    html = client.get("/operator/catalogue-choices").get_data(as_text=True)
    data: dict[str, object] = {"csrf_token": csrf_token(client, "/operator/catalogue-choices")}
    data["service_type_ids"] = re.findall(
        r'name="service_type_ids"[^>]*value="(\d+)"[^>]*checked', html) or re.findall(
        r'checked[^>]*name="service_type_ids"[^>]*value="(\d+)"', html)
    data["matter_ids"] = re.findall(r'name="matter_ids"[^>]*value="(\d+)"[^>]*checked', html) \
        or re.findall(r'checked[^>]*name="matter_ids"[^>]*value="(\d+)"', html)
    for name, value in re.findall(
            r'<select[^>]*name="(regulator_\d+)".*?<option selected value="(\d+)"', html, re.S):
        data[name] = value
    for type_id, regulator in regulator_for.items():
        data[f"regulator_{type_id}"] = str(regulator)
    return data


def test_the_second_citys_bureau_handles_its_citys_complaint(demo_city_app: Flask) -> None:
    app = demo_city_app
    with app.app_context():
        # a received complaint about a request, moved to 云岭市 as if one of its owners had
        # published it
        row = db.session.execute(sa.text(
            "SELECT c.public_id, r.id FROM complaint c JOIN selection_request r "
            "ON r.public_id = c.subject_id WHERE c.subject_kind = 'request' "
            "AND c.state = 'received' ORDER BY c.id LIMIT 1")).one()
        complaint, request_id = row
        second = _org("云岭市政务服务中心（平台运营）").tenant_id
        db.session.execute(sa.update(SelectionRequest).where(SelectionRequest.id == request_id)
                           .values(tenant_id=second))
        req = db.session.get(SelectionRequest, request_id)
        assert req is not None
        type_id = req.service_type_id
        service = db.session.get(ServiceType, type_id)
        assert service is not None
        default = db.session.get(Organisation, service.regulator_id)  # 云川市's bureau
        surveying = _org("云岭市自然资源和规划局")
        # 云岭市's mapping starts elsewhere: its ecology bureau regulates the type
        db.session.execute(sa.update(service_type_regulator).where(
            service_type_regulator.c.tenant_id == second,
            service_type_regulator.c.service_type_id == type_id).values(
            regulator_id=_org("云岭市生态环境局").id))
        accounts.add_member(default, name="云川市行业监管员", email="bureau@scope.example.cn",
                            role=Role.REGULATOR, password=PASSWORD)
        db.session.commit()
        default_id, surveying_id, code = default.id, surveying.id, service.code
        ecology_id = _org("云岭市生态环境局").id
        assert regulators.regulators_of(type_id, second) not in ({surveying_id}, {default_id})
        db.session.remove()

    bureau = _client(app, SECOND_CITY_SURVEYING)
    assert bureau.get(f"/regulator/complaints/{complaint}").status_code == 404
    operator = _client(app, SECOND_CITY_OPERATOR)

    # another city's bureau (the catalogue's default) is refused next to the type's field
    with app.app_context():
        before = db.session.execute(sa.select(service_type_regulator)).all()
        audits = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
    refused = operator.post("/operator/catalogue-choices",
                            data=_choices_form(operator, {type_id: default_id}))
    assert refused.status_code == 400
    page = refused.get_data(as_text=True)
    assert re.search(rf'name="regulator_{type_id}".*?请选择本地的行业主管部门', page, re.S)
    # the select shows the regulator in force, not the foreign one nor a （无） nobody chose
    select = page.split(f'name="regulator_{type_id}"')[1].split("</select>")[0]
    assert re.findall(r'<option selected value="(\d+)">', select) == [str(ecology_id)], select
    with app.app_context():
        assert db.session.execute(sa.select(service_type_regulator)).all() == before
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == audits

    # 云岭市's operator maps the type to its surveying bureau: it now handles the complaint
    saved = operator.post("/operator/catalogue-choices",
                          data=_choices_form(operator, {type_id: surveying_id}))
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        assert regulators.regulators_of(type_id, second) == {surveying_id}
        assert type_id in regulators.types_regulated_by(surveying_id)
        event = db.session.scalars(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:catalogue:regulators").order_by(
            AuditEvent.id.desc()).limit(1)).one()
        assert event.details["changed"][code]["after"] == surveying_id
    page = bureau.get(f"/regulator/complaints/{complaint}")
    assert page.status_code == 200
    assert complaint in bureau.get("/regulator/complaints").get_data(as_text=True)

    # 云川市's bureau, the type's provincial default, sees nothing of 云岭市's
    elsewhere = _client(app, "bureau@scope.example.cn", PASSWORD)
    assert elsewhere.get(f"/regulator/complaints/{complaint}").status_code == 404
    assert complaint not in elsewhere.get("/regulator/complaints").get_data(as_text=True)

    with app.app_context():
        req = db.session.get(SelectionRequest, request_id)
        surveying, default = (db.session.get(Organisation, i) for i in (surveying_id, default_id))
        # the lists read the mapping on the row's tenant: the request, its clocks
        mine = set(db.session.scalars(within(sa.select(SelectionRequest.id), surveying)))
        theirs = set(db.session.scalars(within(sa.select(SelectionRequest.id), default)))
        assert request_id in mine and request_id not in theirs
        assert surveying_id in request_subject(req).regulators
        db.session.remove()


def test_a_county_without_its_own_bureau_has_no_industry_regulator(app: Flask) -> None:
    """A type the tenant's operator has not mapped keeps the catalogue's default only in the
    default regulator's own tenant."""
    from market.accounts import tenants

    with app.app_context():
        home = tenants.home_tenant()
        other = tenants.add("539700", "云峰市", tenant=True)
        bureau = accounts.create_organisation(
            OrgKind.REGULATOR, "本市生态环境局", tenant_id=home.id,
            regulator_kind=RegulatorKind.INDUSTRY)
        service = ServiceType(code="EIA-T", name="环评测试", regulator_id=bureau.id)
        db.session.add(service)
        db.session.flush()
        assert regulators.regulators_of(service.id, home.id) == {bureau.id}
        assert regulators.regulators_of(service.id, other.id) == frozenset()
        assert regulators.types_regulated_by(bureau.id) == {service.id}
        db.session.rollback()


def test_a_second_city_bureaus_lists_show_its_citys_rows(demo_city_app: Flask) -> None:
    """An owner moved to 云岭市, whose operator maps the service type of one of the owner's
    open engagements to its surveying bureau: the bureau's clock board shows the engagement's
    clock; 云川市's bureau of that type (the catalogue's default) no longer does."""
    from market.accounts.scope import list_scope
    from market.clocks.board import urgent
    from market.engagements.models import Engagement

    app = demo_city_app
    with app.app_context():
        second = _org("云岭市政务服务中心（平台运营）").tenant_id
        surveying = _org("云岭市自然资源和规划局")
        home = _org("云川市政务服务管理办公室")
        surv = db.session.scalar(sa.select(ServiceType.id).where(ServiceType.code == "SURV"))
        open_ids = [r.engagement_id for r in urgent(limit=500, within=list_scope(home)).rows
                    if r.engagement_id]
        engagement = db.session.scalars(sa.select(Engagement).where(
            Engagement.public_id.in_(open_ids), Engagement.service_type_id != surv)
            .order_by(Engagement.id)).first()
        assert engagement is not None
        owner_id, type_id = engagement.request.owner_org_id, engagement.service_type_id
        default_id = db.session.get(ServiceType, type_id).regulator_id
        before = {r.engagement_id for r in urgent(
            limit=500, within=list_scope(db.session.get(Organisation, default_id))).rows}
        assert engagement.public_id in before
        public_id = engagement.public_id
        db.session.execute(sa.update(Organisation).where(
            Organisation.id == owner_id).values(tenant_id=second))
        db.session.execute(sa.update(SelectionRequest).where(
            SelectionRequest.owner_org_id == owner_id).values(tenant_id=second))
        accounts.add_member(db.session.get(Organisation, default_id), name="云川市行业监管员",
                            email="bureau@scope.example.cn", role=Role.REGULATOR,
                            password=PASSWORD)
        db.session.commit()
        surveying_id = surveying.id
        db.session.remove()

    operator = _client(app, SECOND_CITY_OPERATOR)
    saved = operator.post("/operator/catalogue-choices", data=_choices_form(
        operator, {type_id: surveying_id}))
    assert saved.status_code == 302, saved.get_data(as_text=True)

    with app.app_context():
        mine = {r.engagement_id for r in urgent(
            limit=500, within=list_scope(db.session.get(Organisation, surveying_id))).rows}
        theirs = {r.engagement_id for r in urgent(
            limit=500, within=list_scope(db.session.get(Organisation, default_id))).rows}
        assert public_id in mine and public_id not in theirs
        db.session.remove()
