"""Each tenant chooses the service types and approval matters of the shared catalogue it uses
(目录选用): a city's operator switches them off for its tenant only; its owners can then
neither pick nor publish a request for a type switched off; an approval system cannot report a
new case for a matter switched off; the provincial operator reads every tenant's choices and
chooses none."""

from __future__ import annotations

import re

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.catalogue import choices
from market.catalogue.models import ServiceType, unused_service_type
from market.db import db
from market.selection.models import SelectionRequest
from tests.conftest import Person, create_person, csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import project, request_form

PAGE = "/operator/catalogue-choices"


def _operator_of(city: City, code: str, name: str, *, province: bool = False) -> Person:
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, Role

    with city.app.app_context():
        root = tenants.province()
        assert root is not None
        division = root if province else tenants.add(code, name, tenant=True)
        org_id = ops.create_organisation(OrgKind.OPERATOR, f"{name}运营",
                                         tenant_id=division.id).id
        db.session.commit()
    return create_person(city.app, Role.OPERATOR, org_id=org_id)


def _eia(city: City) -> int:
    with city.app.app_context():
        return int(db.session.scalar(sa.select(ServiceType.id).where(ServiceType.code == "EIA")))


def _ticked(page: str, type_id: int) -> bool:
    box = re.search(rf'<input[^>]*name="service_type_ids"[^>]*value="{type_id}"[^>]*>', page)
    assert box is not None
    return "checked" in box.group(0)


def _unused(city: City) -> set[tuple[int, int]]:
    with city.app.app_context():
        return {(r.tenant_id, r.service_type_id)
                for r in db.session.execute(sa.select(unused_service_type))}


def test_a_city_switches_a_type_off_for_its_own_owners_only(city: City) -> None:
    eia = _eia(city)
    op = city.client(city.operator)
    page = op.get(PAGE).get_data(as_text=True)
    assert _ticked(page, eia)
    # an id the catalogue does not hold: refused next to the field, nothing stored
    r = op.post(PAGE, data={"csrf_token": csrf_token(op, PAGE), "service_type_ids": ["999999"]})
    assert r.status_code == 400 and "请从目录中选择中介服务事项" in r.get_data(as_text=True)
    assert _unused(city) == set()
    # no type ticked: every type is switched off for this city
    r = op.post(PAGE, data={"csrf_token": csrf_token(op, PAGE)})
    assert r.status_code == 302
    with city.app.app_context():
        from market.accounts import tenants

        home = tenants.home_tenant().id
        tag = db.session.scalar(sa.select(AuditEvent.details).where(
            AuditEvent.tag == "operator:catalogue:choose"))
    assert _unused(city) == {(home, eia)} and tag is not None and tag["types_off"] == ["EIA"]
    assert not _ticked(op.get(PAGE).get_data(as_text=True), eia)
    # the owner is no longer offered it, and publishing it is refused next to the field
    owner = city.client(city.owner)
    project_id = project(city)
    form = owner.get("/owner/requests/new").get_data(as_text=True)
    assert 'value="EIA"' not in form
    data = request_form(city, project_id)
    data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
    with timeutil.frozen(START):
        r = owner.post("/owner/requests/new", data=data)
    assert r.status_code == 400 and "本地未选用该中介服务事项" in r.get_data(as_text=True)
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRequest)) == 0
        assert not choices.uses_type(home, eia)
    # another city is untouched and chooses for itself only
    elsewhere = _operator_of(city, "539700", "云峰市")
    other = city.client(elsewhere)
    assert 'data-test="choices-form"' in other.get(PAGE).get_data(as_text=True)
    with city.app.app_context():
        from market.accounts import tenants

        other_id = tenants.by_code("539700").id  # type: ignore[union-attr]
        assert choices.uses_type(other_id, eia)
    r = other.post(PAGE, data={"csrf_token": csrf_token(other, PAGE),
                               "service_type_ids": [str(eia)]})
    assert r.status_code == 302 and _unused(city) == {(home, eia)}
    # switched on again, the owner publishes
    r = op.post(PAGE, data={"csrf_token": csrf_token(op, PAGE), "service_type_ids": [str(eia)]})
    assert r.status_code == 302 and _unused(city) == set()
    data["csrf_token"] = csrf_token(owner, "/owner/requests/new")
    with timeutil.frozen(START):
        assert owner.post("/owner/requests/new", data=data).status_code == 302


def test_the_province_reads_every_tenants_choices_and_makes_none(city: City) -> None:
    eia = _eia(city)
    op = city.client(city.operator)
    assert op.post(PAGE, data={"csrf_token": csrf_token(op, PAGE)}).status_code == 302
    province = city.client(_operator_of(city, "", "省级", province=True))
    page = province.get(PAGE).get_data(as_text=True)
    assert 'data-test="choices-overview"' in page and 'data-test="choices-form"' not in page
    with city.app.app_context():
        name = db.session.get(ServiceType, eia).name
    assert name in page
    r = province.post(PAGE, data={"csrf_token": csrf_token(province, "/dashboard"),
                                  "service_type_ids": [str(eia)]})
    assert r.status_code == 403
    with city.app.app_context():
        from market.accounts import tenants

        root = tenants.province()
        assert root is not None
        try:
            choices.choose(root.id, [eia], [])
        except choices.CatalogueError:
            pass
        else:  # pragma: no cover
            raise AssertionError("the province chose")
        db.session.rollback()
    assert len(_unused(city)) == 1
