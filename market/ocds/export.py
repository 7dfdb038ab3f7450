"""One OCDS 1.1 release package per selection request.

Mapping (OCDS ← ours): the owner is the buyer and procuring entity; every agency that took part
is a tenderer (signed up, quoted — once the quotes are opened — or was named for a direct
selection); an award is an OCDS award whose supplier is the agency; the lottery's verification
bundle is attached to the award as a document.  Organisations are identified by their unified
social credit code under the org-id scheme ``CN-USCC``.  Money is integer fen here; OCDS wants a
number, so amounts are yuan with two decimals.

The methods' own terms, in the core fields of OCDS 1.1.5 (no extension is declared: the
standard's tool then checks everything offline, and the bids extension it would take for
structured bids is not part of the core schema):

* 信用择优 (credit merit): every agency that signed up is a tenderer; the published threshold
  and the owner's choice are ``tender.eligibilityCriteria`` and ``awardCriteriaDetails``; the
  long list (入围名单, at or above the threshold) and the drawn short list (入围候选) are tender
  documents of type ``shortlistedFirms`` — the documentType codelist's own word for them,
  which it says carries this information when the bids extension is not used — each listing
  the agencies' ids and linking the draw page that proves them; the award's description
  carries the owner's published reason.
* 方案择优 (proposals): ``awardCriteria`` ``ratedCriteria`` and ``awardCriteriaDetails`` the
  scoring sheet as published (each criterion's points, the price points and formula); once
  the panel's scores are published, a tender document of type ``evaluationReports`` gives each
  agency's criteria, price and total points (the statistics of the scoring) and links the
  notice where every scorer's points are public.
* 密封报价 (sealed bid): ``awardCriteria`` ``priceOnly``; quotes as a discount rate (下浮率) are
  stated in ``awardCriteriaDetails`` with the base price, and every value is the resulting
  amount — the award's value is the fee the rate gives, its description names the rate; the
  abnormally low quote rule is in ``awardCriteriaDetails`` and an award's written
  explanation in its description.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from flask import current_app, url_for

from market import timeutil
from market.accounts.models import Organisation
from market.db import db
from market.domain import quotes as quote_rules
from market.engagements.models import Engagement
from market.selection.award import changes
from market.selection.models import (
    Award,
    Bid,
    Lottery,
    Method,
    RequestState,
    SelectionRequest,
    SignUp,
)
from market.selection.procedures import lottery as credit_merit
from market.selection.procedures import proposals

METHODS = {  # our method -> (OCDS procurementMethod, details in Chinese)
    "lottery": ("open", "随机抽取（摇号，agency-lottery/v1，可离线核验）"),
    "sealed_bid": ("open", "密封报价（一次报价，最低价中选）"),
    "credit_merit": ("selective", "信用择优（信用分达到入围线的机构中摇号产生入围候选，业主择优选定）"),
    "direct": ("direct", "直接选取"),
    "proposals": ("open", "方案择优（比选：评审小组按随公告公开的评分标准评分，总分最高者中选）"),
}
TENDER_STATUS = {
    RequestState.OPEN.value: "active",
    RequestState.CLOSED.value: "active",
    RequestState.SELECTED.value: "complete",
    RequestState.FAILED.value: "unsuccessful",
    RequestState.CANCELLED.value: "cancelled",
}
AWARD_STATUS = {"offered": "pending", "confirmed": "active", "declined": "unsuccessful",
                "timed_out": "unsuccessful", "voided": "cancelled"}
CONTRACT_STATUS = {"signing": "pending", "in_service": "active", "in_review": "active",
                   "accepted": "terminated", "cancelled": "cancelled"}


def _time(dt: datetime | None) -> str | None:
    return None if dt is None else timeutil.iso_z(dt)


def _money(fen: int | None) -> dict[str, Any] | None:
    if fen is None:
        return None
    return {"amount": float(Decimal(fen) / 100), "currency": "CNY"}


def _party(org: Organisation, roles: list[str]) -> dict[str, Any]:
    party: dict[str, Any] = {"id": org.public_id, "name": org.name, "roles": roles}
    if org.person:
        # A natural person (自然人业主): ``name`` is already the masked name (张**), and
        # nothing else of the person goes out — no identifier (OCDS 1.1.5's Organization
        # requires none: a party is its ``id`` and ``roles``) and no address of theirs (the
        # buyer's address is the tenant's).  《个人信息保护法》第二十五条.
        return party
    if org.credit_code:
        party["identifier"] = {"scheme": "CN-USCC", "id": org.credit_code, "legalName": org.name}
    if org.region:
        party["address"] = {"region": org.region, "countryName": "中国"}
    return party


def _buyer(request: SelectionRequest) -> dict[str, Any]:
    """The owner as buyer, its address the request's tenant (行政区划): ``locality`` the city
    or county, ``region`` the province.  Core OCDS addresses hold names, not codes; the
    GB/T 2260 code is in the API's ``division``."""
    party = _party(request.owner, ["buyer", "procuringEntity"])
    tenant = request.tenant
    address: dict[str, Any] = {"locality": tenant.name, "countryName": "中国"}
    top = tenant
    while top.parent is not None:
        top = top.parent
    if top is not tenant:
        address["region"] = top.name
    party["address"] = address
    return party


