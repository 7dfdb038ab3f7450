"""The OCDS 1.1 export validates against the standard's own schemas (../shared/ocds, draft-04),
for a request at each stage: open, drawn (with the bundle attached) and failed."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from market import timeutil
from tests.selection.conftest import START, City
from tests.support import demo_data
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up

OCDS = Path(__file__).resolve().parents[3] / "shared" / "ocds"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    if not OCDS.exists():
        # The standard's schemas are data the project does not carry: without them these tests
        # say so in the summary instead of failing a checkout that stands alone.
        pytest.skip(f"OCDS tests skipped: the standard's schemas are not at {OCDS} "
                    "(put the shared folder with ocds/ beside the checkout)")
    package = json.loads((OCDS / "release-package-schema.json").read_text())
    release = json.loads((OCDS / "dereferenced-release-schema.json").read_text())
    registry = Registry().with_resource(
        release["id"], Resource.from_contents(release, default_specification=DRAFT4))
    return Draft4Validator(package, registry=registry)


def _check(validator: Draft4Validator, body: dict) -> dict:
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]
    return body["releases"][0]


def test_export_at_each_stage_is_valid_ocds(city: City, validator: Draft4Validator) -> None:
    client = city.app.test_client()
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
        release = _check(validator, client.get(f"/api/ocds/{req.public_id}.json").get_json())
        assert release["tender"]["status"] == "active"
        assert release["tender"]["numberOfTenderers"] == 3
        assert release["tender"]["value"] == {"amount": 30000.0, "currency": "CNY"}
        assert release["ocid"].endswith(req.public_id)
        buyer = next(p for p in release["parties"] if "buyer" in p["roles"])
        assert buyer["identifier"]["scheme"] == "CN-USCC"
    from market.db import db
    from market.selection.models import Lottery

    with city.app.app_context():
        external_at = db.session.query(Lottery).one().external_at
        lottery_id = db.session.query(Lottery).one().lottery_id
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        from tests.conftest import csrf_token

        client.get(f"/lotteries/{lottery_id}")
        for who in (city.delegate, city.regulator):
            c = city.client(who)
            c.post(f"/lotteries/{lottery_id}/witness",
                   data={"value": "123456", "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
    with timeutil.frozen(external_at + timedelta(minutes=1)):
        from tests.selection.conftest import enter_external

        enter_external(city, lottery_id, external_at)
        release = _check(validator, client.get(f"/api/ocds/{req.public_id}.json").get_json())
    assert release["tag"] == ["award"]
    assert release["tender"]["status"] == "complete"
    (award,) = release["awards"]
    assert award["documents"][0]["url"].endswith(f"/lotteries/{lottery_id}/bundle.json")
    supplier = award["suppliers"][0]["id"]
    assert "supplier" in next(p for p in release["parties"] if p["id"] == supplier)["roles"]


def test_failed_and_unknown_requests(city: City, validator: Draft4Validator) -> None:
    client = city.app.test_client()
    with timeutil.frozen(START):
        req = _publish(city)
    with timeutil.frozen(START + timedelta(days=8)):
        client.get(f"/notices/{req.public_id}")
        release = _check(validator, client.get(f"/api/ocds/{req.public_id}.json").get_json())
    assert release["tender"]["status"] == "unsuccessful"
    missing = client.get("/api/ocds/RQ-999999.json")
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "not_found"


def test_every_demo_request_exports_valid_ocds(tmp_path: Path, validator: Draft4Validator) -> None:
    import sqlalchemy as sa

    from market.db import db
    from market.selection.models import SelectionRequest

    app = demo_data.demo_app(tmp_path)
    with app.app_context():
        ids = list(db.session.scalars(sa.select(SelectionRequest.public_id).where(
            SelectionRequest.state != "draft")))
    client = app.test_client()
    assert len(ids) >= 8
    stages = set()
    for public_id in ids:
        release = _check(validator, client.get(f"/api/ocds/{public_id}.json").get_json())
        stages.update(release["tag"])
        if "contracts" in release:
            award_ids = {a["id"] for a in release["awards"]}
            assert all(c["awardID"] in award_ids for c in release["contracts"])
    assert {"tender", "award", "contract"} <= stages
    bulk = client.get("/api/ocds/releases.json")
    body = bulk.get_json()
    _check(validator, body)
    assert len(body["releases"]) == len(ids) == int(bulk.headers["X-Total-Count"])
    assert client.get("/api/ocds/releases.json?page=0").status_code == 400


def test_a_withdrawn_and_a_re_announced_request_are_valid_ocds(
        city: City, validator: Draft4Validator) -> None:
    """Withdrawn: a tender cancellation with the public reason; re-announced: a related
    process naming the failed one as ``unsuccessfulProcess``."""
    from tests.conftest import csrf_token

    client = city.app.test_client()
    with timeutil.frozen(START):
        failed = _publish(city)
        withdrawn = _publish(city)
        owner = city.client(city.owner)
        r = owner.post(f"/owner/requests/{withdrawn.public_id}/withdraw", data={
            "reason": "项目暂缓实施",
            "csrf_token": csrf_token(owner, f"/owner/requests/{withdrawn.public_id}")})
        assert r.status_code == 302
        release = _check(validator, client.get(f"/api/ocds/{withdrawn.public_id}.json").get_json())
    assert release["tag"] == ["tenderCancellation"]
    assert release["tender"]["status"] == "cancelled"
    (doc,) = release["tender"]["documents"]
    assert (doc["documentType"], doc["description"]) == ("cancellationDetails", "项目暂缓实施")
    with timeutil.frozen(START + timedelta(days=8)):
        client.get(f"/notices/{failed.public_id}")  # fails: nobody signed up
        form = owner.get(f"/owner/requests/{failed.public_id}/reannounce")
        assert form.status_code == 200
        data = {"project_id": str(failed.project_id), "service_code": "EIA", "title": "重新公告",
                "scope": "编制环境影响报告表", "price_kind": "fixed", "price": "30000",
                "service_days": "20", "signing_days": "5", "method": "lottery",
                "signup_closes_at": "2026-03-16T09:00", "external_kind": "ssq",
                "witnesses": [str(city.delegate.user_id), str(city.regulator.user_id)],
                "csrf_token": csrf_token(owner, f"/owner/requests/{failed.public_id}/reannounce")}
        r = owner.post(f"/owner/requests/{failed.public_id}/reannounce", data=data)
        assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
        new_id = r.headers["Location"].rsplit("/", 1)[1]
        owner.post(f"/owner/requests/{new_id}/publish",
                   data={"csrf_token": csrf_token(owner, f"/owner/requests/{new_id}")})
        release = _check(validator, client.get(f"/api/ocds/{new_id}.json").get_json())
    (related,) = release["relatedProcesses"]
    assert related["relationship"] == ["unsuccessfulProcess"]
    assert related["scheme"] == "ocid" and related["identifier"].endswith(failed.public_id)


def _reviewed(body: dict, tmp_path: Path) -> dict:
    """What the standard's own data review library (libcoveocds) finds in ``body``, offline on
    the 1.1.5 zip: schema errors, additional checks, closed codelist values, conformance."""
    import libcoveocds.api
    from libcoveocds.config import LibCoveOCDSConfig

    config = LibCoveOCDSConfig()
    config.config.update(standard_zip=f"file://{OCDS / 'standard-1__1__5-schema.zip'}",
                         additional_checks="all", context="api")
    path = tmp_path / "package.json"
    path.write_text(json.dumps(body, ensure_ascii=False))
    out = tmp_path / "cove"
    out.mkdir(exist_ok=True)
    result = libcoveocds.api.ocds_json_output(str(out), str(path), None, convert=False,
                                              lib_cove_ocds_config=config)
    return {k: result[k] for k in ("validation_errors", "additional_checks",
                                   "additional_closed_codelist_values", "conformance_errors")
            if result.get(k)}


def test_the_standards_own_tool_accepts_every_method_and_the_bulk_pages(
        tmp_path: Path, validator: Draft4Validator) -> None:
    """Every demo request (each method; open, failed, selected, a declined award, contracts)
    and the bulk page pass libcoveocds with nothing to report; every agency that took part is a
    tenderer (sealed-round bidders once opened, the agency a direct selection named), every
    award's supplier has the supplier role; a page past the last is 404, not an empty
    package (a release package must hold a release)."""
    import sqlalchemy as sa

    from market.db import db
    from market.selection.models import Bid, SelectionRequest

    app = demo_data.demo_app(tmp_path / "demo")
    with app.app_context():
        requests = [(r.public_id, r.method, r.state) for r in db.session.scalars(
            sa.select(SelectionRequest).where(SelectionRequest.state != "draft"))]
        bidders = {r.public_id: {b.agency.public_id for b in db.session.scalars(
            sa.select(Bid).where(Bid.request_id == r.id))} for r in db.session.scalars(
            sa.select(SelectionRequest).where(SelectionRequest.method == "sealed_bid",
                                              SelectionRequest.state == "selected"))}
    assert {m for _p, m, _s in requests} >= {"lottery", "sealed_bid", "credit_merit", "direct"}
    client = app.test_client()
    declined = 0
    for public_id, method, _state in requests:
        body = client.get(f"/api/ocds/{public_id}.json").get_json()
        assert _reviewed(body, tmp_path) == {}, public_id
        release = body["releases"][0]
        roles = {p["id"]: p["roles"] for p in release["parties"]}
        tenderers = {t["id"] for t in release["tender"].get("tenderers", [])}
        assert release["tender"]["numberOfTenderers"] == len(tenderers)
        assert all("tenderer" in roles[t] for t in tenderers)
        for award in release.get("awards", []):
            assert all("supplier" in roles[s["id"]] for s in award["suppliers"])
            declined += award["status"] == "unsuccessful"
        if method == "direct":
            assert len(tenderers) == 1
        if public_id in bidders:
            assert bidders[public_id] and bidders[public_id] <= tenderers
    assert bidders and declined >= 1
    bulk = client.get("/api/ocds/releases.json").get_json()
    assert _reviewed(bulk, tmp_path) == {}
    past = client.get("/api/ocds/releases.json?page=2")
    assert past.status_code == 404 and past.get_json()["error"]["code"] == "no_releases"


def _demo_release(tmp_path: Path, where: object) -> tuple[dict, object]:
    """The demo request matching ``where`` (a SelectionRequest condition), its package checked
    by libcoveocds (nothing to report); its release and the request's facts."""
    import sqlalchemy as sa

    from market.db import db
    from market.selection.models import SelectionRequest

    app = demo_data.demo_app(tmp_path / "demo")
    with app.app_context():
        req = db.session.scalars(sa.select(SelectionRequest).where(where)
                                 .order_by(SelectionRequest.id)).first()
        assert req is not None
        public_id = req.public_id
        db.session.remove()
    body = app.test_client().get(f"/api/ocds/{public_id}.json").get_json()
    assert _reviewed(body, tmp_path) == {}, public_id
    return body["releases"][0], (app, public_id)


