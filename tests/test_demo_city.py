"""The demo city agrees with itself: one name per department (the regulator that the catalogue
names is the body the approval matters name), one row per approval matter, no city name
doubled, and every project code used once."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from flask import Flask

from devdata.demo import DEMO_PASSWORD, login_labels
from market.accounts import tenants
from market.accounts.models import Membership, Organisation, OrgKind, RegulatorKind, User
from market.accounts.scope import covers
from market.catalogue.models import ApprovalMatter, ServiceType
from market.db import db
from market.selection.models import Project
from tests.conftest import login


def test_the_demo_city_agrees_with_itself(demo_city_app: Flask) -> None:
    app = demo_city_app
    with app.app_context():
        home = tenants.home_tenant()
        everywhere = {o.id: o.name for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrgKind.REGULATOR.value))}
        assert len(set(everywhere.values())) == len(everywhere)
        # the demo city's own; the province's and 云岭市's regulators are the rest of the province
        regulators = {o.id: o.name for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrgKind.REGULATOR.value,
                                          Organisation.tenant_id == home.id))}
        # 省级监管, 云岭市's supervisor and its six industry bureaux
        assert len(everywhere) - len(regulators) == 8
        assert all(name.startswith("云川市") for name in regulators.values()), regulators
        services = db.session.scalars(sa.select(ServiceType)).all()
        assert all(regulators.get(s.regulator_id) for s in services)
        matters = db.session.scalars(sa.select(ApprovalMatter)).all()
        assert not [n for n, k in Counter(m.name for m in matters).items() if k > 1]
        assert {m.department.name for m in matters} <= set(regulators.values())
        names = [o.name for o in db.session.scalars(sa.select(Organisation))]
        names += [m.department.name for m in matters]
        assert not [n for n in names if "市市" in n or n.count("云川") > 1]
        codes = Counter(db.session.scalars(sa.select(Project.code)))
        assert not [c for c, k in codes.items() if k > 1]


def test_the_demo_is_a_small_province(demo_city_app: Flask) -> None:
    """Two cities and a county; industry regulators for the catalogue's types; the province's
    regulator; an agency admitted in 云川市 signed up to 云岭市's request."""
    from market.accounts.models import Division, RegulatorKind
    from market.selection.models import SelectionRequest, SignUp

    with demo_city_app.app_context():
        shown = {(d.code, d.name, d.level, d.tenant) for d in db.session.scalars(
            sa.select(Division))}
        assert shown == {("530000", "云南省", "province", False),
                         ("539900", "云川市", "city", True), ("539800", "云岭市", "city", True),
                         ("539821", "青石县", "county", True),
                         ("539822", "白水县", "county", False)}
        kinds = {o.name: o.regulator_kind for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.kind == OrgKind.REGULATOR.value))}
        assert kinds["云川市生态环境局"] == RegulatorKind.INDUSTRY.value
        assert kinds["云川市政务服务管理办公室"] == RegulatorKind.CENTRE.value
        assert kinds["云南省政务服务管理局（省级监管）"] == RegulatorKind.PROVINCE.value
        req = db.session.scalars(sa.select(SelectionRequest).where(
            SelectionRequest.title == "环湖路改造工程地形测绘")).one()
        assert req.tenant.code == "539800" and req.state == "open"
        agency = db.session.scalars(sa.select(SignUp).where(
            SignUp.request_id == req.id)).one().agency
        assert agency.tenant.code == "539900" and agency.status == "admitted"
        # 云岭市's operator mapped 测绘 to 云岭市's own surveying bureau, which covers the
        # request; 云川市's bureau, the catalogue's default, does not
        from market.catalogue.regulators import regulators_of
        from market.selection.scope import request_subject

        own = db.session.scalars(sa.select(Organisation).where(
            Organisation.name == "云岭市自然资源和规划局")).one()
        default = db.session.scalars(sa.select(Organisation).where(
            Organisation.name == "云川市自然资源和规划局")).one()
        assert own.tenant_id == req.tenant_id and own.regulator_kind == RegulatorKind.INDUSTRY
        assert regulators_of(req.service_type_id, req.tenant_id) == {own.id}
        assert covers(own, request_subject(req)) and not covers(default, request_subject(req))
        assert own.memberships[0].user.email == "regulator4@yunchuan.demo"


def test_an_industry_regulator_of_the_demo_logs_in_and_sees_only_its_service_types(
        demo_city_app: Flask) -> None:
    """The province's demo has an industry regulator (行业主管部门) one can log in as: the
    city's 住房和城乡建设局, whose dashboard lists the clocks of the service types the catalogue
    maps to it (设计, 施工图审查, 造价) and none of the others (环境影响评价…)."""
    email = "industry1@yunchuan.demo"
    assert email in [e for _label, e in login_labels()]
    with demo_city_app.app_context():
        org = db.session.scalars(sa.select(Organisation).join(Membership).join(User).where(
            User.email == email)).one()
        assert org.name == "云川市住房和城乡建设局"
        assert org.regulator_kind == RegulatorKind.INDUSTRY.value
        theirs = {s.name for s in db.session.scalars(
            sa.select(ServiceType).where(ServiceType.regulator_id == org.id))}
    assert theirs == {"工程设计", "施工图审查", "造价咨询"}
    client = demo_city_app.test_client()
    assert login(client, email, DEMO_PASSWORD).status_code == 302
    html = client.get("/dashboard").get_data(as_text=True)
    assert "云川市住房和城乡建设局" in html and "造价咨询" in html
    assert "环境影响评价" not in html and "可行性研究报告编制" not in html