def ocid(request: SelectionRequest) -> str:
    return f"{current_app.config['OCDS_OCID_PREFIX']}-{request.public_id}"


def release(request: SelectionRequest) -> dict[str, Any]:
    """The current state of ``request`` as one compiled OCDS release."""
    signups = db.session.scalars(sa.select(SignUp).where(SignUp.request_id == request.id)
                                 .order_by(SignUp.at)).all()
    awards = db.session.scalars(sa.select(Award).where(Award.request_id == request.id)
                                .order_by(Award.id)).all()
    lotteries = {lt.lottery_id: lt for lt in db.session.scalars(
        sa.select(Lottery).where(Lottery.request_id == request.id))}
    parties: dict[str, dict[str, Any]] = {
        request.owner.public_id: _buyer(request)}
    tenderers = []
    for agency in _took_part(request, signups):
        party = parties.setdefault(agency.public_id, _party(agency, []))
        if "tenderer" not in party["roles"]:
            party["roles"].append("tenderer")
            tenderers.append({"id": agency.public_id, "name": agency.name})
    method, details = METHODS.get(request.method, ("open", request.method))
    dates = [request.published_at, request.closed_at, *(a.decided_at or a.offered_at
                                                        for a in awards)]
    latest = max((d for d in dates if d is not None), default=request.created_at)
    tender: dict[str, Any] = {
        "id": request.public_id,
        "title": request.title,
        "description": request.scope,
        "status": TENDER_STATUS.get(request.state, "planning"),
        "procuringEntity": {"id": request.owner.public_id, "name": request.owner.name},
        "items": [{"id": "1", "description": request.service_type.name,
                   "classification": {"scheme": "CN-ISS", "id": request.service_type.code,
                                      "description": request.service_type.name}}],
        "procurementMethod": method,
        "procurementMethodDetails": details,
        "mainProcurementCategory": "services",
        "datePublished": _time(request.published_at),
        "tenderPeriod": {"startDate": _time(request.published_at),
                         "endDate": _time(request.signup_closes_at)},
        "contractPeriod": {"durationInDays": request.service_days},
        "numberOfTenderers": len(tenderers),
    }
    # OCDS wants an absent field rather than an empty list (the data review tool flags them)
    if tenderers:
        tender["tenderers"] = tenderers
    if request.amendments:
        tender["amendments"] = [{"id": str(a.version), "date": _time(a.at), "rationale": a.reason}
                                for a in request.amendments]
    if request.price_kind == "fixed":
        tender["value"] = _money(request.price_fen)
    else:
        tender["value"] = _money(request.cap_fen)
        tender["minValue"] = _money(request.floor_fen) if request.floor_fen else None
        tender = {k: v for k, v in tender.items() if v is not None}
    tender.update(_method_terms(request))
    documents = _method_documents(request)
    if documents:
        tender["documents"] = documents
    ocds_awards = []
    why = _why(request, list(awards))
    for a in awards:
        party = parties.setdefault(a.agency.public_id, _party(a.agency, []))
        # every award names its supplier, a declined or voided one too: the party it points
        # at has the role (the standard's check of referenced parties)
        if "supplier" not in party["roles"]:
            party["roles"].append("supplier")
        award: dict[str, Any] = {
            "id": f"{request.public_id}-A{a.id}", "status": AWARD_STATUS.get(a.state, "pending"),
            "date": _time(a.offered_at), "value": _money(a.fee_fen),
            "suppliers": [{"id": a.agency.public_id, "name": a.agency.name}],
            "contractPeriod": {"durationInDays": a.service_days},
        }
        said = [text for text in (why.get(a.id), *_award_facts(request, a)) if text]
        if said:
            award["description"] = "；".join(said)
        lottery = lotteries.get(a.lottery_id or "")
        if lottery is not None and lottery.state == "drawn":
            award["documents"] = [{
                "id": f"{lottery.lottery_id}-bundle", "documentType": "evaluationReports",
                "title": "摇号核验包（agency-lottery/v1）", "format": "application/json",
                "url": url_for("lotteries.bundle", lottery_id=lottery.lottery_id, _external=True),
            }]
        ocds_awards.append(award)
    contracts = _contracts(request, {a.id: f"{request.public_id}-A{a.id}" for a in awards})
    tag = ["contract"] if contracts else (["award"] if ocds_awards else ["tender"])
    if request.amendments and not ocds_awards:
        tag = ["tenderAmendment"]
    if request.state == RequestState.CANCELLED.value:
        tag = ["tenderCancellation"]
        tender["documents"] = [*tender.get("documents", []), {
            "id": f"{request.public_id}-cancellation", "documentType": "cancellationDetails",
            "title": "撤销公告", "description": request.cancel_reason or "",
            "datePublished": _time(request.cancelled_at), "language": "zh"}]
        latest = max(latest, request.cancelled_at or latest)
    out: dict[str, Any] = {
        "ocid": ocid(request),
        "id": f"{request.public_id}-v{request.version}-{request.state}",
        "date": _time(latest),
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
        "parties": list(parties.values()),
        "buyer": {"id": request.owner.public_id, "name": request.owner.name},
        "tender": tender,
    }
    related = _related(request)
    if related:
        out["relatedProcesses"] = related
    if ocds_awards:
        out["awards"] = ocds_awards
    if contracts:
        out["contracts"] = contracts
    return out


