"""The standard contract (合同范本) of a service type, filled from the notice and the award, shown
to both sides before they confirm; the public contract notice (合同公告) once they have, linked
from the selection notice and listed — and not a moment before."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from market import timeutil
from market.catalogue.models import ServiceType
from market.db import db
from market.domain import contract
from market.engagements.models import Engagement
from tests.conftest import csrf_token
from tests.engagements.conftest import PDF, engagement_id_of, make_award, post
from tests.selection.conftest import START, City, provincial_operator


def test_fill_replaces_only_the_known_fields() -> None:
    values = {name: f"<{name}>" for name in contract.FIELDS}
    assert contract.fill("甲方 {owner}，费用 {fee_yuan} 元，{{不是字段}}", values) == \
        "甲方 <owner>，费用 <fee_yuan> 元，{不是字段}"
    standard = contract.fill("", values)
    assert all(f"<{name}>" in standard for name in contract.FIELDS)
    assert contract.check("{owner} {secret}") == contract.TemplateProblem(unknown=("secret",))
    for bad in ("{owner", "{owner.__class__}", "{owner!r}", "{owner:>10}", "{0}", "{}"):
        problem = contract.check(bad)
        assert problem is not None and problem.malformed, bad
        with pytest.raises(ValueError):
            contract.fill(bad, values)
    assert contract.fee_text(123_456_78) == "123,456.78"


def _edit_service_type(city: City, **fields: str) -> tuple[int, str]:
    c = city.client(provincial_operator(city))
    with city.app.app_context():
        st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "EIA"))
        data = {"code": st.code, "name": st.name, "name_en": st.name_en, "regulator_id": "0",
                "qualification_types": "", "practitioner_types": "", **fields}
    data["csrf_token"] = csrf_token(c, "/operator/service-types/EIA")
    r = c.post("/operator/service-types/EIA", data=data)
    return r.status_code, r.get_data(as_text=True)


def test_the_operator_keeps_a_template_per_service_type(city: City) -> None:
    status, page = _edit_service_type(city, deliverables="环境影响报告表",
                                      contract_template="甲方 {owner}，乙方 {agency}，{unknown}")
    # (the catalogue's pages answer a refusal with 200, as they did before)
    assert "平台不认识的字段：unknown" in page and "甲方 {owner}" in page  # kept as typed
    status, page = _edit_service_type(city, deliverables="环境影响报告表",
                                      contract_template="甲方 {owner")
    assert "花括号须成对使用" in page
    with city.app.app_context():
        st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "EIA"))
        assert st.contract_template == "" and st.deliverables == ""  # nothing stored
    status, _page = _edit_service_type(
        city, deliverables="环境影响报告表",
        contract_template="环评合同\n甲方：{owner}\n乙方：{agency}\n服务费：{fee_yuan} 元\n"
                          "时限：{service_days} 个工作日\n成果：{deliverables}")
    assert status == 302


def test_both_sides_read_the_filled_contract_then_its_notice_is_public(city: City) -> None:
    app = city.app
    award_id = make_award(app, city, service_days=12)
    _edit_service_type(city, deliverables="环境影响报告表（含电子文件）")
    owner, agency = city.client(city.owner), city.client(city.agencies[0])
    with timeutil.frozen(START):
        eid = engagement_id_of(app, award_id)
        with app.app_context():
            eng = db.session.scalar(sa.select(Engagement).where(Engagement.public_id == eid))
            owner_name, agency_name, rid = eng.owner.name, eng.agency.name, eng.request.public_id
        for side in (owner, agency):
            page = side.get(f"/engagements/{eid}").get_data(as_text=True)
            assert 'data-test="standard-contract"' in page
            for text in (owner_name, agency_name, "30,000.00", "12 个工作日",
                         "环境影响报告表（含电子文件）", "编制环境影响报告表", rid):
                assert text in page, text
        # Not confirmed: no public notice, for anyone (an outsider learns nothing of it).
        for client in (owner, agency, city.client(city.agencies[1])):
            assert client.get(f"/contracts/{eid}").status_code == 404
        r = app.test_client().get(f"/contracts/{eid}")
        assert r.status_code == 404 and agency_name not in r.get_data(as_text=True)
        assert eid not in app.test_client().get("/contracts").get_data(as_text=True)
        assert post(agency, f"/engagements/{eid}/contract", file=(PDF, "c.pdf")).status_code == 302
        assert post(owner, f"/engagements/{eid}/contract/confirm").status_code == 302
    # The template changes later: the confirmed contract does not.
    _edit_service_type(city, contract_template="新范本 {owner}")
    public = app.test_client()
    page = public.get(f"/contracts/{eid}").get_data(as_text=True)
    assert "新范本" not in page and "第三条 服务费" in page and "30,000.00" in page
    assert agency_name in page and "环境影响报告表（含电子文件）" in page
    assert f'href="/notices/{rid}"' in page
    assert f'href="/contracts/{eid}"' in public.get("/contracts").get_data(as_text=True)
    with timeutil.frozen(START):
        notice = public.get(f"/notices/{rid}").get_data(as_text=True)
    assert f'href="/contracts/{eid}"' in notice
    assert 'data-test="contract-notice-link"' in owner.get(
        f"/engagements/{eid}").get_data(as_text=True)
