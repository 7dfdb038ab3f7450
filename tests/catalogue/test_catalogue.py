"""Operators maintain service types and approval matters; every change is audited."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, Role
from market.catalogue.models import ApprovalMatter, Department, ServiceType
from market.db import db
from tests.conftest import create_person, csrf_token, login


def _operator(app: Flask) -> FlaskClient:
    c = app.test_client()
    assert login(c, create_person(app, Role.OPERATOR, provincial=True).email).status_code == 302
    return c


def _post(c: FlaskClient, url: str, **data: object):  # type: ignore[no-untyped-def]
    return c.post(url, data={"csrf_token": csrf_token(c, url), **data})


def _refused_next_to(response, field: str, message: str) -> None:  # type: ignore[no-untyped-def]
    """A refused form: 400, the message in the error paragraph of ``field``."""
    page = response.get_data(as_text=True)
    assert response.status_code == 400, (field, page[-2000:])
    assert re.search(rf'<p class="error" id="{field}-msg">[^<]*{re.escape(message)}', page), \
        (field, message)


def test_operator_creates_and_edits_a_service_type(app: Flask) -> None:
    c = _operator(app)
    r = _post(c, "/operator/service-types", code="eia", name="环境影响评价", name_en="EIA",
              regulator_id="0", qualification_types="环境影响评价资质\n环境影响评价资质",
              practitioner_types="环境影响评价工程师")
    assert r.status_code == 302, r.get_data(as_text=True)
    r = _post(c, "/operator/service-types/EIA", code="EIA", name="环评", name_en="EIA",
              regulator_id="0", qualification_types="环境影响评价资质、甲类",
              practitioner_types="")
    assert r.status_code == 302
    with app.app_context():
        st = db.session.scalar(sa.select(ServiceType))
        assert (st.code, st.name, st.qualification_types, st.practitioner_types) == (
            "EIA", "环评", ["环境影响评价资质", "甲类"], [])
        tags = list(db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.tag.like("operator:service-type:%")).order_by(AuditEvent.id)))
        assert tags == ["operator:service-type:create", "operator:service-type:update"]
    assert app.test_client().get("/api/service-types").get_json()["items"][0]["name"] == "环评"


def test_bad_service_types_are_refused(app: Flask) -> None:
    c = _operator(app)
    _post(c, "/operator/service-types", code="EIA", name="环评", regulator_id="0")
    for data, field, message in (({"code": "1X", "name": "x"}, "code", "以字母开头"),
                                 ({"code": "EIA", "name": "x"}, "code", "已被使用"),
                                 ({"code": "NEW", "name": "x", "regulator_id": "999"},
                                  "regulator_id", "请选择监管单位")):
        r = _post(c, "/operator/service-types", **{"regulator_id": "0", **data})
        # refused as every form refuses: 400, next to the field, what was typed kept
        _refused_next_to(r, field, message)
        assert f'value="{data["code"]}"' in r.get_data(as_text=True)
        # a regulator never offered: the select shows its first option, as on a new page
        select = r.get_data(as_text=True).split('name="regulator_id"')[1].split("</select>")[0]
        assert re.findall(r'<option selected value="(\d+)">', select) == ["0"], select
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ServiceType.id))) == 1


def test_approval_matters(app: Flask) -> None:
    c = _operator(app)
    _post(c, "/operator/service-types", code="EIA", name="环评", regulator_id="0")
    assert _post(c, "/operator/departments", code="yc-eeb", name="市生态环境局").status_code == 302
    with app.app_context():
        st_id = db.session.scalar(sa.select(ServiceType.id))
        dept_id = db.session.scalar(sa.select(Department.id).where(Department.code == "YC-EEB"))
    base = {"code": "PA-EIA", "name": "建设项目环境影响评价文件审批", "department_id": str(dept_id),
            "statutory_days": "60", "committed_days": "30", "service_type_ids": str(st_id)}
    for over, message in (({"committed_days": "61"}, "不能长于法定时限"),
                          ({"statutory_days": "0"}, "1 到 365"),
                          ({"service_type_ids": "9999"}, "请选择已有的"),
                          ({"department_id": "0"}, "请选择审批部门"),
                          ({"department_id": "9999"}, "请选择审批部门"),
                          ({"in_process_ids": "9999"}, "只能勾选本事项需要的")):
        r = _post(c, "/operator/approval-matters", **{**base, **over})
        _refused_next_to(r, next(iter(over)), message)
        assert 'value="建设项目环境影响评价文件审批"' in r.get_data(as_text=True)
        # the department chosen is kept; one never offered shows the select's first option
        select = r.get_data(as_text=True).split('name="department_id"')[1].split("</select>")[0]
        shown = "0" if over.get("department_id") in ("0", "9999") else str(dept_id)
        assert re.findall(r'<option selected value="(\d+)">', select) == [shown], (over, select)
    assert _post(c, "/operator/approval-matters", **base).status_code == 302
    assert _post(c, "/operator/approval-matters/PA-EIA", **{**base, "committed_days": "20"}
                 ).status_code == 302
    with app.app_context():
        m = db.session.scalar(sa.select(ApprovalMatter))
        assert (m.committed_days, [t.code for t in m.service_types]) == (20, ["EIA"])
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.tag.like("operator:approval-matter:%"))) == 2
    api = app.test_client().get("/api/service-types").get_json()
    ref = api["items"][0]["approval_matters"][0]
    assert (ref["code"], ref["department"], ref["need"]) == (
        "PA-EIA", {"code": "YC-EEB", "name": "市生态环境局"}, "precondition")
    # The report becomes one needed during review; the edit form shows it ticked.
    assert _post(c, "/operator/approval-matters/PA-EIA", **{**base, "committed_days": "20",
                                                           "in_process_ids": str(st_id)}
                 ).status_code == 302
    page = c.get("/operator/approval-matters/PA-EIA").get_data(as_text=True)
    select = page.split('name="in_process_ids"')[1].split("</select>")[0]
    assert re.search(rf'<option selected value="{st_id}">', select), select
    matters = app.test_client().get("/api/approval-matters").get_json()
    assert matters["items"] == [{
        "code": "PA-EIA", "name": "建设项目环境影响评价文件审批",
        "department": {"code": "YC-EEB", "name": "市生态环境局"}, "statutory_days": 60,
        "committed_days": 20, "services": [{"service": "EIA", "name": "环评",
                                            "need": "in_process"}]}]
    assert app.test_client().get("/api/approval-matters?department=yc-eeb").get_json()[
        "total"] == 1
    # an unknown department is a mistake to report, as an unknown division of /api/requests
    r = app.test_client().get("/api/approval-matters?department=NOPE")
    assert r.status_code == 400
    assert r.get_json()["error"]["code"] == "invalid_parameter"
    assert r.get_json()["error"]["message"].startswith("department: ")
    assert "NOPE" in r.get_json()["error"]["message"]


def test_departments(app: Flask) -> None:
    """An operator keeps the approving departments: unique code (the one machine clients use)
    and unique name; a refusal is shown next to its field with what was typed, nothing saved."""
    c = _operator(app)
    assert _post(c, "/operator/departments", code="11530000MB0000001X",
                 name="云川市生态环境局").status_code == 302
    for over, message in (({"code": "-bad"}, "部门代码须为"), ({"code": ""}, "请填写此项"),
                          ({"code": "11530000MB0000001X", "name": "另一个局"}, "该代码已被使用"),
                          ({"code": "YC-OTHER", "name": "云川市生态环境局"}, "已有同名")):
        r = _post(c, "/operator/departments", **{"code": "YC-X", "name": "云川市水务局", **over})
        assert r.status_code == 400 and message in r.get_data(as_text=True), over
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Department.id))) == 1
    assert _post(c, "/operator/departments/11530000MB0000001X", code="YC-STHJJ",
                 name="云川市生态环境局").status_code == 302
    page = c.get("/operator/departments").get_data(as_text=True)
    assert "YC-STHJJ" in page and "11530000MB0000001X" not in page
    assert c.get("/operator/departments/NOPE").status_code == 404
    with app.app_context():
        tags = list(db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.tag.like("operator:department:%")).order_by(AuditEvent.id)))
        assert tags == ["operator:department:create", "operator:department:update"]


def test_only_the_provincial_operator_edits_the_shared_catalogue(app: Flask) -> None:
    """The catalogue is one for the province: a city's operator reads its pages without forms,
    told who keeps them, and each of its POSTs is refused (403) without a change."""
    keeper = _operator(app)
    _post(keeper, "/operator/service-types", code="EIA", name="环评", regulator_id="0")
    assert _post(keeper, "/operator/departments", code="YC-EEB", name="市生态环境局"
                 ).status_code == 302
    with app.app_context():
        st_id = db.session.scalar(sa.select(ServiceType.id))
        dept_id = db.session.scalar(sa.select(Department.id))
        db.session.execute(sa.update(Organisation).where(Organisation.kind == "operator")
                           .values(name="云南省政务服务管理局"))
        db.session.commit()
    matter = {"code": "PA-EIA", "name": "环评审批", "department_id": str(dept_id),
              "statutory_days": "60", "committed_days": "30", "service_type_ids": str(st_id)}
    assert _post(keeper, "/operator/approval-matters", **matter).status_code == 302
    for path in ("/operator/service-types", "/operator/approval-matters",
                 "/operator/departments"):
        page = keeper.get(path).get_data(as_text=True)
        assert '<form method="post" novalidate>' in page and 'data-test="read-only"' not in page

    city = app.test_client()
    assert login(city, create_person(app, Role.OPERATOR).email).status_code == 302
    token = csrf_token(city, "/")
    for path, data in (
            ("/operator/service-types", {"code": "NEW", "name": "新事项", "regulator_id": "0"}),
            ("/operator/service-types/EIA", {"code": "EIA", "name": "改名", "regulator_id": "0"}),
            ("/operator/approval-matters", {**matter, "code": "PA-NEW"}),
            ("/operator/approval-matters/PA-EIA", {**matter, "committed_days": "10"}),
            ("/operator/departments", {"code": "YC-NEW", "name": "新部门"}),
            ("/operator/departments/YC-EEB", {"code": "YC-EEB", "name": "改名"})):
        assert city.post(path, data={"csrf_token": token, **data}).status_code == 403, path
        page = city.get(path)
        assert page.status_code == 200, path
        html = page.get_data(as_text=True)
        assert 'data-test="read-only"' in html and "云南省政务服务管理局" in html, path
        assert '<form method="post" novalidate>' not in html and "修改</a>" not in html, path
    with app.app_context():
        assert db.session.scalar(sa.select(ServiceType.name)) == "环评"
        assert db.session.scalar(sa.select(Department.name)) == "市生态环境局"
        assert db.session.scalar(sa.select(ApprovalMatter.committed_days)) == 30
        assert db.session.scalar(sa.select(sa.func.count(ServiceType.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(ApprovalMatter.id))) == 1
        assert db.session.scalar(sa.select(sa.func.count(Department.id))) == 1
    # what the city keeps itself: its choice of the shared catalogue's entries
    assert city.post("/operator/catalogue-choices", data={
        "csrf_token": token, "service_type_ids": str(st_id)}).status_code == 302
