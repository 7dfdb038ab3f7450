"""The guided request form: every error of every step at once, next to its field, input kept;
requirements chosen from the catalogue's lists for the service; the preview's count of the
agencies eligible now uses the sign-up rule itself."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.agencies.models import Practitioner, Qualification, ReviewStatus
from market.db import db
from market.selection.models import SelectionRequest, SignUp
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import PRAC, QUAL
from tests.support.selection_flow import field_errors as _errors
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form
from tests.support.selection_flow import require_qualifications as _catalogue
from tests.support.selection_flow import sign_up as _sign_up


def _equip(app: Flask, org_id: int, level: str, engineers: int,
           until: date = date(2030, 1, 1)) -> None:
    with app.app_context():
        db.session.add(Qualification(
            organisation_id=org_id, qualification_type=QUAL, level=level, number=f"HP-{org_id}",
            issuer="云川市生态环境局", valid_from=date(2020, 1, 1), valid_until=until,
            status=ReviewStatus.APPROVED.value, submitted_at=START))
        for i in range(engineers):
            db.session.add(Practitioner(
                organisation_id=org_id, name=f"工程师{org_id}-{i}", certificate_type=PRAC,
                certificate_number=f"E{org_id}{i}", valid_until=date(2030, 1, 1),
                status=ReviewStatus.APPROVED.value, submitted_at=START))
        db.session.commit()


def _post_new(city: City, data: dict) -> tuple[int, str]:
    c = city.client(city.owner)
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    return r.status_code, r.get_data(as_text=True)


def test_every_error_of_every_step_shows_at_once_next_to_its_field(city: City) -> None:
    _catalogue(city.app)
    with timeutil.frozen(START):
        project_id = _project(city)
        too_early = (START + timedelta(days=1)).astimezone(timeutil.SHANGHAI)
        data = _request_form(
            city, project_id, title="", scope="编制环境影响报告表，保留这段文字",
            qualification_level="乙级", price="三万", service_days="0",
            signup_closes_at=too_early.strftime("%Y-%m-%dT%H:%M"),
            avoid="AG-999999 与设计单位同一集团", witnesses=[])
        data["practitioners-0-kind"] = ""
        data["practitioners-0-count"] = "2"
        status, html = _post_new(city, data)
    assert status == 400
    errors = _errors(html)
    # step 1, 2, 3, 4, 5 and 6 — all at once
    assert errors["title"] == ["请填写此项。"]
    assert errors["qualification_type"] == ["要求资质等级时须选择资质类型。"]
    assert errors["practitioners-0-kind"] == ["请选择执业资格类型。"]
    assert errors["price"] == ["请填写以元为单位的金额，最多两位小数。"]
    assert errors["service_days"] == ["服务时限须为 1–365 个工作日。"]
    assert errors["signup_closes_at"][0].startswith("报名期至少 3 个工作日")
    assert errors["avoid"] == ["回避名单中的 AG-999999 不是已入驻的中介机构。"]
    assert errors["witnesses"] == ["至少需要一名见证人。"]
    # what was typed stays
    assert "编制环境影响报告表，保留这段文字" in html and 'value="三万"' in html
    assert 'value="2"' in html  # the practitioner count
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 0


def test_requirements_must_come_from_the_services_catalogue(city: City) -> None:
    _catalogue(city.app)
    with timeutil.frozen(START):
        project_id = _project(city)
        page = city.client(city.owner).get("/owner/requests/new").get_data(as_text=True)
        # the lists offer the catalogue's types, each marked with the services that list it
        assert f'data-services="EIA" value="{QUAL}">' in page
        assert 'data-services="SURV" value="测绘资质">' in page
        assert f'data-services="EIA" value="{PRAC}">' in page
        assert "注册环评工程师" not in page  # the old hint named a title nobody holds
        # another service's type, and a free-text title, are refused next to their field
        data = _request_form(city, project_id, qualification_type="测绘资质",
                             qualification_level="乙级")
        data["practitioners-0-kind"] = "注册环评工程师"
        data["practitioners-0-count"] = "2"
        data["practitioners-1-kind"] = PRAC
        data["practitioners-1-count"] = "99"
        status, html = _post_new(city, data)
        assert status == 400
        errors = _errors(html)
        assert errors["qualification_type"] == [
            f"「测绘资质」不是「环境影响评价」的资质类型；请从目录中选择：{QUAL}。"]
        assert errors["practitioners-0-kind"] == [
            f"「注册环评工程师」不是「环境影响评价」的执业资格类型；请从目录中选择：{PRAC}、注册核安全工程师。"]
        assert errors["practitioners-1-count"] == ["人数须为 1–50。"]
        # the same type twice is one requirement: say so
        data["practitioners-0-kind"] = PRAC
        data["practitioners-1-count"] = "1"
        status, html = _post_new(city, data)
        assert status == 400 and _errors(html)["practitioners-1-kind"] == ["同一类型请只写一行。"]
        # chosen from the lists: saved as chosen
        data["qualification_type"] = QUAL
        data["practitioners-1-kind"] = "注册核安全工程师"
        status, html = _post_new(city, data)
        assert status == 302, html[-2000:]
    with city.app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest))
        assert (req.qualification_type, req.qualification_level) == (QUAL, "乙级")
        assert req.practitioners == {PRAC: 2, "注册核安全工程师": 1}


def test_the_preview_counts_the_agencies_the_sign_up_rule_admits(city: City) -> None:
    app = city.app
    _catalogue(app)
    a = city.agencies
    _equip(app, a[0].org_id, "甲级", 2)
    _equip(app, a[1].org_id, "乙级", 3)
    _equip(app, a[2].org_id, "丙级", 2)  # level too low
    _equip(app, a[3].org_id, "甲级", 1)  # one engineer short
    # a[4]: no qualification at all
    _equip(app, a[4].org_id, "甲级", 2, until=date(2026, 3, 5))  # expires before the close
    with timeutil.frozen(START):
        project_id = _project(city)
        data = _request_form(city, project_id, qualification_type=QUAL,
                             qualification_level="乙级")
        data["practitioners-0-kind"] = PRAC
        data["practitioners-0-count"] = "2"
        status, html = _post_new(city, data)
        assert status == 302, html[-2000:]
        with app.app_context():
            public_id = db.session.scalar(sa.select(SelectionRequest.public_id))
        c = city.client(city.owner)
        page = c.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        now = re.search(r'data-test="eligible-now" data-count="(\d+)"', page)
        at_close = re.search(r'data-test="eligible-at-close" data-count="(\d+)"', page)
        assert now and at_close
        assert (now.group(1), at_close.group(1)) == ("3", "2")
        assert 'data-test="eligible-warning"' in page  # 2 at the close < 3
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        assert r.status_code == 302  # a warning, not a refusal
        # the count is the sign-up rule: exactly the agencies counted now can sign up
        for agency in a:
            _sign_up(city, agency, public_id)
    with app.app_context():
        signed = {s.agency_org_id for s in db.session.scalars(sa.select(SignUp))}
    assert signed == {a[0].org_id, a[1].org_id, a[4].org_id}


def test_relaxing_the_requirements_clears_the_warning(city: City) -> None:
    _catalogue(city.app)
    with timeutil.frozen(START):
        status, html = _post_new(city, _request_form(city, _project(city)))
        assert status == 302, html[-2000:]
        with city.app.app_context():
            public_id = db.session.scalar(sa.select(SelectionRequest.public_id))
        page = city.client(city.owner).get(f"/owner/requests/{public_id}").get_data(as_text=True)
    assert re.search(r'data-test="eligible-now" data-count="5"', page)
    assert 'data-test="eligible-warning"' not in page


def test_an_older_free_text_requirement_is_shown_as_is_and_must_be_chosen_again(
        city: City) -> None:
    _catalogue(city.app)
    with timeutil.frozen(START):
        status, html = _post_new(city, _request_form(city, _project(city)))
        assert status == 302
        with city.app.app_context():
            req = db.session.scalar(sa.select(SelectionRequest))
            req.practitioners = {"注册环评工程师": 2}  # as the free-text field once stored it
            db.session.commit()
            public_id = req.public_id
        c = city.client(city.owner)
        page = c.get(f"/owner/requests/{public_id}").get_data(as_text=True)
        assert "注册环评工程师 × 2" in page
        assert 'data-test="off-catalogue"' in page
        assert re.search(r'data-test="eligible-now" data-count="0"', page)
        form = c.get(f"/owner/requests/{public_id}/edit").get_data(as_text=True)
        assert re.search(r'<option data-services="" selected value="注册环评工程师">'
                         r'注册环评工程师（不在目录中，请重新选择）</option>', form)
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        assert r.status_code == 302
        with city.app.app_context():
            assert db.session.scalar(sa.select(SelectionRequest.state)) == "draft"
        assert "不是「环境影响评价」的执业资格类型" in c.get(
            f"/owner/requests/{public_id}").get_data(as_text=True)


def test_the_project_form_shows_every_error_at_once(city: City) -> None:
    with timeutil.frozen(START):
        c = city.client(city.owner)
        r = c.post("/owner/projects", data={
            "name": "", "code": "2026-12", "fund_source": "", "investment": "八千",
            "location": "云川市东城区", "csrf_token": csrf_token(c, "/owner/projects")})
    assert r.status_code == 400
    errors = _errors(r.get_data(as_text=True))
    assert errors["name"] == ["请填写此项。"]
    assert errors["code"][0].startswith("投资项目代码格式应为")
    assert errors["investment"] == ["请填写以万元为单位的数字，最多两位小数。"]
    assert "云川市东城区" in r.get_data(as_text=True)


def test_a_refused_publish_lists_every_problem(city: City) -> None:
    _catalogue(city.app)
    with timeutil.frozen(START):
        status, _html = _post_new(city, _request_form(city, _project(city)))
        assert status == 302
        with city.app.app_context():
            req = db.session.scalar(sa.select(SelectionRequest))
            req.practitioners = {"注册环评工程师": 2}
            req.qualification_type = "环评资质（旧写法）"
            db.session.commit()
            public_id = req.public_id
    with timeutil.frozen(START + timedelta(days=6)):  # the window is now too short, too
        c = city.client(city.owner)
        r = c.post(f"/owner/requests/{public_id}/publish",
                   data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
        page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "「环评资质（旧写法）」不是「环境影响评价」的资质类型" in page
    assert "「注册环评工程师」不是「环境影响评价」的执业资格类型" in page
    assert "报名期至少 3 个工作日" in page


def _regulator(app: Flask, name: str, kind: str, other_tenant: bool = False) -> int:
    """A regulator's person (its user id): of the demo city's tenant, or of a second city."""
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, RegulatorKind, Role
    from tests.conftest import PASSWORD

    with app.app_context():
        tenant = (tenants.add("539700", "云峰市", tenant=True).id if other_tenant
                  else tenants.home_tenant().id)
        org = ops.create_organisation(OrgKind.REGULATOR, name, tenant_id=tenant,
                                      regulator_kind=RegulatorKind(kind))
        user = ops.add_member(org, name=f"{name}人员", email=f"{kind}{tenant}@witness.example.cn",
                              role=Role.REGULATOR, password=PASSWORD)
        db.session.commit()
        return int(user.id)


def test_a_witness_is_a_regulator_whose_scope_covers_the_request(city: City) -> None:
    """Another city's supervisor, an industry regulator of another service type and the
    province are not offered and are refused at save; the industry regulator the catalogue
    maps the request's service type to is accepted."""
    from market.catalogue.models import ServiceType

    project_id = _project(city)
    form = _request_form(city, project_id)
    delegate = form["witnesses"][0]
    foreign = _regulator(city.app, "云峰市政务服务管理办公室", "centre", other_tenant=True)
    industry = _regulator(city.app, "云川市气象局", "industry")
    province = _regulator(city.app, "省级监管单位", "province")
    with timeutil.frozen(START):
        page = city.client(city.owner).get("/owner/requests/new").get_data(as_text=True)
        assert "云川市气象局人员" in page  # not yet a service type chosen: the tenant's industry
        assert "云峰市政务服务管理办公室人员" not in page and "省级监管单位人员" not in page
        for outsider in (foreign, industry, province):
            before = _count(city)
            status, text = _post_new(city, {**form, "witnesses": [delegate, str(outsider)]})
            assert status == 400, outsider
            assert _count(city) == before
            if outsider == industry:  # offered on the form, refused for this service type
                assert "见证人须是本单位人员或监管人员。" in text
        with city.app.app_context():
            eia = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "EIA"))
            eia.regulator_id = db.session.scalar(sa.text(
                "SELECT organisation_id FROM membership WHERE user_id = :u"), {"u": industry})
            db.session.commit()
        status, text = _post_new(city, {**form, "witnesses": [delegate, str(industry)]})
        assert status == 302, _errors(text)


def _count(city: City) -> int:
    with city.app.app_context():
        return int(db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) or 0)
