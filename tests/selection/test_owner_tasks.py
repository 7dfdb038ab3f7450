"""The owner's to-dos beside the draw's: a credit merit's short list waiting for the owner's
choice (信用择优) and opened proposals waiting for the panel's scores (方案择优), on the
dashboard and the full list, decided in the same single statement as the draw to-dos."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection import tasks
from market.selection.models import Lottery
from tests.conftest import csrf_token
from tests.selection.conftest import START, City, city_in
from tests.selection.test_credit_merit import MERIT, _choose
from tests.selection.test_proposals import OPENS, _open, _score, _three_proposals
from tests.support.page_cache import statements
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up
from tests.support.selection_flow import witness_and_draw as _witness_and_draw


def _tasks(city: City, email: str) -> list[tuple[str, str, str]]:
    """(kind, state, request id) of every to-do of one person, and checks that they are read
    in one statement whatever their kinds (beside the due closes and the person's roles)."""
    with city.app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        with statements(city.app) as seen:
            found = tasks.my_tasks(user, limit=100)
        # the due closes, the roles, the page with its count (an empty first page is none,
        # without a count)
        assert len(seen) == 3, seen
        return [(t.kind, t.state, t.request_id) for t in found.tasks]


def test_the_owner_chooses_from_the_short_list_as_a_to_do(any_app: Flask) -> None:
    city = city_in(any_app)
    with timeutil.frozen(START):
        rid = _publish(city, **MERIT).public_id
        for a in city.agencies[:5]:
            assert _sign_up(city, a, rid) == 302
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        city.app.test_client().get(f"/notices/{rid}")
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lot.lottery_id, lot.external_at
    with timeutil.frozen(external_at - timedelta(minutes=1)):
        assert ("choose", "choose", rid) not in _tasks(city, city.owner.email)  # not drawn yet
    _witness_and_draw(city, lottery_id, external_at)
    with city.app.app_context():
        shortlist = list(db.session.scalar(sa.select(Lottery)).record["winners"])
    at = external_at + timedelta(hours=1)
    with timeutil.frozen(at):
        for who in (city.owner, city.delegate):
            assert ("choose", "choose", rid) in _tasks(city, who.email), who.email
        for who in (city.regulator, city.operator, city.agencies[0]):
            assert all(kind != "choose" for kind, _s, _r in _tasks(city, who.email))
        page = city.client(city.owner).get("/dashboard").get_data(as_text=True)
        assert 'data-state="choose"' in page and f'href="/owner/requests/{rid}"' in page
        assert "请从中选定中选机构" in page
        assert _choose(city, rid, shortlist[0], "人员配备最强，同类项目经验最多")[0] == 302
        assert ("choose", "choose", rid) not in _tasks(city, city.owner.email)


def test_the_panel_scores_the_opened_proposals_as_a_to_do(any_app: Flask) -> None:
    city = city_in(any_app)
    rid, (a, b, c3) = _three_proposals(city, ("30000", "32000", "28000"))
    with timeutil.frozen(OPENS - timedelta(minutes=1)):
        assert all(kind != "score" for kind, _s, _r in _tasks(city, city.owner.email))
    _open(city, rid)
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        for who in (city.owner, city.delegate):
            assert ("score", "score", rid) in _tasks(city, who.email), who.email
        assert all(kind != "score" for kind, _s, _r in _tasks(city, city.regulator.email))
        owner = city.client(city.owner)
        page = owner.get("/dashboard").get_data(as_text=True)
        assert 'data-state="score"' in page and f'href="/owner/requests/{rid}/scores"' in page
        listed = owner.get("/draw-tasks").get_data(as_text=True)
        assert re.search(rf'data-state="score"><a href="/owner/requests/{rid}/scores"', listed)
        good = {a: ["36", "18", "9"], b: ["38.5", "19", "10"], c3: ["30", "15", "8"]}
        for name in ("王评委", "李评委", "张评委"):
            assert _score(owner, city, rid, name, good).status_code == 302
        # still to do until the results are published
        assert ("score", "score", rid) in _tasks(city, city.owner.email)
        r = owner.post(f"/owner/requests/{rid}/scores/publish",
                       data={"csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")})
        assert r.status_code == 302
        assert ("score", "score", rid) not in _tasks(city, city.owner.email)


def test_a_tie_at_the_top_ends_the_scoring_to_do(city: City) -> None:
    rid, (a, b, c3) = _three_proposals(city, ("30000", "30000", "25000"))
    _open(city, rid)
    owner = city.client(city.owner)
    same = {a: ["36", "18", "6"], b: ["36", "18", "6"], c3: ["20", "10", "5"]}
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        for name in ("王评委", "李评委", "张评委"):
            assert _score(owner, city, rid, name, same).status_code == 302
        assert owner.post(f"/owner/requests/{rid}/scores/publish", data={
            "csrf_token": csrf_token(owner, f"/owner/requests/{rid}/scores")}).status_code == 302
        assert all(kind != "score" for kind, _s, _r in _tasks(city, city.owner.email))
