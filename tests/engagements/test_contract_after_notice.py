"""The contract and its clock start only once the result notice (中选公示) has ended with no
objection pending — not when the agency confirms, which it does inside the notice."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.clocks.models import Clock, ClockEntry
from market.db import db
from market.engagements import operations as ops
from market.engagements.models import Engagement
from market.selection import procedures
from market.selection.award import publicity_end
from market.selection.models import Award, Objection
from tests.engagements.conftest import make_award
from tests.selection.conftest import START, City

HOUR = timedelta(hours=1)


def _engagement(award_id: int) -> Engagement | None:
    return db.session.scalar(sa.select(Engagement).where(Engagement.award_id == award_id))


def _signing_start(eng: Engagement) -> object:
    clock = db.session.scalar(sa.select(Clock).where(Clock.engagement_id == eng.id,
                                                     Clock.kind == "signing"))
    return db.session.scalar(sa.select(ClockEntry.at).where(ClockEntry.clock_id == clock.id)
                             .order_by(ClockEntry.id).limit(1))


def test_confirmed_during_the_notice_the_contract_waits_for_its_end(city: City) -> None:
    award_id = make_award(city.app, city, offered_at=START, at=START + HOUR)
    with city.app.app_context():
        award = db.session.get(Award, award_id)
        ends = publicity_end(award)
        assert ends > START + HOUR  # confirmed inside the notice
        with timeutil.frozen(ends - timedelta(seconds=1)):
            assert ops.sync_from_awards() == 0
            assert _engagement(award_id) is None
        with timeutil.frozen(ends):
            assert ops.sync_from_awards() == 1
            eng = _engagement(award_id)
            assert eng is not None
            assert _signing_start(eng) == ends  # the signing clock starts at the notice's end


def test_a_pending_objection_holds_the_contract_until_it_is_decided(city: City) -> None:
    award_id = make_award(city.app, city, offered_at=START, at=START + HOUR)
    with city.app.app_context():
        award = db.session.get(Award, award_id)
        ends = publicity_end(award)
        objector = city.agencies[1]
        objection = Objection(request_id=award.request_id, award_id=award.id,
                              agency_org_id=objector.org_id, by_id=objector.user_id,
                              text="中选机构的执业人员不符合要求", filed_at=START + 2 * HOUR,
                              state="pending")
        db.session.add(objection)
        db.session.commit()
        with timeutil.frozen(ends + timedelta(days=2)):
            assert ops.sync_from_awards() == 0  # the notice is over, the objection is not
        decided = ends + timedelta(days=3)
        regulator = db.session.get(User, city.regulator.user_id)
        with timeutil.frozen(decided):
            procedures.decide_objection(objection, regulator, False, "经核查，执业人员符合要求")
            assert ops.sync_from_awards() == 1
            eng = _engagement(award_id)
            assert eng is not None and _signing_start(eng) == decided
