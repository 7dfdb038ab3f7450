"""The selection tests' small city, plus helpers to reach a drawn lottery and an accepted
engagement."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Award, Lottery, SelectionRequest
from tests.conftest import csrf_token
from tests.selection import conftest as _selection
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up

city = _selection.city  # the selection tests' city fixture
site = _selection.site  # and the city served for the browser tests


def post(city: City, who, path: str, data: dict, form_path: str | None = None):
    c = city.client(who)
    return c.post(path, data={**data, "csrf_token": csrf_token(c, form_path or path)})


def drawn_lottery(city: City) -> str:
    """Publish, sign up four agencies, close, enter entropy and draw; the lottery id."""
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:4]:
            assert _sign_up(city, a, req.public_id) == 302
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.request_id == req.id))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        city.app.test_client().get(f"/lotteries/{lottery_id}")
        for who, value in ((city.delegate, "20260302"), (city.regulator, "88112233")):
            r = post(city, who, f"/lotteries/{lottery_id}/witness", {"value": value},
                     f"/lotteries/{lottery_id}")
            assert r.status_code == 302
    with timeutil.frozen(external_at + timedelta(minutes=30)):
        _selection.enter_external(city, lottery_id, external_at)
    return lottery_id


def accepted_engagement(city: City, agency_index: int = 0, state: str = "accepted") -> str:
    """An engagement of ``city.agencies[agency_index]`` by the owner, written directly (the
    engagement pages are not what these tests are about); its public id."""
    from market.engagements.models import Engagement

    with timeutil.frozen(START):
        req = _publish(city)
    agency = city.agencies[agency_index]
    with city.app.app_context():
        r = db.session.get(SelectionRequest, req.id)
        award = Award(request_id=r.id, agency_org_id=agency.org_id, rank=0, fee_fen=30_000_00,
                      service_days=20, state="confirmed", offered_at=START)
        db.session.add(award)
        db.session.flush()
        eng = Engagement(public_id=f"EG-{award.id:06d}", award_id=award.id, request_id=r.id,
                         project_id=r.project_id, service_type_id=r.service_type_id,
                         owner_org_id=r.owner_org_id, agency_org_id=agency.org_id,
                         fee_fen=30_000_00, service_days=20, state=state, created_at=START,
                         signing_due=date(2026, 3, 9),
                         accepted_at=START if state == "accepted" else None,
                         days_used=18 if state == "accepted" else None,
                         on_time=True if state == "accepted" else None)
        db.session.add(eng)
        db.session.commit()
        return eng.public_id
