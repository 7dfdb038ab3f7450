"""The division tree (行政区划) and its tenants: the rules of ``tenants.add``, the CLI, the
operator's page, and settings that a tenant inherits from the province or sets itself."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts import tenants
from market.accounts.models import Division, Organisation, Role, User
from market.db import db
from market.settings import operations as settings_ops
from market.settings import service as settings
from tests.conftest import create_person, csrf_token, login


def _provincial(app: Flask, person_org: int) -> None:
    with app.app_context():
        org = db.session.get(Organisation, person_org)
        root = tenants.province()
        assert root is not None
        org.tenant_id = root.id
        db.session.commit()


def test_home_tenant_is_the_configured_first_city(app: Flask) -> None:
    with app.app_context():
        home = tenants.home_tenant()
        assert (home.code, home.name, home.level, home.tenant) == ("539900", "云川市", "city", True)
        root = tenants.province()
        assert root is not None and home.parent_id == root.id and root.code == "530000"
        assert tenants.home_tenant().id == home.id


@pytest.mark.parametrize(("code", "name", "tenant", "field"), [
    ("53990", "某市", True, "code"),  # five digits
    ("A39800", "某市", True, "code"),
    ("090100", "某市", True, "code"),  # no province starts with 0
    ("539900", "重复", True, "code"),  # taken
    ("539800", "", True, "name"),
    ("520100", "贵阳市", True, "code"),  # its province is not the platform's
    ("539801", "某县", True, "code"),  # its city is not there yet
    ("520000", "贵州省", False, "code"),  # a second province
])
def test_add_refuses(app: Flask, code: str, name: str, tenant: bool, field: str) -> None:
    with app.app_context():
        tenants.home_tenant()
        db.session.commit()
        before = db.session.scalar(sa.select(sa.func.count()).select_from(Division))
        with pytest.raises(tenants.DivisionError) as refused:
            tenants.add(code, name, tenant=tenant)
        assert refused.value.field == field
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Division)) == before


def test_add_nests_by_code(app: Flask) -> None:
    with app.app_context():
        tenants.home_tenant()
        city = tenants.add("539800", "云岭市", tenant=True)
        county = tenants.add("539821", "青石县", tenant=True)
        untenanted = tenants.add("539822", "白水县", tenant=False)
        assert (city.level, county.level, county.parent_id) == ("city", "county", city.id)
        assert [d.code for d in tenants.tenants()] == ["539800", "539821", "539900"]
        assert untenanted not in tenants.tenants()
        with pytest.raises(tenants.DivisionError):
            tenants.set_tenant(tenants.province(), True)  # type: ignore[arg-type]


def test_cli_adds_and_lists(app: Flask) -> None:
    runner = app.test_cli_runner()
    assert runner.invoke(args=["tenants", "list"]).exit_code == 0
    assert "请先添加上级" in runner.invoke(args=["tenants", "add", "539800", "云岭市"]).output
    assert runner.invoke(args=["tenants", "add", "530000", "云南省"]).exit_code == 0
    out = runner.invoke(args=["tenants", "add", "539800", "云岭市"])
    assert out.exit_code == 0, out.output
    assert "539800 云岭市 city tenant" in out.output
    bad = runner.invoke(args=["tenants", "add", "539899x", "坏"])
    assert bad.exit_code != 0 and "六位" in bad.output
    listed = runner.invoke(args=["tenants", "list"]).output
    assert "530000 province -" in listed and "539800 city     tenant   云岭市" in listed


def test_only_the_provincial_operator_changes_the_tree(app: Flask) -> None:
    city_op = create_person(app, Role.OPERATOR)
    prov_op = create_person(app, Role.OPERATOR)
    _provincial(app, prov_op.org_id)
    city_client, prov_client = app.test_client(), app.test_client()
    login(city_client, city_op.email)
    login(prov_client, prov_op.email)
    page = city_client.get("/operator/divisions")
    assert page.status_code == 200 and "539900" in page.text and "添加行政区划" not in page.text
    form = {"csrf_token": csrf_token(city_client, "/operator/divisions"), "code": "539800",
            "name": "云岭市", "tenant": "y"}
    assert city_client.post("/operator/divisions", data=form).status_code == 403
    form["csrf_token"] = csrf_token(prov_client, "/operator/divisions")
    bad = prov_client.post("/operator/divisions", data={**form, "code": "539899"})
    assert bad.status_code == 400 and "请先添加上级行政区划" in bad.text
    assert 'value="539899"' in bad.text  # what they typed is kept
    assert prov_client.post("/operator/divisions", data=form).status_code == 302
    with app.app_context():
        added = tenants.by_code("539800")
        assert added is not None and added.tenant
        added_id = added.id
    toggle = {"csrf_token": form["csrf_token"], "tenant": "0"}
    assert city_client.post(f"/operator/divisions/{added_id}/tenant",
                            data={**toggle, "csrf_token": csrf_token(
                                city_client, "/operator/divisions")}).status_code == 403
    assert prov_client.post(f"/operator/divisions/{added_id}/tenant",
                            data=toggle).status_code == 302
    with app.app_context():
        assert not db.session.get(Division, added_id).tenant


def test_a_tenant_inherits_the_province_and_overrides_it(app: Flask) -> None:
    with app.app_context():
        home = tenants.home_tenant()
        other = tenants.add("539800", "云岭市", tenant=True)
        user = db.session.scalars(sa.select(User)).first()
        if user is None:
            from market.accounts import operations as ops

            user = ops.create_user("设置员", "s@test.example.cn", "correct-horse-42")
        today = timeutil.today_local()
        default = settings.default("MIN_ELIGIBLE_REGISTRANTS")
        settings_ops.change("MIN_ELIGIBLE_REGISTRANTS", default + 2, today, "全省通知", user)
        settings_ops.change("MIN_ELIGIBLE_REGISTRANTS", default + 4, today, "本市通知", user,
                            tenant=home.id)
        later = timeutil.now() + timedelta(seconds=1)
        assert settings.effective("MIN_ELIGIBLE_REGISTRANTS", later, home.id) == default + 4
        assert settings.effective("MIN_ELIGIBLE_REGISTRANTS", later, other.id) == default + 2
        assert settings.effective("MIN_ELIGIBLE_REGISTRANTS", later) == default + 2
        # The same day again for the same tenant is refused; another tenant's is its own.
        with pytest.raises(settings_ops.SettingError):
            settings_ops.change("MIN_ELIGIBLE_REGISTRANTS", default + 5, today, "再改", user,
                                tenant=home.id)
        assert [c.tenant_id for c in settings.history(tenant=home.id)] == [home.id]
        assert [c.tenant_id for c in settings.history()] == [None]


def test_settings_page_writes_the_operators_own_tenant(app: Flask) -> None:
    city_op = create_person(app, Role.OPERATOR)
    prov_op = create_person(app, Role.OPERATOR)
    _provincial(app, prov_op.org_id)
    today = timeutil.today_local().isoformat()
    for person, value in ((city_op, "7"), (prov_op, "6")):
        client = app.test_client()
        login(client, person.email)
        page = client.get("/operator/settings")
        assert page.status_code == 200
        answer = client.post("/operator/settings", data={
            "csrf_token": csrf_token(client, "/operator/settings"),
            "key": "MIN_ELIGIBLE_REGISTRANTS", "value": value, "effective_from": today,
            "reason": "通知"})
        assert answer.status_code == 302, answer.text
    with app.app_context():
        home = tenants.home_tenant()
        later = timeutil.now() + timedelta(seconds=1)
        assert settings.effective("MIN_ELIGIBLE_REGISTRANTS", later, home.id) == 7
        other = tenants.add("539800", "云岭市", tenant=True)
        assert settings.effective("MIN_ELIGIBLE_REGISTRANTS", later, other.id) == 6


def test_a_unit_registers_in_the_division_it_chooses(app: Flask) -> None:
    from tests.test_accounts import register_form

    with app.app_context():
        home = tenants.home_tenant()
        other = tenants.add("539800", "云岭市", tenant=True)
        tenants.add("539821", "青石县", tenant=False)
        ids = (home.id, other.id)
        db.session.commit()
    client = app.test_client()
    page = client.get("/register").get_data(as_text=True)
    assert 'name="division"' in page and "云岭市" in page and "青石县" not in page
    refused = register_form(client, division="539821")
    assert refused.status_code == 400 and "请选择本平台开通的市或县" in refused.text
    assert 'value="云川测试环境科技有限公司"' in refused.text
    assert register_form(app.test_client(), division="539800").status_code == 302
    with app.app_context():
        org = db.session.scalars(sa.select(Organisation).where(
            Organisation.name == "云川测试环境科技有限公司")).one()
        assert org.tenant_id == ids[1]


def test_one_tenant_asks_no_division(app: Flask) -> None:
    client = app.test_client()
    assert 'name="division"' not in client.get("/register").get_data(as_text=True)
