"""Demo award methods: sealed bids (one still sealed, one opened with a tie drawn by lottery, one
in discount rates whose abnormally low lowest quote awaits its written explanation), credit
merit, a direct selection, a lottery whose winner declined, an objection upheld (the
request re-ran under a new lottery id) and one rejected.

Runs before the lottery demo (:mod:`devdata.demo.selection`), at earlier times, each step with
the clock frozen at its time and in order, so both logs' times never go backwards.
"""

from __future__ import annotations

import base64
import json
import os
import random
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import current_app

from devdata.demo import proposals as proposals_demo
from devdata.demo.selection import _eligible, _people, _user, enter_external
from market import timeutil
from market.accounts.models import Organisation, OrgKind, Role, User
from market.db import db
from market.domain import quotes, sealing
from market.selection import award as award_ops
from market.selection import draw, opening, procedures, sealed
from market.selection import requests as ops
from market.selection.models import Award, Objection, SelectionRequest
from market.selection.procedures import lottery as credit_merit


def _admin(org: Organisation) -> User:
    return next(m.user for m in org.memberships if m.role == Role.AGENCY_ADMIN.value)


def _post(owner: Organisation, code: str, title: str, start: datetime, project: str, pcode: str,
          method: str, *, price: int | None = None, cap: int | None = None,
          floor: int | None = None, fund: str = "fiscal", direct: str = "",
          witnesses: list[User] | None = None, credit_threshold: int | None = None,
          shortlist_size: int | None = None, closes: datetime | None = None,
          quote_kind: str = quotes.AMOUNT, low_share_bp: int | None = None,
          low_action: str | None = None) -> SelectionRequest:
    admin, delegate = _people(owner)
    with timeutil.frozen(start):
        proj = ops.create_project(owner, name=project, code=pcode, fund_source=fund,
                                  investment_fen=(price or cap or 0) * 300,
                                  location=owner.region or "云川市")
        data = ops.RequestInput(
            project_id=proj.id, service_code=code, title=title,
            scope=f"{project}：{title}，按现行规范编制并通过审查。", qualification_type=None,
            qualification_level=None, practitioners={}, price_kind="cap" if cap else "fixed",
            price_fen=price, cap_fen=cap, floor_fen=floor, service_days=20, signing_days=5,
            method=method, signup_closes_at=closes or start + timedelta(days=14),
            external_kind="ssq", witness_ids=[w.id for w in (witnesses or [])],
            direct_agency=direct, credit_threshold=credit_threshold,
            shortlist_size=shortlist_size, quote_kind=quote_kind, low_share_bp=low_share_bp,
            low_action=low_action)
        req = ops.save_draft(owner, data, admin)
        ops.publish(owner, req)
    return req


def _finish_draw(req: SelectionRequest, rng: random.Random, operator: User,
                 regulator: User) -> None:
    lottery = draw.current_lottery(req)
    if lottery is None or lottery.state != "frozen":
        raise RuntimeError(f"demo: {req.public_id} has no frozen lottery")
    base = lottery.announcement["signup_closes_at"]
    closes = datetime.strptime(base, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timeutil.now().tzinfo)
    for i, w in enumerate(req.witnesses):
        with timeutil.frozen(closes + timedelta(minutes=20 + 5 * i)):
            draw.enter_witness(lottery, w.user, f"{rng.randrange(10**7, 10**8)}")
    enter_external(lottery, operator, regulator)


def _sign_up_and_draw(req: SelectionRequest, n: int, rng: random.Random, operator: User,
                      regulator: User) -> None:
    start = req.published_at or timeutil.now()
    for i, org in enumerate(_eligible(req.service_type, req, start)[:n]):
        with timeutil.frozen(start + timedelta(hours=2, minutes=7 * i)):
            draw.sign_up(req, org, _admin(org))
    with timeutil.frozen(req.signup_closes_at + timedelta(minutes=1)):
        procedures.advance(req)
    _finish_draw(req, rng, operator, regulator)


def _confirm(req: SelectionRequest, after: timedelta = timedelta(hours=3)) -> Award:
    award = _award(req)
    with timeutil.frozen(award.offered_at + after):
        award_ops.confirm(award, award.agency)
    return award


def _award(req: SelectionRequest) -> Award:
    row = award_ops.current_award(req)
    if row is None:
        raise RuntimeError(f"demo: {req.public_id} has no award")
    return row


def _last_objection() -> Objection:
    row = db.session.scalars(sa.select(Objection).order_by(Objection.id.desc())).first()
    if row is None:
        raise RuntimeError("demo: the objection was not filed")
    return row


DEMO_KEY_DIR = "demo-opening-keys"


