"""After an award passes to the alternate, every place that names a winner names the current
award and says why it changed: the public notice (its draw block too), the draw page, the
owner's request page, the agency pages, /api/requests, /api/lotteries and OCDS."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from market import timeutil
from market.db import db
from market.selection import award as award_ops
from market.selection.models import Award, Lottery
from tests.conftest import csrf_token
from tests.selection.conftest import City
from tests.support.selection_flow import lottery_to_draw as _lottery_to_draw
from tests.support.selection_flow import person as _person

OCDS = Path(__file__).resolve().parents[3] / "shared" / "ocds"
REASON = "项目负责人调离"


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def _declined(city: City, tmp_path: Path) -> tuple[str, str, list[str], object]:
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, drawn_at = lot.record["ranking"], lot.drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        c = city.client(_person(city, ranking[0]))
        r = c.post("/agency/awards/1/decline", data={
            "reason": REASON, "csrf_token": csrf_token(c, "/agency/awards")})
        assert r.status_code == 302
    return rid, lottery_id, ranking, drawn_at


def test_every_place_names_the_alternate_and_why(city: City, tmp_path: Path) -> None:
    rid, lottery_id, ranking, drawn_at = _declined(city, tmp_path)
    with timeutil.frozen(drawn_at + timedelta(hours=2)):  # type: ignore[operator]
        _check_every_place(city, rid, lottery_id, ranking)


def _check_every_place(city: City, rid: str, lottery_id: str, ranking: list[str]) -> None:
    first, alternate = ranking[0], ranking[1]
    anyone = city.app.test_client()
    # the public notice: the result, and the draw block beside the signed record
    notice = anyone.get(f"/notices/{rid}").get_data(as_text=True)
    assert re.search(rf'data-test="awarded">{alternate}<', notice)
    changes = _text(notice.split('data-test="award-changes"')[1].split("</ul>")[0])
    assert first in changes and REASON in changes and f"中选资格递补给 {alternate}" in changes
    block = _text(notice.split('data-test="now-awarded"')[1].split("</span>")[0])
    assert f"现中选： {alternate}" in block
    # the draw page: the signed record's winner, and who holds the award now and why
    page = anyone.get(f"/lotteries/{lottery_id}").get_data(as_text=True)
    assert re.search(rf'data-test="winner">{first}<', page)
    current = _text(page.split('data-test="current-award"')[1].split("</div>")[0])
    assert alternate in current and REASON in current
    # the owner's request page
    owner = city.client(city.owner).get(f"/owner/requests/{rid}").get_data(as_text=True)
    result = owner.split('data-test="owner-result"')[1].split("</section>")[0]
    assert re.search(rf'data-test="awarded">{alternate}<', result) and REASON in result
    # the agency pages: the alternate and the agency that declined
    alt = city.client(_person(city, alternate))
    awards_page = _text(alt.get("/agency/awards").get_data(as_text=True))
    assert REASON in awards_page and f"中选资格递补给 {alternate}" in awards_page
    signups = alt.get("/agency/signups").get_data(as_text=True)
    cell = _text(signups.split(f'data-test="result-{rid}"')[1].split("</td>")[0])
    assert "本机构中选" in cell and "递补" in cell
    gone = city.client(_person(city, first)).get("/agency/signups").get_data(as_text=True)
    cell = _text(gone.split(f'data-test="result-{rid}"')[1].split("</td>")[0])
    assert alternate in cell and "已变更" in cell
    # the API
    detail = anyone.get(f"/api/requests/{rid}").get_json()
    assert detail["winner"] == alternate
    assert [(c["agency_id"], c["how"], c["reason"], c["replacement"])
            for c in detail["award_changes"]] == [(first, "declined", REASON, alternate)]
    listed = anyone.get("/api/requests").get_json()["items"][0]
    assert listed["winner"] == alternate
    lot = anyone.get("/api/lotteries").get_json()["items"][0]
    assert (lot["winners"], lot["awarded"]) == ([first], [alternate])
    # OCDS: each award says what happened, and the package is still valid
    body = anyone.get(f"/api/ocds/{rid}.json").get_json()
    package = json.loads((OCDS / "release-package-schema.json").read_text())
    release_schema = json.loads((OCDS / "dereferenced-release-schema.json").read_text())
    registry = Registry().with_resource(
        release_schema["id"], Resource.from_contents(release_schema, default_specification=DRAFT4))
    errors = list(Draft4Validator(package, registry=registry).iter_errors(body))
    assert not errors, [e.message for e in errors[:3]]
    a1, a2 = body["releases"][0]["awards"]
    assert a1["status"] == "unsuccessful" and REASON in a1["description"]
    assert alternate in a1["description"]
    assert a2["status"] == "pending" and a2["description"].startswith("递补中选") and first in a2[
        "description"]


def test_when_no_alternate_is_left_every_place_says_nobody_holds_it(city: City,
                                                                   tmp_path: Path) -> None:
    rid, lottery_id, ranking, drawn_at = _declined(city, tmp_path)
    # the pool has three; each alternate declines in turn
    for n, agency_id in enumerate(ranking[1:], start=2):
        with timeutil.frozen(drawn_at + timedelta(hours=1 + n)):
            c = city.client(_person(city, agency_id))
            c.post(f"/agency/awards/{n}/decline", data={
                "reason": f"第{n}家放弃", "csrf_token": csrf_token(c, "/agency/awards")})
    with city.app.app_context():
        assert award_ops.current_award(db.session.get(Award, 1).request) is None
    with timeutil.frozen(drawn_at + timedelta(hours=9)):  # type: ignore[operator]
        _check_nobody(city, rid, lottery_id, ranking)


def _check_nobody(city: City, rid: str, lottery_id: str, ranking: list[str]) -> None:
    anyone = city.app.test_client()
    notice = anyone.get(f"/notices/{rid}").get_data(as_text=True)
    assert 'data-test="no-award"' in notice and "没有候补，本次选取失败" in _text(notice)
    assert "现无中选机构" in _text(notice.split('data-test="now-awarded"')[1].split("</span>")[0])
    page = anyone.get(f"/lotteries/{lottery_id}").get_data(as_text=True)
    assert "现无中选机构" in _text(page.split('data-test="current-award"')[1].split("</div>")[0])
    detail = anyone.get(f"/api/requests/{rid}").get_json()
    assert detail["winner"] is None and detail["state"] == "failed"
    assert [c["replacement"] for c in detail["award_changes"]] == [*ranking[1:], None]
    assert anyone.get("/api/lotteries").get_json()["items"][0]["awarded"] == []


def test_everyone_involved_is_told_when_the_award_passes(city: City, tmp_path: Path) -> None:
    """The owner, the agency that declined and the alternate get one reminder each; when no
    alternate is left, the owner and the last agency are told that the selection failed."""
    from market.notify.models import Notification

    rid, _lottery_id, ranking, drawn_at = _declined(city, tmp_path)
    with city.app.app_context():
        first = db.session.get(Award, 1)
        owner, title = first.request.owner_org_id, first.request.title
        agency = {a.agency.public_id: a.agency_org_id
                  for a in db.session.scalars(sa.select(Award))}
        told = {(n.key, n.organisation_id, n.subject, n.link, n.state)
                for n in db.session.scalars(sa.select(Notification).where(
                    Notification.key.like("award:%")))}
        alternate = db.session.get(Award, 2).agency_org_id
        assert told == {(f"award:1:declined:{org}", org, f"{title}：中选资格递补给 {ranking[1]}",
                         f"/notices/{rid}", "declined")
                        for org in (owner, agency[ranking[0]], alternate)}
        body = db.session.scalar(sa.select(Notification.body).where(
            Notification.organisation_id == owner))
        assert body == f"{ranking[0]} {REASON}；按公布的排名递补 {ranking[1]}，请在确认期限内确认。"
    for n, agency_id in enumerate(ranking[1:], start=2):
        with timeutil.frozen(drawn_at + timedelta(hours=1 + n)):
            c = city.client(_person(city, agency_id))
            c.post(f"/agency/awards/{n}/decline", data={
                "reason": f"第{n}家放弃", "csrf_token": csrf_token(c, "/agency/awards")})
    last = len(ranking)
    with city.app.app_context():
        agency = {a.agency.public_id: a.agency_org_id
                  for a in db.session.scalars(sa.select(Award))}
        failed = {(n.organisation_id, n.subject, n.body) for n in db.session.scalars(
            sa.select(Notification).where(Notification.key.like(f"award:{last}:%")))}
        assert failed == {(org, f"{title}：中选机构放弃，没有候补",
                           f"{ranking[-1]} 第{last}家放弃；本次选取失败，业主可以重新发布采购公告。")
                          for org in (owner, agency[ranking[-1]])}
