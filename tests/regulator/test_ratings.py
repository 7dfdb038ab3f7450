"""Ratings: the owner rates an accepted engagement once, the agency replies once; both are
public and the score on the profile changes."""

from __future__ import annotations

import re

import sqlalchemy as sa

from market import timeutil
from market.agencies.models import AgencyProfile
from market.db import db
from market.evaluation.models import Rating
from tests.regulator.conftest import accepted_engagement, post
from tests.selection.conftest import START, City

GOOD = {"quality": "5", "timeliness": "5", "attitude": "5", "fees": "4", "integrity": "5",
        "level": "satisfied", "comment": "报告质量高，沟通及时。"}


def _score(city: City) -> int:
    page = city.app.test_client().get(
        f"/agencies/{city.agency_id(city.agencies[0])}").get_data(as_text=True)
    return int(re.search(r'data-test="credit-score">(\d+)<', page).group(1))


def test_rate_once_reply_once_and_the_score_changes(city: City) -> None:
    eng = accepted_engagement(city, 0)
    path = f"/owner/engagements/{eng}/rating"
    with city.app.app_context():
        db.session.merge(AgencyProfile(organisation_id=city.agencies[0].org_id))
        db.session.commit()
    before = _score(city)
    with timeutil.frozen(START):
        bad = post(city, city.owner, path, {**GOOD, "quality": "7"})
        assert bad.status_code == 400
        assert post(city, city.owner, path, GOOD).status_code == 302
        again = post(city, city.owner, path, GOOD)
        assert again.status_code == 400 and "只能评价一次" in again.get_data(as_text=True)
    after = _score(city)
    assert after > before
    with city.app.app_context():
        rating = db.session.scalar(sa.select(Rating))
        assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 1
        assert db.session.get(AgencyProfile, city.agencies[0].org_id).rating_centi == 480
        rating_id = rating.id
    reply = f"/agency/ratings/{rating_id}/reply"
    with timeutil.frozen(START):
        assert post(city, city.agencies[1], reply, {"reply": "x"}, "/agency/ratings"
                    ).status_code == 404
        assert post(city, city.agencies[0], reply, {"reply": "感谢评价。"}, "/agency/ratings"
                    ).status_code == 302
        assert post(city, city.agencies[0], reply, {"reply": "再次感谢。"}, "/agency/ratings"
                    ).status_code == 400
    page = city.app.test_client().get(
        f"/agencies/{city.agency_id(city.agencies[0])}").get_data(as_text=True)
    assert "报告质量高" in page and "感谢评价。" in page and "再次感谢" not in page


def test_no_rating_before_acceptance_or_by_another_owner(city: City, person) -> None:
    eng = accepted_engagement(city, 0, state="in_service")
    with timeutil.frozen(START):
        r = post(city, city.owner, f"/owner/engagements/{eng}/rating", GOOD)
        assert r.status_code == 400 and "验收通过后才能评价" in r.get_data(as_text=True)
        other = person("owner_admin")
        assert post(city, other, f"/owner/engagements/{eng}/rating", GOOD,
                    "/owner/ratings").status_code == 404
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Rating.id))) == 0
