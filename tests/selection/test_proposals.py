"""Proposal selection (方案择优 / 比选) through the pages: the scoring sheet on the notice, sealed
proposals (no one reads a file or a quote before the key holder opens them), the panel's
scores, the published results, a drawn tie and the award passing down the ranking; bad input
refused with its reason next to the field and nothing changed."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from market import timeutil
from market.db import db
from market.domain import sealed_bid as sb
from market.selection import bidlog
from market.selection.models import (
    Award,
    Bid,
    Lottery,
    Proposal,
    ProposalScorer,
    SelectionRequest,
)
from market.storage import Upload
from tests.conftest import Person, csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import SEALED, open_round, person, witness_and_draw
from tests.support.selection_flow import publish as _publish

OPENS = START + timedelta(days=7)
SHEET = {"scoring_criteria": "技术方案 | 40\n服务承诺 | 20\n类似业绩 | 10", "price_points": "30"}
PROPOSALS = {**SEALED, "method": "proposals", **SHEET}


def _pdf(tag: str) -> bytes:
    return b"%PDF-1.4\n% proposal " + tag.encode() + b" \xe6\x96\xb9\xe6\xa1\x88\n%%EOF\n"


def _submit(city: City, who: Person, rid: str, amount: str, content: bytes,
            name: str = "方案.pdf") -> Any:
    c = city.client(who)
    token = csrf_token(c, f"/agency/requests/{rid}/proposal")
    return c.post(f"/agency/requests/{rid}/proposal", data={
        "amount": amount, "file": (io.BytesIO(content), name), "csrf_token": token},
        content_type="multipart/form-data")


def _open(city: City, rid: str) -> None:
    open_round(city, rid, OPENS + timedelta(minutes=5))


def _score(c: FlaskClient, city: City, rid: str, name: str, points: dict[str, list[str]]) -> Any:
    """The owner records one scorer; ``points``: agency public id → points per criterion."""
    with city.app.app_context():
        bids = {b.agency.public_id: b.id for b in db.session.scalars(
            sa.select(Bid).join(SelectionRequest).where(SelectionRequest.public_id == rid,
                                                        Bid.replaced_at.is_(None)))}
    data = {"name": name, "csrf_token": csrf_token(c, f"/owner/requests/{rid}/scores")}
    for agency, values in points.items():
        for i, v in enumerate(values):
            data[f"p-{bids[agency]}-{i}"] = v
    return c.post(f"/owner/requests/{rid}/scores", data=data)


def _three_proposals(city: City, amounts: tuple[str, str, str]) -> tuple[str, list[str]]:
    with timeutil.frozen(START):
        req = _publish(city, **PROPOSALS)
        for n, (agency, amount) in enumerate(zip(city.agencies, amounts, strict=False)):
            r = _submit(city, agency, req.public_id, amount, _pdf(f"agency-{n}"))
            assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    return req.public_id, [city.agency_id(a) for a in city.agencies[:3]]


def _files_on_disk(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_the_sheet_is_checked_and_published_with_the_notice(city: City) -> None:
    c = city.client(city.owner)
    from tests.support.selection_flow import project, request_form
    with timeutil.frozen(START):
        data = request_form(city, project(city), **{**PROPOSALS, "scoring_criteria":
                                                    "技术方案 | 40\n服务承诺 20分\n没有分值",
                                                    "price_points": "5"})
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        r = c.post("/owner/requests/new", data=data)
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "第 3 行应为" in page and "价格分值须在 10 到 90 分之间" in page
        assert "服务承诺 20分" in page  # what was typed stays
        data["scoring_criteria"], data["price_points"] = "技术方案 | 40\n服务承诺 | 20", "30"
        r = c.post("/owner/requests/new", data=data)
        assert "合计须为 100 分（现为 90 分）" in r.get_data(as_text=True)
        req = _publish(city, **PROPOSALS)
        page = city.app.test_client().get(f"/notices/{req.public_id}").get_data(as_text=True)
    assert "方案择优" in page and 'data-test="scoring-sheet"' in page
    assert "技术方案" in page and "类似业绩" in page and "评审基准价 ÷ 报价 × 价格分值" in page


def test_proposals_stay_sealed_until_the_key_holder_opens_them(city: City, tmp_path: Path) -> None:
    app = city.app
    rid, agencies = _three_proposals(city, ("30000", "32000", "28000"))
    # nothing readable anywhere before the opening: no file's plaintext in the store, no amount
    with app.app_context():
        root = Path(app.config["UPLOAD_DIR"])
        stored = _files_on_disk(root)
        assert b"proposal agency-" not in stored
        rows = db.session.scalars(sa.select(Proposal)).all()
        assert len(rows) == 3 and all(p.opened_upload_id is None for p in rows)
        assert all(b.amount_fen is None for b in db.session.scalars(sa.select(Bid)))
        logged = [e for e in bidlog.events_of(rid) if e["type"] == "proposal"]
        import hashlib
        assert {e["data"]["file_sha256"] for e in logged} == {
            hashlib.sha256(_pdf(f"agency-{n}")).hexdigest() for n in range(3)}
        proposal_ids = [p.id for p in rows]
    # no one downloads a file before the opening: owner, operator, regulator, the agency itself
    with timeutil.frozen(OPENS - timedelta(minutes=1)):
        for who in (city.owner, city.operator, city.regulator, city.agencies[0]):
            assert city.client(who).get(f"/proposals/{proposal_ids[0]}/file").status_code in (403, 404)
        # the opening time passing alone opens nothing: the platform holds no key
        app.test_client().get(f"/notices/{rid}")
    with timeutil.frozen(OPENS + timedelta(minutes=1)):
        page = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert 'data-test="sealed-note"' in page
    _open(city, rid)
    with app.app_context():
        opened = {p.bid.agency.public_id: p for p in db.session.scalars(sa.select(Proposal))}
        assert all(p.opened_upload_id for p in opened.values())
        for b in db.session.scalars(sa.select(Bid)):
            assert b.valid and sb.opens(b.commitment, rid, b.agency.public_id, b.amount_fen, b.nonce)
        pid = opened[agencies[0]].id
    with timeutil.frozen(OPENS + timedelta(minutes=10)):
        # the owner, the regulator and the submitting agency read it; another agency does not
        for who in (city.owner, city.regulator, city.agencies[0]):
            r = city.client(who).get(f"/proposals/{pid}/file")
            assert r.status_code == 200 and r.data == _pdf("agency-0")
            r.close()
        assert city.client(city.agencies[1]).get(f"/proposals/{pid}/file").status_code == 404
        assert app.test_client().get(f"/proposals/{pid}/file").status_code == 302  # to login
        page = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert "28,000.00" in page and 'data-test="awaiting-scores"' in page


def test_a_bad_file_or_quote_is_refused_next_to_its_field_and_keeps_nothing(city: City) -> None:
    app = city.app
    with timeutil.frozen(START):
        req = _publish(city, **PROPOSALS)
        rid = req.public_id
        with app.app_context():
            before = (bidlog.size(), db.session.scalar(sa.select(sa.func.count(Upload.id))))
        r = _submit(city, city.agencies[0], rid, "30000", b"<html>not a proposal</html>", "x.pdf")
        assert r.status_code == 400 and "方案文件须为 PDF" in r.get_data(as_text=True)
        r = _submit(city, city.agencies[0], rid, "50000", _pdf("too-dear"))
        page = r.get_data(as_text=True)
        assert r.status_code == 400 and "最高限价" in page and 'value="50000"' in page
        r = _submit(city, city.agencies[0], rid, "3万", _pdf("words"))
        assert r.status_code == 400
        r = _submit(city, city.agencies[0], rid, "30000", b"")
        assert r.status_code == 400 and "请选择要上传的文件" in r.get_data(as_text=True)
        with app.app_context():
            assert (bidlog.size(), db.session.scalar(sa.select(sa.func.count(Upload.id)))) == before
            assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0
    with timeutil.frozen(OPENS + timedelta(minutes=1)):
        r = _submit(city, city.agencies[0], rid, "30000", _pdf("late"))
        assert r.status_code == 400 and "截止" in r.get_data(as_text=True)


def test_the_panel_scores_and_the_highest_total_wins(city: City) -> None:
    app = city.app
    rid, (a, b, c3) = _three_proposals(city, ("30000", "32000", "28000"))
    _open(city, rid)
    owner = city.client(city.owner)
    good = {a: ["36", "18", "9"], b: ["38.5", "19", "10"], c3: ["30", "15", "8"]}
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        # bad points: out of range, not a number; nothing recorded
        r = _score(owner, city, rid, "王评委", {**good, a: ["41", "18", "9"]})
        assert r.status_code == 400 and "须在 0 到 40 分之间" in r.get_data(as_text=True)
        r = _score(owner, city, rid, "王评委", {**good, a: ["abc", "18", "9"]})
        assert r.status_code == 400 and 'aria-invalid="true"' in r.get_data(as_text=True)
        r = _score(owner, city, rid, "", good)
        assert r.status_code == 400
        assert _score(owner, city, rid, "王评委", good).status_code == 302
        # the same name twice is refused; too few scorers cannot publish
        assert _score(owner, city, rid, "王评委", good).status_code == 400
        r = owner.post(f"/owner/requests/{rid}/scores/publish",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
        assert r.status_code == 400 and "至少 3 人" in r.get_data(as_text=True)
        # another owner's organisation, an agency: no such page
        assert city.client(city.agencies[0]).get(f"/owner/requests/{rid}/scores").status_code == 403
        assert _score(owner, city, rid, "李评委", good).status_code == 302
        assert _score(owner, city, rid, "张评委", good).status_code == 302
        r = owner.post(f"/owner/requests/{rid}/scores/publish",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
        assert r.status_code == 302
        # after publication the scores are frozen
        assert _score(owner, city, rid, "赵评委", good).status_code == 400
        page = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
    # b: 38.5+19+10 + 30×28000/32000 = 67.5 + 26.25 = 93.75; a: 63 + 28 = 91.00; c: 53 + 30 = 83.00
    assert 'data-test="score-results"' in page and "93.75" in page and "91.00" in page
    assert "王评委" in page and "38.5" in page
    with app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.agency.public_id == b and award.fee_fen == 32000_00
        event = [e for e in bidlog.events_of(rid) if e["type"] == "scores"][0]["data"]
        assert [r["agency_id"] for r in event["results"]] == [b, a, c3]
        assert event["sheet"]["price_points"] == 30 and len(event["scores"]) == 9
    # the winner declines: the award passes to the next total
    with timeutil.frozen(OPENS + timedelta(hours=2)):
        w = city.client(person(city, b))
        r = w.post(f"/agency/awards/{award.id}/decline", data={
            "reason": "人员冲突", "csrf_token": csrf_token(w, "/agency/awards")})
        assert r.status_code == 302
    with app.app_context():
        current = db.session.scalars(sa.select(Award).order_by(Award.id.desc())).first()
        assert current.agency.public_id == a and current.fee_fen == 30000_00


def test_a_tie_at_the_top_is_drawn(city: City) -> None:
    app = city.app
    rid, (a, b, c3) = _three_proposals(city, ("30000", "30000", "25000"))
    _open(city, rid)
    owner = city.client(city.owner)
    same = {a: ["36", "18", "6"], b: ["36", "18", "6"], c3: ["20", "10", "5"]}
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        for name in ("王评委", "李评委", "张评委"):
            assert _score(owner, city, rid, name, same).status_code == 302
        r = owner.post(f"/owner/requests/{rid}/scores/publish",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
        assert r.status_code == 302
        page = app.test_client().get(f"/notices/{rid}").get_data(as_text=True)
        assert 'data-test="tie-note"' in page
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        assert lottery.pool == sorted([a, b]) and lottery.announcement["purpose"] == "proposal tie-break"
        assert db.session.scalar(sa.select(sa.func.count(Award.id))) == 0
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    witness_and_draw(city, lottery_id, external_at)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        award = db.session.scalar(sa.select(Award))
        assert lottery.state == "drawn" and award.agency.public_id == lottery.record["winners"][0]
        assert award.fee_fen == 30000_00 and award.lottery_id == lottery_id


def test_scorers_can_be_removed_before_publication_only(city: City) -> None:
    rid, (a, b, c3) = _three_proposals(city, ("30000", "31000", "32000"))
    _open(city, rid)
    owner = city.client(city.owner)
    pts = {a: ["30", "10", "5"], b: ["30", "10", "5"], c3: ["30", "10", "5"]}
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        assert _score(owner, city, rid, "错名评委", pts).status_code == 302
        with city.app.app_context():
            sid = db.session.scalar(sa.select(ProposalScorer.id))
        r = owner.post(f"/owner/requests/{rid}/scores/{sid}/remove",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
        assert r.status_code == 302
        with city.app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(ProposalScorer.id))) == 0


def test_the_tie_break_draw_verifies_offline(city: City) -> None:
    """The tie of a proposal selection is an ordinary lottery: its bundle verifies with the
    standard verifier (the bundle format is the same as every draw's)."""
    from lottery.verify import verify_bundle
    from market.selection.draw import bundle
    from market.transparency.keys import platform_key

    rid, (a, b, c3) = _three_proposals(city, ("30000", "30000", "25000"))
    _open(city, rid)
    owner = city.client(city.owner)
    same = {a: ["36", "18", "6"], b: ["36", "18", "6"], c3: ["20", "10", "5"]}
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        for name in ("王评委", "李评委", "张评委"):
            assert _score(owner, city, rid, name, same).status_code == 302
        owner.post(f"/owner/requests/{rid}/scores/publish",
                   data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    witness_and_draw(city, lottery_id, external_at)
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        result = verify_bundle(bundle(lottery), platform_key().public_raw)
        assert result.winners == lottery.record["winners"]


def test_an_upheld_objection_reruns_a_new_round_of_proposals(city: City) -> None:
    app = city.app
    rid, (a, b, c3) = _three_proposals(city, ("30000", "32000", "28000"))
    _open(city, rid)
    owner = city.client(city.owner)
    pts = {a: ["36", "18", "9"], b: ["30", "15", "8"], c3: ["30", "15", "8"]}
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        for name in ("王评委", "李评委", "张评委"):
            assert _score(owner, city, rid, name, pts).status_code == 302
        owner.post(f"/owner/requests/{rid}/scores/publish",
                   data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
    from tests.support.selection_flow import object_to
    with timeutil.frozen(OPENS + timedelta(hours=3)):
        assert object_to(city, person(city, b), rid, "评分与方案内容不符") == 302
        reg = city.client(city.regulator)
        with app.app_context():
            from market.selection.models import Objection
            oid = db.session.scalar(sa.select(Objection.id))
        r = reg.post(f"/regulator/objections/{oid}", data={
            "decision": "uphold", "reason": "评委评分依据不足，重新组织比选",
            "csrf_token": csrf_token(reg, "/regulator/objections")})
        assert r.status_code == 302
    with app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(SelectionRequest.public_id == rid))
        assert req.state == "open" and req.bid_round == 2 and req.opened_at is None
        assert db.session.scalar(sa.select(Award.state)) == "voided"
        assert [e["type"] for e in bidlog.events_of(rid)][-1] == "void"
        closes = req.signup_closes_at
    # the new round takes new proposals; the old round's scorers do not carry over
    with timeutil.frozen(closes - timedelta(days=1)):
        assert _submit(city, city.agencies[0], rid, "29000", _pdf("round-2")).status_code == 302
        r = owner.get(f"/owner/requests/{rid}/scores")
        assert 'data-test="scorer"' not in r.get_data(as_text=True)


def test_a_local_sanction_bars_a_proposal_only_in_its_own_tenant(city: City) -> None:
    """本地处罚: a local suspension from the request's own city sets the proposal aside at the
    opening; one from another city's regulator does not (一地入驻、全省通行)."""
    from market.accounts import tenants
    from market.accounts.models import Organisation, Role, User
    from market.regulator import sanctions
    from tests.conftest import create_person

    app = city.app
    rid, (a, b, _c) = _three_proposals(city, ("30000", "32000", "28000"))
    elsewhere = create_person(app, Role.REGULATOR)
    with timeutil.frozen(START + timedelta(days=1)), app.app_context():
        other = tenants.add("539800", "云岭市", tenant=True)
        far = db.session.get(Organisation, elsewhere.org_id)
        far.tenant_id = other.id
        home = db.session.get(Organisation, city.regulator.org_id)
        by_id = {o.public_id: o for o in db.session.scalars(
            sa.select(Organisation).where(Organisation.public_id.in_([a, b])))}
        for agency, regulator, who in ((by_id[a], far, elsewhere), (by_id[b], home, city.regulator)):
            user = db.session.scalar(sa.select(User).where(User.email == who.email))
            sanctions.issue(agency, "suspension", "未按时提交成果", "管理办法第十八条",
                            timeutil.today_local(), timeutil.today_local() + timedelta(days=90),
                            user, regulator, local=True)
        db.session.commit()
    _open(city, rid)
    with app.app_context():
        valid = {bid.agency.public_id: bid.valid for bid in db.session.scalars(
            sa.select(Bid).join(SelectionRequest).where(SelectionRequest.public_id == rid))}
    assert valid[a] is True  # another city's local sanction does not reach this request
    assert valid[b] is False  # this city's own local sanction sets it aside
