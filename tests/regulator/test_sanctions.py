"""Sanctions: issued by a regulator, block sign-up while active, public on the profile."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from market import timeutil
from market.accounts.audit import AuditEvent
from market.credit.models import Sanction
from market.db import db
from market.selection.models import SelectionRequest, SignUp
from tests.regulator.conftest import post
from tests.selection.conftest import START, City
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up


def _sanction(city: City, agency_index: int, kind: str, start: str, end: str,
              reason: str = "出具虚假报告", basis: str = "《云川市中介服务管理办法》第二十条"):
    return post(city, city.regulator, "/regulator/sanctions/new", {
        "agency": city.agency_id(city.agencies[agency_index]), "kind": kind, "reason": reason,
        "legal_basis": basis, "starts_on": start, "ends_on": end, "action": "confirm"})


def test_a_suspension_blocks_sign_up_and_shows_on_the_profile(city: City) -> None:
    with timeutil.frozen(START):
        assert _sanction(city, 0, "suspension", "2026-03-01", "2026-06-30").status_code == 302
        assert _sanction(city, 1, "warning", "2026-03-01", "2026-06-30").status_code == 302
        assert _sanction(city, 2, "blacklist", "2025-01-01", "2025-12-31").status_code == 302
        req = _publish(city)
        for a in city.agencies[:3]:
            _sign_up(city, a, req.public_id)
        page = city.app.test_client().get(
            f"/agencies/{city.agency_id(city.agencies[0])}").get_data(as_text=True)
        assert 'data-test="active-sanction"' in page and "出具虚假报告" in page
        expired = city.app.test_client().get(
            f"/agencies/{city.agency_id(city.agencies[2])}").get_data(as_text=True)
        assert 'data-test="active-sanction"' not in expired and "2025-12-31" in expired
    with city.app.app_context():
        signed = set(db.session.scalars(sa.select(SignUp.agency_org_id)))
        # the suspended agency could not sign up; a warning and an ended blacklisting do not block
        assert city.agencies[0].org_id not in signed
        assert {city.agencies[1].org_id, city.agencies[2].org_id} <= signed
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id)).where(
            AuditEvent.tag == "regulator:sanction:issue")) == 3


def test_a_sanction_ends_and_the_agency_may_sign_up_again(city: City) -> None:
    with timeutil.frozen(START):
        _sanction(city, 0, "suspension", "2026-02-01", "2026-03-01")
        req = _publish(city)
        assert _sign_up(city, city.agencies[0], req.public_id) == 302
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) == 1


def test_a_sanction_after_sign_up_excludes_at_the_close(city: City) -> None:
    """The close checks every registrant's sanctions in bulk (agency_facts_many)."""
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:3]:
            assert _sign_up(city, a, req.public_id) == 302
        assert _sanction(city, 1, "suspension", START.date().isoformat(),
                         "2026-12-31").status_code == 302
        assert _sanction(city, 2, "warning", START.date().isoformat(),
                         "2026-12-31").status_code == 302
    with city.app.app_context():
        closes_at = db.session.scalar(sa.select(SelectionRequest.signup_closes_at))
    with timeutil.frozen(closes_at + timedelta(minutes=1)):
        assert city.app.test_client().get(f"/notices/{req.public_id}").status_code == 200
    with city.app.app_context():
        excluded = {s.agency_org_id: s.exclude_reason for s in db.session.scalars(
            sa.select(SignUp).where(SignUp.excluded_at.is_not(None)))}
    assert list(excluded) == [city.agencies[1].org_id]
    assert "处于监管处罚期内" in (excluded[city.agencies[1].org_id] or "")


def test_bad_sanctions_are_refused_with_a_message_and_nothing_stored(city: City) -> None:
    with timeutil.frozen(START):
        r = _sanction(city, 0, "suspension", "2026-06-30", "2026-03-01")
        assert r.status_code == 400 and "结束日期不能早于开始日期" in r.get_data(as_text=True)
        r = _sanction(city, 0, "suspension", "2026-03-01", "2026-06-30", reason="")
        assert r.status_code == 400 and "请填写此项" in r.get_data(as_text=True)
        r = post(city, city.regulator, "/regulator/sanctions/new", {
            "agency": "AG-NOPE", "kind": "warning", "reason": "x", "legal_basis": "y",
            "starts_on": "2026-03-01", "ends_on": "2026-03-02", "action": "confirm"})
        assert r.status_code == 400 and "没有找到这家中介机构" in r.get_data(as_text=True)
        # an organisation that is not an agency cannot be sanctioned either
        with city.app.app_context():
            from market.accounts.models import Organisation

            owner = db.session.get(Organisation, city.owner.org_id).public_id
        r = post(city, city.regulator, "/regulator/sanctions/new", {
            "agency": owner, "kind": "warning", "reason": "x", "legal_basis": "y",
            "starts_on": "2026-03-01", "ends_on": "2026-03-02", "action": "confirm"})
        assert r.status_code == 400 and "没有找到这家中介机构" in r.get_data(as_text=True)
        for start, end, field in (("1999-12-31", "2026-03-02", "starts_on"),
                                  ("2026-03-01", "2101-01-01", "ends_on")):
            r = _sanction(city, 0, "warning", start, end)
            assert r.status_code == 400
            assert f'id="{field}-msg">日期应在 2000-01-01 至 2100-12-31 之间' in r.get_data(as_text=True)
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Sanction.id))) == 0


def test_only_regulators_issue_sanctions(city: City) -> None:
    with timeutil.frozen(START):
        r = post(city, city.operator, "/regulator/sanctions/new", {}, "/")
        assert r.status_code == 403
