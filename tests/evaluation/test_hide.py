"""The operator hides a rating only with a reason that is published in its place; the agency's
profile shows the five-level counts and the satisfied share of what is not hidden."""

from __future__ import annotations

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.evaluation.models import Correction, Rating
from tests.conftest import Person, create_person
from tests.evaluation.conftest import DAY, GOOD, accept, returned_once, submit
from tests.selection.conftest import START, City

RUDE = "这家机构的负责人张三手机 13800000000，骗子！"


def _profile(city: City) -> str:
    return city.app.test_client().get(
        f"/agencies/{city.agency_id(city.agencies[0])}").get_data(as_text=True)


def _two_ratings(city: City) -> list[int]:
    eid = returned_once(city)
    with timeutil.frozen(START + 4 * DAY):
        assert submit(city, city.owner, f"/owner/engagements/{eid}/returns/1/rating",
                      {**GOOD, "level": "very_dissatisfied", "comment": RUDE}).status_code == 302
    accept(city, eid)
    with timeutil.frozen(START + 6 * DAY):
        assert submit(city, city.owner, f"/owner/engagements/{eid}/rating",
                      {**GOOD, "level": "satisfied"}).status_code == 302
    with city.app.app_context():
        return [r.id for r in db.session.scalars(sa.select(Rating).order_by(Rating.id))]


def test_profile_counts_levels_and_the_satisfied_share(city: City) -> None:
    _two_ratings(city)
    page = _profile(city)
    assert 'data-test="level-very_dissatisfied">1<' in page
    assert 'data-test="level-satisfied">1<' in page
    assert 'data-test="level-very_satisfied">0<' in page
    assert 'data-test="satisfied-share">50.0%<' in page


def test_hiding_needs_a_published_reason_and_the_text_disappears(city: City) -> None:
    rude, _fine = _two_ratings(city)
    path = f"/operator/ratings/{rude}/hide"
    op = city.operator
    with timeutil.frozen(START + 7 * DAY):
        assert city.client(op).get("/operator/ratings").status_code == 200
        for reason in ("", "不当"):  # missing, too short
            r = submit(city, op, path, {"reason": reason})
            assert r.status_code == 400 and 'class="error"' in r.get_data(as_text=True)
        with city.app.app_context():
            assert db.session.get(Rating, rude).hidden_at is None
        # not the agency, not the owner
        assert city.client(city.agencies[0]).get(path).status_code == 403
        assert city.client(city.owner).get(path).status_code == 403
        reason = "评价中公开了他人的手机号码，属于个人信息"
        assert submit(city, op, path, {"reason": reason}).status_code == 302
        again = submit(city, op, path, {"reason": reason + "，再次屏蔽"})
        assert again.status_code == 400 and "已经屏蔽" in again.get_data(as_text=True)
        # the agency cannot reply to a hidden rating
        r = submit(city, city.agencies[0], f"/agency/ratings/{rude}/reply",
                   {"reply": "我们要回应"}, "/agency/ratings")
        assert r.status_code == 400 and "已被屏蔽" in r.get_data(as_text=True)
    page = _profile(city)
    assert RUDE not in page and "13800000000" not in page
    assert reason in page and 'data-test="rating-hidden"' in page
    assert "2026-03-09" in page  # the date it was hidden, Beijing time
    # the hidden rating no longer counts
    assert 'data-test="level-very_dissatisfied">0<' in page
    assert 'data-test="satisfied-share">100.0%<' in page
    with city.app.app_context():
        row = db.session.get(Rating, rude)
        assert row.hidden_reason == reason and row.comment == RUDE  # kept, not shown
        event = db.session.scalar(sa.select(AuditEvent).where(
            AuditEvent.tag == "operator:rating:hide"))
        assert event is not None and event.target == str(rude)


def _other_operator(city: City) -> Person:
    """The operator of another tenant (another city of the province)."""
    from market.accounts import operations as ops
    from market.accounts import tenants
    from market.accounts.models import OrgKind, Role

    with city.app.app_context():
        other = tenants.add("539700", "云峰市", tenant=True)
        org = ops.create_organisation(OrgKind.OPERATOR, "云峰市运营", tenant_id=other.id)
        db.session.commit()
        org_id = org.id
    return create_person(city.app, Role.OPERATOR, org_id=org_id)


def test_another_tenants_operator_neither_lists_nor_hides_nor_follows_up(city: City) -> None:
    """Ratings and their corrections are the operator's of the tenant whose request was rated."""
    rude, fine = _two_ratings(city)
    elsewhere = _other_operator(city)
    with city.app.app_context():
        correction = db.session.scalars(sa.select(Correction.public_id)).one()
    with timeutil.frozen(START + 7 * DAY):
        ours = city.client(city.operator).get("/operator/ratings").get_data(as_text=True)
        theirs = city.client(elsewhere).get("/operator/ratings").get_data(as_text=True)
        assert f"/operator/ratings/{rude}/hide" in ours
        assert f"/operator/ratings/{rude}/hide" not in theirs
        assert city.client(elsewhere).get(f"/operator/ratings/{rude}/hide").status_code == 404
        r = submit(city, elsewhere, f"/operator/ratings/{rude}/hide",
                   {"reason": "评价中公开了他人的手机号码，属于个人信息"}, "/operator/ratings")
        assert r.status_code == 404
        assert correction in city.client(city.operator).get("/operator/corrections").get_data(
            as_text=True)
        assert correction not in city.client(elsewhere).get("/operator/corrections").get_data(
            as_text=True)
        assert city.client(elsewhere).get(f"/operator/corrections/{correction}").status_code == 404
        assert city.client(city.operator).get(
            f"/operator/corrections/{correction}").status_code == 200
    with city.app.app_context():
        assert db.session.get(Rating, rude).hidden_at is None
        assert db.session.get(Rating, fine).hidden_at is None
