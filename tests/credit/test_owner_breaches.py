"""Owners' breaches (业主失信记录): a regulator records one with its evidence; it is public on the
owner's record and counted in the monthly report; bad input changes nothing."""

from __future__ import annotations

import io
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation
from market.db import db
from market.domain.reports import Month
from market.regulator.models import OwnerBreach
from market.reports.figures import csv_rows, monthly
from market.storage import Upload
from tests.conftest import csrf_token
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City

PDF = b"%PDF-1.4\n% payment demand\n%%EOF\n"
FACTS = "合同约定验收后 30 日内付款，至今逾期 45 日未支付服务费 30,000 元。"


def _owner_id(city: City) -> str:
    with city.app.app_context():
        return db.session.get(Organisation, city.owner.org_id).public_id


def _record(city: City, who, data: dict[str, Any], file: bytes | None = PDF):
    c = city.client(who)
    payload: dict[str, Any] = {"csrf_token": csrf_token(c, "/dashboard"), **data}
    if file is not None:
        payload["evidence_file"] = (io.BytesIO(file), "催款函.pdf")
    return c.post("/regulator/breaches/new", data=payload, content_type="multipart/form-data")


def _count(city: City, model: Any) -> int:
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.count(model.id))) or 0


def test_a_breach_is_recorded_with_evidence_public_and_counted(city: City) -> None:
    eng = accepted_engagement(city, 0)
    owner = _owner_id(city)
    good = {"owner": owner, "kind": "unpaid_fees", "engagement": eng,
            "occurred_on": "2026-02-20", "facts": FACTS, "evidence": "催款函（云川环评〔2026〕12号）"}
    with timeutil.frozen(START):
        assert city.client(city.regulator).get("/regulator/breaches/new").status_code == 200
        for bad, words in (({"owner": "OW-999999"}, "没有找到该业主"),
                           ({"engagement": ""}, "须填写所涉委托编号"),
                           ({"engagement": "EG-999999"}, "没有找到该业主的这个委托"),
                           ({"occurred_on": "2026-03-03"}, "至今天之间"),
                           ({"facts": "未付款"}, "至少 10 个字"),
                           ({"kind": "fraud"}, 'class="error"')):
            r = _record(city, city.regulator, {**good, **bad})
            assert r.status_code == 400 and words in r.get_data(as_text=True), bad
        r = _record(city, city.regulator, good, file=None)
        assert r.status_code == 400 and "请上传证据材料" in r.get_data(as_text=True)
        r = _record(city, city.regulator, good, file=b"MZ\x90\x00not a pdf")
        assert r.status_code == 400
        assert _count(city, OwnerBreach) == 0 and _count(city, Upload) == 0
        # only a regulator records
        assert _record(city, city.owner, good).status_code == 403
        assert _record(city, city.operator, good).status_code == 403
        r = _record(city, city.regulator, good)
        assert r.status_code == 302 and r.headers["Location"].endswith(f"/owners/{owner}")
        page = city.app.test_client().get(f"/owners/{owner}").get_data(as_text=True)
        assert FACTS in page and "逾期未支付服务费" in page and eng in page
        assert "催款函（云川环评〔2026〕12号）" in page
        listing = city.client(city.regulator).get("/regulator/breaches").get_data(as_text=True)
        assert "催款函.pdf" in listing
    assert city.app.test_client().get("/owners/OW-999999").status_code == 404
    # an agency's id is not an owner's record
    assert city.app.test_client().get(
        f"/owners/{city.agency_id(city.agencies[0])}").status_code == 404
    with city.app.app_context():
        row = db.session.scalar(sa.select(OwnerBreach))
        assert row.public_id == f"SX-{row.id:06d}" and row.evidence_upload is not None
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.tag == "regulator:owner_breach:record")) == 1
    with city.app.test_request_context("/"):
        march, feb = monthly(Month(2026, 3)), monthly(Month(2026, 2))
        assert march.owner_breaches["unpaid_fees"] == 1 and march.owner_breaches["other"] == 0
        assert feb.owner_breaches["unpaid_fees"] == 0
        rows = [r for r in csv_rows(march) if r[2] == "owner_breaches"]
        assert [r[5] for r in rows] == [1, 0]