def demo_keys(regulators: list[User], at: datetime) -> dict[int, dict[str, Any]]:
    """The demo regulators' opening keys.  Development only (the demo refuses production): a
    real key holder generates the key in its own browser and the platform never sees the
    private half.  Here the loader makes them, registers the public halves and saves each key
    file under the instance folder (0600), so that a demo regulator can open the sealed demo
    request by choosing that file on its opening page."""
    folder = Path(current_app.instance_path) / DEMO_KEY_DIR
    folder.mkdir(parents=True, exist_ok=True)
    files: dict[int, dict[str, Any]] = {}
    for user in regulators:
        private, public = sealing.generate_key()
        doc = sealing.key_file(private, public, user.account_id,
                               str(current_app.config.get("SITE_NAME", "")), timeutil.iso_z(at))
        with timeutil.frozen(at):
            opening.register_key(user, doc["public_key"])
        path = folder / f"{user.email.split('@')[0]}.json"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(doc, f, ensure_ascii=False, indent=1)
        files[user.id] = doc
    return files


def _open_with_key(req: SelectionRequest, user: User, key_file: dict[str, Any]) -> None:
    """What the regulator's browser does at the opening: open its own shares, present them."""
    kid, _public, private = sealing.read_key_file(key_file)
    doc = opening.request_document(req, opening.key_by_id(kid))  # type: ignore[arg-type]
    shares = {item["commitment"]: base64.b64encode(sealing.unwrap(
        private, kid, req.public_id, req.bid_round, item["commitment"],
        base64.b64decode(item["wrapped"]))).decode() for item in doc["shares"]}
    procedures.present_key(req, user, json.dumps({
        "format": sealing.SHARES_FORMAT, "request_id": req.public_id, "round": req.bid_round,
        "key_id": kid, "shares": shares}))


