"""Collusion and rotation (关联关系与轮换) at sign-up: an agency declares a relation on its page;
the related agency that comes second is refused with the reason, the other agencies are not;
a relation learnt after both signed up sets both aside; an agency related to the owner may not
take part; with a rotation limit, an agency the owner selected that often is refused, another
owner's request is not; bad declarations are refused next to their field and write nothing."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation
from market.agencies.models import AgencyRelation
from market.db import db
from market.domain.codes import make_credit_code
from market.domain.eligibility import AgencyFacts, Reason, RequestFacts, ineligibility
from market.selection import eligibility
from market.selection.models import Award, SelectionRequest, SignUp
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish, sign_up

PAGE = "/agency/relations"


def _code(app: Flask, org_id: int) -> str:
    with app.app_context():
        return str(db.session.get(Organisation, org_id).credit_code)


def _declare(city: City, who: int, other_code: str, **fields: str) -> object:
    c = city.client(city.agencies[who])
    return c.post(PAGE, data={"other_credit_code": other_code, "other_name": "",
                              "kind": "legal_representative", "note": "", **fields,
                              "csrf_token": csrf_token(c, PAGE)})


def _reasons(city: City, who: int, req: SelectionRequest) -> list[Reason]:
    with city.app.app_context():
        org = db.session.get(Organisation, city.agencies[who].org_id)
        request = db.session.get(SelectionRequest, req.id)
        return eligibility.reasons(org, request, timeutil.today_local())


def test_the_related_agency_that_comes_second_is_refused(city: City) -> None:
    app = city.app
    assert _declare(city, 0, _code(app, city.agencies[1].org_id)).status_code == 302
    with timeutil.frozen(START):
        req = publish(city)
        assert sign_up(city, city.agencies[1], req.public_id) == 302
        refused = city.client(city.agencies[0]).post(
            f"/agency/requests/{req.public_id}/signup",
            data={"csrf_token": csrf_token(city.client(city.agencies[0]), "/agency/requests")},
            follow_redirects=True)
        assert "与已参与本项目的中介机构存在关联关系" in refused.get_data(as_text=True)
        assert sign_up(city, city.agencies[2], req.public_id) == 302
        assert Reason.RELATED_PARTICIPANT in _reasons(city, 0, req)
        assert _reasons(city, 2, req) == []
    with app.app_context():
        signed = set(db.session.scalars(sa.select(SignUp.agency_org_id)))
    assert signed == {city.agencies[1].org_id, city.agencies[2].org_id}


def test_a_relation_learnt_after_both_signed_up_sets_both_aside(city: City) -> None:
    with timeutil.frozen(START):
        req = publish(city)
        for who in (0, 1, 2):
            assert sign_up(city, city.agencies[who], req.public_id) == 302
    c = city.client(city.operator)
    r = c.post("/operator/relations", data={
        "agency": city.agency_id(city.agencies[0]),
        "other_credit_code": _code(city.app, city.agencies[1].org_id), "other_name": "",
        "kind": "controlling", "note": "工商登记显示同一控股股东",
        "csrf_token": csrf_token(c, "/operator/relations")})
    assert r.status_code == 302, r.get_data(as_text=True)[-1500:]
    with timeutil.frozen(START):
        assert Reason.RELATED_PARTICIPANT in _reasons(city, 0, req)
        assert Reason.RELATED_PARTICIPANT in _reasons(city, 1, req)  # both ways
        assert Reason.RELATED_PARTICIPANT not in _reasons(city, 2, req)


def test_an_agency_related_to_the_owner_may_not_take_part(city: City) -> None:
    owner_code = _code(city.app, city.owner.org_id)
    assert _declare(city, 3, owner_code, kind="parent_subsidiary").status_code == 302
    with timeutil.frozen(START):
        req = publish(city)
        assert Reason.RELATED in _reasons(city, 3, req)
        assert sign_up(city, city.agencies[3], req.public_id) == 302  # refused: redirected back
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(SignUp)) == 0


def test_rotation_refuses_an_agency_the_owner_selected_that_often(city: City) -> None:
    app = city.app
    app.config.update(REPEAT_WIN_LIMIT=1, REPEAT_WIN_DAYS=365)
    with timeutil.frozen(START):
        earlier = publish(city, code="000201")
        with app.app_context():
            db.session.add(Award(request_id=earlier.id, agency_org_id=city.agencies[0].org_id,
                                 rank=0, fee_fen=30_000_00, service_days=20,
                                 state="confirmed", offered_at=timeutil.now(),
                                 decided_at=timeutil.now()))
            db.session.commit()
        req = publish(city, code="000202")
        assert Reason.REPEAT_WINS in _reasons(city, 0, req)
        assert Reason.REPEAT_WINS not in _reasons(city, 1, req)
    with timeutil.frozen(START + timedelta(days=366)):  # the period is over
        assert Reason.REPEAT_WINS not in _reasons(city, 0, req)
    app.config.update(REPEAT_WIN_LIMIT=0)
    with timeutil.frozen(START):
        assert Reason.REPEAT_WINS not in _reasons(city, 0, req)


def test_bad_declarations_are_refused_next_to_the_field(city: City) -> None:
    own = _code(city.app, city.agencies[0].org_id)
    for code, message in (("91539900MA0000000X", "校验位"), (own, "不能与本单位自身建立关联关系。"),
                          (make_credit_code("91539900654321098"), "该单位尚未在平台注册，请填写其名称。")):
        r = _declare(city, 0, code)
        html = r.get_data(as_text=True)
        assert r.status_code == 400 and message in html, code
        assert f'value="{code}"' in html  # what was typed stays
    assert _declare(city, 0, _code(city.app, city.agencies[1].org_id)).status_code == 302
    again = _declare(city, 0, _code(city.app, city.agencies[1].org_id))
    assert again.status_code == 400 and "已登记过" in again.get_data(as_text=True)
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AgencyRelation)) == 1
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.tag == "declared:relation:add")) == 1


_FACTS = dict(service_code="EIA", owner_org_id=1, owner_credit_code=None)


@given(related=st.frozensets(st.integers(2, 20)), taking_part=st.frozensets(st.integers(2, 20)))
def test_related_participant_is_exactly_an_overlap(related: frozenset[int],
                                                   taking_part: frozenset[int]) -> None:
    agency = AgencyFacts(7, "AG-000007", None, True, frozenset({"EIA"}),
                         related_org_ids=related - {7})
    reasons = ineligibility(agency, RequestFacts(**_FACTS, participants=taking_part),
                            START.date())
    assert (Reason.RELATED_PARTICIPANT in reasons) == bool((related - {7}) & (taking_part - {7}))