def test_credit_merit_long_and_short_list_in_ocds(tmp_path: Path) -> None:
    """信用择优: the threshold as eligibility criteria, the long list and the drawn short list
    as ``shortlistedFirms`` documents (ids as drawn, the draw's page and bundle linked), every
    sign-up a tenderer; the owner's published reason on the award it chose."""
    import sqlalchemy as sa

    from market.db import db
    from market.selection.models import Lottery, SelectionRequest
    from market.selection.procedures.lottery import shortlist_of

    waiting = sa.and_(SelectionRequest.method == "credit_merit",
                      SelectionRequest.state == "closed")
    release, (app, public_id) = _demo_release(tmp_path, waiting)
    with app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))
        sl = shortlist_of(req)
        lottery_id = sl.lottery_id
        long_list = [a for a, _n in sl.long_list]
        short = [a for a, _n in sl.shortlist]
        signed = {s.agency.public_id for s in req.signups}
        assert db.session.scalar(sa.select(Lottery.state).where(
            Lottery.lottery_id == lottery_id)) == "drawn"
    tender = release["tender"]
    assert "不低于 60 分" in tender["eligibilityCriteria"]
    assert "入围候选 3 家" in tender["awardCriteriaDetails"]
    docs = {d["id"]: d for d in tender["documents"]}
    long_doc, short_doc = docs[f"{lottery_id}-long-list"], docs[f"{lottery_id}-shortlist"]
    assert long_doc["documentType"] == short_doc["documentType"] == "shortlistedFirms"
    assert long_doc["description"] == f"{len(long_list)} 家：" + "、".join(long_list)
    assert long_doc["url"].endswith(f"/lotteries/{lottery_id}")
    assert short_doc["description"].split("、") == short and len(short) == 3
    assert short_doc["url"].endswith(f"/lotteries/{lottery_id}/bundle.json")
    assert {t["id"] for t in tender["tenderers"]} == signed >= set(long_list)
    assert "awards" not in release  # the owner has yet to choose
    # the credit merit the owner chose: the reason is on the award
    with app.app_context():
        chosen = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.method == "credit_merit", SelectionRequest.state == "selected"))
        from market.selection.award import awards_of

        reason = next(a.choice_reason for a in awards_of(chosen) if a.choice_reason)
        chosen_id = chosen.public_id
    body = app.test_client().get(f"/api/ocds/{chosen_id}.json").get_json()
    assert _reviewed(body, tmp_path) == {}
    assert any(f"业主选定理由：{reason}" in a.get("description", "")
               for a in body["releases"][0]["awards"])