def _yuan(fen: int) -> str:
    return f"{Decimal(fen) / 100:.2f}"


def _method_terms(request: SelectionRequest) -> dict[str, str]:
    """The award criteria and eligibility of the request's method (see the module's text)."""
    out: dict[str, str] = {}
    if request.method == Method.CREDIT_MERIT and request.credit_threshold is not None:
        out["eligibilityCriteria"] = (f"信用分不低于 {request.credit_threshold} 分的有效报名进入入围名单")
        out["awardCriteriaDetails"] = (
            f"从入围名单中以可核验的摇号（agency-lottery/v1）产生入围候选 {request.shortlist_size} 家，"
            "业主从入围候选中择优选定一家，并公开选定理由")
    elif request.method == Method.PROPOSALS and request.scoring_sheet:
        sheet = proposals.sheet_of(request)
        if sheet is not None:
            out["awardCriteria"] = "ratedCriteria"
            out["awardCriteriaDetails"] = "；".join(
                [f"{c.name} {c.max_points} 分" for c in sheet.criteria]
                + [f"价格分 {sheet.price_points} 分（最低有效报价 ÷ 本报价 × {sheet.price_points}）",
                   "各评委评分取平均，总分最高者中选，总分相同时以可核验的摇号决定"])
    elif request.method == Method.SEALED_BID:
        out["awardCriteria"] = "priceOnly"
        said = ["最低有效报价中选，最低价相同时以可核验的摇号决定"]
        if request.quote_kind == quote_rules.RATE and request.cap_fen is not None:
            said.insert(0, f"按下浮率报价：基准价（最高限价）{_yuan(request.cap_fen)} 元，"
                           "报价金额 = 基准价 ×（1 − 下浮率），四舍五入到分")
        if request.low_share_bp is not None:
            action = ("须在确认期限前书面说明，逾期未说明的不予中选，依次递补"
                      if request.low_action == quote_rules.EXPLAIN else "作无效报价处理")
            said.append(f"异常低价：低于其他有效报价平均值 {quote_rules.format_rate(request.low_share_bp)}"
                        f" 以上的报价{action}")
        out["awardCriteriaDetails"] = "；".join(said)
    return out