def load(now: datetime) -> None:
    """Add the demo requests of every award method (called by ``flask demo load`` before
    :func:`devdata.demo.selection.load`)."""
    rng = random.Random(20261206)  # noqa: S311  # demo values, not secrets
    owners = db.session.scalars(sa.select(Organisation).where(
        Organisation.kind == OrgKind.OWNER.value).order_by(Organisation.id)).all()
    regulator, operator = _user("regulator1@yunchuan.demo"), _user("operator@yunchuan.demo")
    base = now - timedelta(days=200)
    keys = demo_keys([regulator, _user("regulator2@yunchuan.demo")], base - timedelta(days=1))

    def owner(i: int) -> tuple[Organisation, User]:
        o = owners[i % len(owners)]
        return o, _people(o)[1]

    # 1. A sealed bid opened with a tie among the lowest, broken by a draw.
    o, delegate = owner(0)
    req = _post(o, "EIA", "东湖片区排涝工程环境影响评价（密封报价）", base, "东湖片区排涝工程",
                "2025-539901-83-01-000601", "sealed_bid", cap=4_000_000, floor=2_000_000, witnesses=[delegate, regulator])
    bidders = _eligible(req.service_type, req, base)[:4]
    for i, (org, amount) in enumerate(zip(bidders, (2_800_000, 3_100_000, 2_800_000, 3_500_000),
                                          strict=False)):
        with timeutil.frozen(base + timedelta(hours=3, minutes=11 * i)):
            sealed.submit(req, org, _admin(org), amount)
    with timeutil.frozen(base + timedelta(days=1)):  # one bidder replaces its quote
        sealed.submit(req, bidders[1], _admin(bidders[1]), 3_000_000)
    with timeutil.frozen(req.signup_closes_at + timedelta(minutes=25)):
        _open_with_key(req, regulator, keys[regulator.id])
    _finish_draw(req, rng, operator, regulator)
    _confirm(req)

    # 2. Credit merit, with an objection that the regulator rejects.
    o, delegate = owner(1)
    req = _post(o, "SURV", "北岸新区控制测量（信用择优）", base + timedelta(days=22),
                "北岸新区基础设施工程", "2025-539902-48-01-000602", "credit_merit",
                price=1_600_000, witnesses=[delegate, regulator], credit_threshold=60,
                shortlist_size=3)
    _sign_up_and_draw(req, 5, rng, operator, regulator)
    lottery = draw.current_lottery(req)
    if lottery is None or lottery.record is None:
        raise RuntimeError(f"demo: {req.public_id} has no short list")
    with timeutil.frozen((lottery.drawn_at or timeutil.now()) + timedelta(hours=3)):
        credit_merit.choose(req, o, _people(o)[0], lottery.record["winners"][1],
                            "项目负责人有同类控制测量经验，承诺时限最短")
    award = _award(req)
    loser = next(s for s in req.signups if s.agency_org_id != award.agency_org_id and s.active)
    with timeutil.frozen(award.offered_at + timedelta(hours=2)):
        award_ops.file_objection(req, loser.agency, _admin(loser.agency),
                                 "中选机构近期有同类项目逾期，请核查其承诺时限。", None)
    objection = _last_objection()
    with timeutil.frozen(award.offered_at + timedelta(days=1)):
        procedures.decide_objection(objection, regulator, False,
                                   "经核查，中选机构在本市无逾期记录，异议不成立。")
    _confirm(req, timedelta(days=1, hours=2))

    # 3. A lottery whose winner declined; the first alternate confirmed.
    o, delegate = owner(2)
    req = cost_req = _post(o, "COST", "滨江路改造工程造价咨询", base + timedelta(days=44), "滨江路改造工程",
                "2025-539903-46-01-000603", "lottery", price=2_100_000,
                witnesses=[delegate, regulator])
    _sign_up_and_draw(req, 4, rng, operator, regulator)
    award = _award(req)
    with timeutil.frozen(award.offered_at + timedelta(hours=5)):
        procedures.decline(award, award.agency, _admin(award.agency), "项目负责人岗位调整，无法按期提供服务")
    _confirm(req, timedelta(hours=8))

    # 4. An objection upheld: the draw is voided by the regulator and re-run under a new id.
    o, delegate = owner(3)
    req = _post(o, "EIA", "南湖公园提升工程环境影响评价", base + timedelta(days=66),
                "南湖公园提升工程", "2025-539903-83-01-000604", "lottery", price=2_600_000, witnesses=[delegate, regulator])
    _sign_up_and_draw(req, 4, rng, operator, regulator)
    award = _award(req)
    loser = next(s for s in req.signups if s.agency_org_id != award.agency_org_id and s.active)
    with timeutil.frozen(award.offered_at + timedelta(hours=3)):
        award_ops.file_objection(req, loser.agency, _admin(loser.agency),
                                 "中选机构的环评工程师证书已于报名截止前失效。", None)
    objection = _last_objection()
    with timeutil.frozen(award.offered_at + timedelta(days=1)):
        procedures.decide_objection(objection, regulator, True,
                                   "经核查，中选机构执业人员证书确已失效，本次摇号作废并重新组织。")
    with timeutil.frozen(req.signup_closes_at + timedelta(minutes=1)):
        procedures.advance(req)  # the re-run closes with the carried-over sign-ups
    _finish_draw(req, rng, operator, regulator)
    _confirm(req)

    # 5. A direct selection (social funds), confirmed by the named agency.
    o, _delegate = owner(0)
    start = base + timedelta(days=110)
    agency = _eligible(cost_req.service_type, cost_req, start)[0]
    req = _post(o, "COST", "社会投资产业园结算审核（直接选取）", start, "云川智造产业园",
                "2025-539901-46-01-000605", "direct", price=4_500_000, fund="social",
                direct=agency.public_id)
    _confirm(req, timedelta(hours=6))

    # 7. Proposal selections (方案择优): scored and confirmed; being scored; still open.
    proposals_demo.load([owner(2)[0], owner(0)[0], owner(1)[0]], regulator, keys[regulator.id],
                        base + timedelta(days=125), now, _open_with_key)

    # 8. A sealed bid in discount rates (下浮率) off the cap, with the abnormally low quote rule
    # (more than 20 % below the mean of the others: explain in writing).  Quoted after the
    # proposals above and opened a few hours ago, after the still sealed one's quotes: the
    # lowest quote is abnormally low and its agency has yet to explain it.
    o, delegate = owner(2)
    closes = now - timedelta(hours=3, minutes=25)
    rated = _post(o, "EIA", "南湖片区雨污分流改造工程环境影响评价（下浮率报价）", now - timedelta(days=12),
                  "南湖片区雨污分流改造工程", "2026-539903-83-01-000610", "sealed_bid",
                  cap=2_000_000, floor=1_000_000, witnesses=[delegate, regulator],
                  closes=closes, quote_kind=quotes.RATE, low_share_bp=2000,
                  low_action=quotes.EXPLAIN)
    quoted = now - timedelta(days=7)
    for i, (org, rate_bp) in enumerate(zip(_eligible(rated.service_type, rated, quoted)[6:10],
                                           (800, 1000, 1250, 3500), strict=False)):
        with timeutil.frozen(quoted + timedelta(hours=2, minutes=13 * i)):
            sealed.submit(rated, org, _admin(org), None, rate_bp)

    # 6. A sealed bid still sealed: quotes received, opening in a few days.
    o, delegate = owner(1)
    req = _post(o, "SURV", "西岭隧道施工控制测量（密封报价）", now - timedelta(days=2),
                "西岭隧道工程", "2026-539902-48-01-000606", "sealed_bid", cap=1_900_000,
                floor=1_000_000, witnesses=[delegate, regulator])
    for i, org in enumerate(_eligible(req.service_type, req, now)[:3]):
        with timeutil.frozen(now - timedelta(days=2) + timedelta(hours=4, minutes=9 * i)):
            sealed.submit(req, org, _admin(org), 1_500_000 + 50_000 * i)
    with timeutil.frozen(closes + timedelta(minutes=25)):
        _open_with_key(rated, regulator, keys[regulator.id])
    if not award_ops.explanation_due(_award(rated)):
        raise RuntimeError("demo: the lowest discount-rate quote should await its explanation")