def test_proposals_award_criteria_and_published_scores_in_ocds(tmp_path: Path) -> None:
    """方案择优: ``ratedCriteria`` with the scoring sheet as published in
    ``awardCriteriaDetails``; the panel's published totals as an ``evaluationReports``
    document linking the notice with every score."""
    import sqlalchemy as sa

    from market.selection.models import SelectionRequest
    from market.selection.procedures import proposals

    scored = sa.and_(SelectionRequest.method == "proposals", SelectionRequest.state == "selected")
    release, (app, public_id) = _demo_release(tmp_path, scored)
    tender = release["tender"]
    assert tender["awardCriteria"] == "ratedCriteria"
    assert tender["awardCriteriaDetails"].startswith("技术方案 40 分；项目组织和人员 20 分；类似项目业绩 10 分；价格分 30 分")
    from market.db import db

    with app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))
        results = proposals.results(req)
    (report,) = [d for d in tender["documents"] if d["documentType"] == "evaluationReports"]
    assert "评审小组 3 人" in report["title"] and report["url"].endswith(f"/notices/{public_id}")
    rows = report["description"].split("；")
    assert len(rows) == len(results["results"]) == 3
    for row, r in zip(rows, results["results"], strict=True):
        assert row.startswith(r["agency_id"]) and row.endswith(f"总分 {r['total_centi'] / 100:.2f}")
    winner = next(a for a in release["awards"] if a["status"] == "active")
    assert winner["suppliers"][0]["id"] == results["winner"]


def test_rate_quotes_are_valued_as_the_resulting_amount_in_ocds(tmp_path: Path) -> None:
    """下浮率: the base price and the formula in ``awardCriteriaDetails`` with the abnormally
    low rule; the award's value is the amount the rate gives (35 % off 20,000 yuan: 13,000),
    its description names the rate; the quoting agencies are tenderers once opened."""
    from market.selection.models import SelectionRequest

    release, (_app, _id) = _demo_release(tmp_path, SelectionRequest.quote_kind == "rate")
    tender = release["tender"]
    assert tender["awardCriteria"] == "priceOnly"
    details = tender["awardCriteriaDetails"]
    assert "基准价（最高限价）20000.00 元" in details and "报价金额 = 基准价 ×（1 − 下浮率）" in details
    assert "异常低价：低于其他有效报价平均值 20.00% 以上的报价须在确认期限前书面说明" in details
    (award,) = release["awards"]
    assert award["value"] == {"amount": 13000.0, "currency": "CNY"}
    assert "下浮率 35.00%，报价金额 13000.00 元" in award["description"]
    assert tender["numberOfTenderers"] == 4