def _method_documents(request: SelectionRequest) -> list[dict[str, Any]]:
    """Credit merit's long and short list, and a proposal selection's published scores."""
    if request.method == Method.CREDIT_MERIT:
        sl = credit_merit.shortlist_of(request)
        if sl is None or sl.lottery_id is None or not sl.long_count:
            return []
        page = url_for("lotteries.lottery_page", lottery_id=sl.lottery_id, _external=True)
        docs = [{"id": f"{sl.lottery_id}-long-list", "documentType": "shortlistedFirms",
                 "title": f"入围名单（信用分不低于 {sl.threshold} 分）",
                 "description": f"{sl.long_count} 家：" + "、".join(a for a, _n in sl.long_list),
                 "url": page, "language": "zh"}]
        if sl.shortlist:
            docs.append({"id": f"{sl.lottery_id}-shortlist", "documentType": "shortlistedFirms",
                         "title": "入围候选（摇号产生）",
                         "description": "、".join(a for a, _n in sl.shortlist),
                         "url": url_for("lotteries.bundle", lottery_id=sl.lottery_id,
                                        _external=True),
                         "format": "application/json", "language": "zh"})
        return docs
    if request.method == Method.PROPOSALS:
        data = proposals.results(request)
        if not data:
            return []
        rows = [f"{r['agency_id']}：评审因素 "
                + "/".join(f"{c / 100:.2f}" for c in r["criteria_centi"])
                + f"，价格分 {r['price_centi'] / 100:.2f}，总分 {r['total_centi'] / 100:.2f}"
                for r in data["results"]]
        return [{"id": f"{request.public_id}-R{request.bid_round}-scores",
                 "documentType": "evaluationReports",
                 "title": f"评审结果（评审小组 {len(data['scorers'])} 人，全部评分公开）",
                 "description": "；".join(rows),
                 "url": url_for("lotteries.notice", public_id=request.public_id, _external=True),
                 "language": "zh"}]
    return []


def _award_facts(request: SelectionRequest, award: Award) -> list[str]:
    """What an award says of its method: the owner's reason for a credit-merit choice, the
    discount rate of a rate quote, an abnormally low quote's written explanation."""
    said = []
    if award.choice_reason:
        said.append(f"业主选定理由：{award.choice_reason}")
    if request.quote_kind == quote_rules.RATE and request.cap_fen is not None:
        rate = quote_rules.rate_of_fee(request.cap_fen, award.fee_fen)
        if rate is not None:
            said.append(f"下浮率 {quote_rules.format_rate(rate)}，报价金额 {_yuan(award.fee_fen)} 元")
    if award.low_explanation:
        said.append(f"异常低价书面说明：{award.low_explanation}")
    return said


