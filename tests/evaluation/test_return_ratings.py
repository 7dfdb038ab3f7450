"""好差评 after a return: the owner rates the return of each deliverable version once, and the
acceptance once; the agency replies once to each rating; a poor rating of a return opens a
correction like one of an acceptance."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.evaluation.models import Correction, Rating
from tests.evaluation.conftest import DAY, GOOD, accept, returned_once, submit
from tests.selection.conftest import START, City


def _count(city: City) -> int:
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Rating.id))) or 0


def test_the_owner_rates_a_return_once_and_the_acceptance_once(city: City) -> None:
    eid = returned_once(city)
    ret = f"/owner/engagements/{eid}/returns/1/rating"
    with timeutil.frozen(START + 4 * DAY):
        listing = city.client(city.owner).get("/owner/ratings").get_data(as_text=True)
        assert f'data-test="rate-{eid}-v1"' in listing  # the return, before any acceptance
        assert f'data-test="rate-{eid}"' not in listing  # not accepted yet
        # the acceptance cannot be rated yet; a version that was not returned is not found
        r = submit(city, city.owner, f"/owner/engagements/{eid}/rating", GOOD)
        assert r.status_code == 400 and "验收通过后才能评价" in r.get_data(as_text=True)
        assert city.client(city.owner).get(
            f"/owner/engagements/{eid}/returns/2/rating").status_code == 404
        bad = submit(city, city.owner, ret, {**GOOD, "level": "great"})
        assert bad.status_code == 400 and 'class="error"' in bad.get_data(as_text=True)
        assert _count(city) == 0
        assert submit(city, city.owner, ret, GOOD).status_code == 302
        again = submit(city, city.owner, ret, GOOD)
        assert again.status_code == 400 and "每个环节只能评价一次" in again.get_data(as_text=True)
    assert _count(city) == 1
    accept(city, eid)
    with timeutil.frozen(START + 6 * DAY):
        assert submit(city, city.owner, f"/owner/engagements/{eid}/rating",
                      {**GOOD, "level": "very_satisfied"}).status_code == 302
        listing = city.client(city.owner).get("/owner/ratings").get_data(as_text=True)
        assert f'data-test="rated-{eid}-v1"' in listing and f'data-test="rated-{eid}"' in listing
    with city.app.app_context():
        rows = db.session.scalars(sa.select(Rating).order_by(Rating.id)).all()
        assert [(r.deliverable_version, r.step, r.level) for r in rows] == [
            (1, "return", "basically_satisfied"), (0, "acceptance", "very_satisfied")]
        ids = [r.id for r in rows]
    # the agency replies once to each
    agency = city.agencies[0]
    with timeutil.frozen(START + 7 * DAY):
        for rid in ids:
            path = f"/agency/ratings/{rid}/reply"
            assert submit(city, agency, path, {"reply": "感谢指正。"}, "/agency/ratings"
                          ).status_code == 302
            assert submit(city, agency, path, {"reply": "再次回复"}, "/agency/ratings"
                          ).status_code == 400
    profile = city.app.test_client().get(
        f"/agencies/{city.agency_id(agency)}").get_data(as_text=True)
    assert "退回修改" in profile and profile.count("感谢指正。") == 2


def test_another_owner_cannot_rate_the_return(city: City, person) -> None:
    eid = returned_once(city)
    other = person("owner_admin")
    with timeutil.frozen(START + 4 * DAY):
        assert city.client(other).get(
            f"/owner/engagements/{eid}/returns/1/rating").status_code == 404
        assert submit(city, other, f"/owner/engagements/{eid}/returns/1/rating", GOOD,
                      "/owner/ratings").status_code == 404
    assert _count(city) == 0


def test_a_poor_rating_of_a_return_opens_a_correction(city: City) -> None:
    eid = returned_once(city)
    with timeutil.frozen(START + 4 * DAY):
        assert submit(city, city.owner, f"/owner/engagements/{eid}/returns/1/rating",
                      {**GOOD, "level": "dissatisfied"}).status_code == 302
    with city.app.app_context():
        correction = db.session.scalar(sa.select(Correction))
        assert correction is not None and correction.rating.deliverable_version == 1
