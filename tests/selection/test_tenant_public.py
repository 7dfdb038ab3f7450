"""The public side carries the tenant: the notices list and the API's request list filter by
division code, a notice says its city or county, the OCDS buyer's address names it."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts import tenants
from market.accounts.models import Organisation, Role
from market.catalogue.models import ServiceType
from market.db import db
from market.selection.models import Project, SelectionRequest
from tests.conftest import create_person


def _city_and_county(app: Flask) -> dict[str, str]:
    """Open requests of an owner in the demo city, one in a second city and one in a county
    of that city; their public ids by division code."""
    people = {code: create_person(app, Role.OWNER_ADMIN) for code in ("539900", "539800",
                                                                        "539821")}
    out = {}
    with app.app_context():
        tenants.home_tenant()
        tenants.add("539800", "云岭市", tenant=True)
        tenants.add("539821", "青石县", tenant=True)
        st = ServiceType(code="EIA", name="环境影响评价", name_en="EIA")
        db.session.add(st)
        now = timeutil.now()
        for n, (code, person) in enumerate(people.items()):
            owner = db.session.get(Organisation, person.org_id)
            owner.tenant_id = tenants.by_code(code).id  # type: ignore[union-attr]
            project = Project(public_id=f"PJ-D{n}", owner_org_id=owner.id, name=f"项目{code}",
                              code=f"2026-{code}-47-01-00000{n}", fund_source="fiscal",
                              investment_fen=100_00, location="某地", created_at=now)
            db.session.add(project)
            db.session.flush()
            req = SelectionRequest(
                public_id=f"RQ-D{n}", project_id=project.id, owner_org_id=owner.id,
                service_type_id=st.id, title=f"公告{code}", scope="范围", price_kind="fixed",
                price_fen=10_000_00, service_days=10, signing_days=5, method="lottery",
                signup_closes_at=now + timedelta(days=20), state="open", published_at=now,
                created_at=now, practitioners={})
            db.session.add(req)
            db.session.flush()
            assert req.tenant_id == owner.tenant_id  # copied from the owner when stored
            out[code] = req.public_id
        db.session.commit()
    return out


def test_notices_filter_by_division(app: Flask) -> None:
    ids = _city_and_county(app)
    client = app.test_client()
    everything = client.get("/notices").get_data(as_text=True)
    assert all(i in everything for i in ids.values())
    assert 'data-test="notices-division"' in everything and "云岭市" in everything
    city = client.get("/notices?division=539800").get_data(as_text=True)  # with its county
    assert "公告539800" in city and "公告539821" in city and "公告539900" not in city
    county = client.get("/notices?division=539821").get_data(as_text=True)
    assert "公告539821" in county and "公告539800" not in county
    unknown = client.get("/notices?division=110000")
    # a code that is no division of the platform is refused, as the directory refuses it
    assert unknown.status_code == 400 and "公告5398" not in unknown.get_data(as_text=True)
    assert "未知的行政区划代码：110000。" in unknown.get_data(as_text=True)
    page = client.get(f"/notices/{ids['539821']}").get_data(as_text=True)
    assert 'data-test="notice-division">青石县' in page


def test_api_requests_filter_by_division_and_say_it(app: Flask) -> None:
    ids = _city_and_county(app)
    client = app.test_client()
    rows = client.get("/api/requests").get_json()["items"]
    assert {r["id"]: r["division"] for r in rows} == {v: k for k, v in ids.items()}
    only = client.get("/api/requests?division=539800").get_json()["items"]
    assert sorted(r["id"] for r in only) == sorted([ids["539800"], ids["539821"]])
    assert client.get("/api/requests?division=5398").status_code == 400
    assert client.get(f"/api/requests/{ids['539900']}").get_json()["division"] == "539900"


def test_the_ocds_buyer_is_addressed_in_its_division(app: Flask) -> None:
    ids = _city_and_county(app)
    release = app.test_client().get(f"/api/ocds/{ids['539821']}.json").get_json()
    buyer = next(p for p in release["releases"][0]["parties"] if "buyer" in p["roles"])
    assert buyer["address"] == {"locality": "青石县", "region": "云南省", "countryName": "中国"}
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRequest)) == 3