def _took_part(request: SelectionRequest, signups: Sequence[SignUp]) -> list[Organisation]:
    """Every agency that took part, whatever the method, in the order they did: those that
    signed up; those that quoted in a sealed round, once the quotes are opened (before, who
    quoted is sealed too); the agency a direct selection named."""
    orgs = [s.agency for s in signups]
    if request.state != RequestState.OPEN.value:
        orgs += [b.agency for b in db.session.scalars(sa.select(Bid).where(
            Bid.request_id == request.id).order_by(Bid.at, Bid.id))]
    if request.direct_agency is not None:
        orgs.append(request.direct_agency)
    return list({o.id: o for o in orgs}.values())  # first time each took part, in order


def _why(request: SelectionRequest, awards: list[Award]) -> dict[int, str]:
    """Award id -> why it changed hands (the same facts the notice shows): on the award that
    lost it, how and why; on the award that took over, whom it replaced."""

    out: dict[int, str] = {}
    lost = [a for a in awards if a.state not in ("offered", "confirmed")]
    for a, c in zip(lost, changes(request, awards), strict=True):
        how = {"declined": "放弃中选", "timed_out": "逾期未确认，视为放弃"}.get(c.how, "中选作废")
        text = f"{c.agency_id} {how}" + (f"：{c.reason}" if c.reason else "")
        if c.to_agency_id:
            text += f"；中选资格递补给 {c.to_agency_id}"
            if a.replaced_by_id is not None:
                out[a.replaced_by_id] = f"递补中选：原中选机构 {c.agency_id} {how}" + (
                    f"（{c.reason}）" if c.reason else "")
        out[a.id] = text
    return out


def _related(request: SelectionRequest) -> list[dict[str, Any]]:
    """A re-announcement follows on from the failed request (OCDS ``unsuccessfulProcess``)."""
    if request.reannounces is None:
        return []
    failed = request.reannounces
    return [{"id": "1", "relationship": ["unsuccessfulProcess"], "title": failed.title,
             "scheme": "ocid", "identifier": ocid(failed),
             "uri": url_for("ocds.request_package", request_id=failed.public_id, _external=True)}]


def _contracts(request: SelectionRequest, award_ids: dict[int, str]) -> list[dict[str, Any]]:
    """Engagements (委托合同) as OCDS contracts, each pointing at the award it came from."""
    rows = db.session.scalars(sa.select(Engagement).where(Engagement.request_id == request.id)
                              .order_by(Engagement.id)).all()
    out = []
    for e in rows:
        if e.award_id not in award_ids:
            continue
        contract: dict[str, Any] = {
            "id": e.public_id, "awardID": award_ids[e.award_id],
            "status": CONTRACT_STATUS.get(e.state, "pending"),
            "value": _money(e.fee_fen),
            "period": {"durationInDays": e.service_days},
            "dateSigned": _time(e.contract_confirmed_at),
        }
        if e.state == "accepted":
            contract["period"]["endDate"] = _time(e.accepted_at)
        out.append({k: v for k, v in contract.items() if v is not None})
    return out


def bulk_package(requests: list[SelectionRequest], uri: str) -> dict[str, Any]:
    """Many requests in one release package (one release each)."""
    releases = [release(r) for r in requests]
    return {
        "uri": uri,
        "version": "1.1",
        "publishedDate": max((r["date"] for r in releases), default=timeutil.iso_z(timeutil.now())),
        "publisher": {"name": current_app.config["SITE_NAME"]},
        "license": current_app.config["OCDS_LICENSE"],
        "publicationPolicy": url_for("transparency.index", _external=True),
        "releases": releases,
    }


def package(request: SelectionRequest) -> dict[str, Any]:
    """The release package: the wrapper of OCDS 1.1 around :func:`release`."""
    rel = release(request)
    return {
        "uri": url_for("ocds.request_package", request_id=request.public_id, _external=True),
        "version": "1.1",
        "publishedDate": rel["date"],
        "publisher": {"name": current_app.config["SITE_NAME"]},
        "license": current_app.config["OCDS_LICENSE"],
        "publicationPolicy": url_for("transparency.index", _external=True),
        "releases": [rel],
    }
