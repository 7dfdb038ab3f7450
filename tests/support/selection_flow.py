"""Selection scenarios through the pages, shared by the test modules: the owner's project and a
published request, agencies signing up and bidding, a lottery taken to its draw, an objection.
They act on the selection tests' small city (tests/selection/conftest.py)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from html import unescape
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.models import Membership
from market.catalogue.models import ServiceType
from market.db import db
from market.selection.models import Award, Lottery, Objection, Project, SelectionRequest
from tests.conftest import Person, csrf_token
from tests.engagements.conftest import make_award
from tests.selection.conftest import START, City, enter_external


def project(city: City, code: str = "000123") -> int:
    """The owner's project whose code ends in ``code`` (registered on first use: one code is
    one project)."""
    full = f"2026-539901-47-01-{code}"
    with city.app.app_context():
        found = db.session.scalar(sa.select(Project.id).where(Project.code == full))
    if found is not None:
        return found
    name = "东城区第三小学改扩建" if code == "000123" else f"东城区第{code}号工程"
    c = city.client(city.owner)
    r = c.post("/owner/projects", data={
        "name": name, "code": full, "fund_source": "fiscal",
        "investment": "8600", "location": "云川市东城区", "csrf_token": csrf_token(c, "/owner/projects")})
    assert r.status_code == 302, r.get_data(as_text=True)
    with city.app.app_context():
        return db.session.scalar(sa.select(Project.id).where(Project.code == full))


def assign_to_delegate(city: City, project_id: int) -> None:
    """The owner's administrator assigns the project to the city's delegate on the project's
    page, as the product asks before a delegate (采购受托人) may see or act on a project it
    did not register itself (market.accounts.scope.Reach)."""
    with city.app.app_context():
        public_id = db.session.scalar(sa.select(Project.public_id).where(Project.id == project_id))
        membership = db.session.scalar(sa.select(Membership.id).where(
            Membership.user_id == city.delegate.user_id,
            Membership.organisation_id == city.delegate.org_id))
    c = city.client(city.owner)
    r = c.post(f"/owner/projects/{public_id}/delegates", data={
        "delegates": [str(membership)],
        "csrf_token": csrf_token(c, f"/owner/projects/{public_id}")})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]


def request_form(city: City, project_id: int, **overrides: str) -> dict[str, Any]:
    """The new-request form of a lottery for ``project_id``, filled in (``overrides`` on top)."""
    with city.app.app_context():
        from market.accounts.models import User
        delegate = db.session.scalar(sa.select(User.id).where(User.email == city.delegate.email))
        regulator = db.session.scalar(sa.select(User.id).where(User.email == city.regulator.email))
    closes = (START + timedelta(days=7)).astimezone(timeutil.SHANGHAI).strftime("%Y-%m-%dT%H:%M")
    data = {"project_id": str(project_id), "service_code": "EIA", "title": "第三小学改扩建环评",
            "scope": "编制环境影响报告表", "qualification_type": "", "qualification_level": "",
            "practitioners": "", "price_kind": "fixed", "price": "30000", "cap": "", "floor": "",
            "service_days": "20", "signing_days": "5", "method": "lottery",
            "signup_closes_at": closes, "external_kind": "ssq",
            "avoid": "", "witnesses": [str(delegate), str(regulator)]}
    data.update(overrides)
    return data


def publish(city: City, code: str = "000123", **overrides: str) -> SelectionRequest:
    """The owner registers the project ending in ``code`` (first time), drafts a lottery
    request for it (the form's defaults, ``overrides`` on top) and publishes it; the open
    request."""
    c = city.client(city.owner)
    project_id = project(city, code)
    data = request_form(city, project_id, **overrides)
    data["csrf_token"] = csrf_token(c, "/owner/requests/new")
    r = c.post("/owner/requests/new", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[-3000:]
    public_id = r.headers["Location"].rsplit("/", 1)[1]
    r = c.post(f"/owner/requests/{public_id}/publish",
               data={"csrf_token": csrf_token(c, f"/owner/requests/{public_id}")})
    assert r.status_code == 302
    with city.app.app_context():
        req = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == public_id))
        assert req.state == "open"
        return req


def sign_up(city: City, who: Person, public_id: str) -> int:
    """The agency ``who`` signs up for the request; the answer's status."""
    c = city.client(who)
    return c.post(f"/agency/requests/{public_id}/signup",
                  data={"csrf_token": csrf_token(c, "/agency/requests")}).status_code


# a sealed-bid request's fields, on top of request_form()'s
SEALED = {"method": "sealed_bid", "price_kind": "cap", "price": "", "cap": "40000",
          "floor": "20000"}


def bid(city: City, who: Person, public_id: str, amount: str, expect: int = 302) -> str:
    """The agency ``who`` submits a sealed quote; the receipt page it is sent to, or with
    ``expect=400`` the open requests page shown again with the refusal."""
    c = city.client(who)
    r = c.post(f"/agency/requests/{public_id}/bid",
               data={"amount": amount, "csrf_token": csrf_token(c, "/agency/requests")})
    assert r.status_code == expect
    if expect != 302:
        return r.get_data(as_text=True)
    return c.get(r.headers["Location"]).get_data(as_text=True)


def witness_and_draw(city: City, lottery_id: str, external_at: datetime) -> None:
    """Both witnesses give their values before the external draw; the external value is entered
    after it (so the lottery draws)."""
    with timeutil.frozen(external_at - timedelta(hours=1)):
        for who, value in ((city.delegate, "20260309"), (city.regulator, "88112233")):
            c = city.client(who)
            assert c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}
            ).status_code == 302
    with timeutil.frozen(external_at + timedelta(minutes=20)):
        enter_external(city, lottery_id, external_at)


def lottery_to_draw(city: City, tmp_path: Path, **overrides: str) -> tuple[str, str]:
    """A published request, four agencies signed up, closed, witnessed and drawn; (request
    id, lottery id)."""
    app = city.app
    with timeutil.frozen(START):
        req = publish(city, **overrides)
        for a in city.agencies[:4]:
            assert sign_up(city, a, req.public_id) == 302
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        app.test_client().get(f"/notices/{req.public_id}")
    witness_and_draw(city, lottery_id, external_at)
    return req.public_id, lottery_id


def person(city: City, agency_id: str) -> Person:
    """The city's agency with public id ``agency_id``."""
    return next(a for a in city.agencies if city.agency_id(a) == agency_id)


def object_to(city: City, who: Person, rid: str, text: str = "中选机构资质已过期") -> int:
    """``who`` objects to the result notice of request ``rid``; the answer's status."""
    c = city.client(who)
    return c.post(f"/notices/{rid}/objection", data={
        "text": text, "csrf_token": csrf_token(c, f"/notices/{rid}/objection")}).status_code


def pending_objection(city: City, filed: datetime, text: str, *,
                      offered_at: datetime | None = None) -> int:
    """An objection (异议) of the city's second agency to a confirmed award, filed at ``filed``
    and waiting for the regulator; its id.  The award's offer is ``offered_at`` (by default an
    hour before the filing)."""
    award_id = make_award(city.app, city, at=filed,
                          offered_at=filed - timedelta(hours=1) if offered_at is None
                          else offered_at)
    with city.app.app_context():
        award = db.session.get(Award, award_id)
        objector = city.agencies[1]
        row = Objection(request_id=award.request_id, award_id=award.id,
                        agency_org_id=objector.org_id, by_id=objector.user_id,
                        text=text, filed_at=filed, state="pending")
        db.session.add(row)
        db.session.commit()
        return row.id


# the qualification and the practitioners the EIA service type asks for after
# require_qualifications()
QUAL, PRAC = "环境影响评价资质", "环境影响评价工程师"


def open_round(city: City, rid: str, at: datetime) -> None:
    """The city's regulator presents its opening key at ``at`` (after the deadline): the sealed
    round of ``rid`` is opened."""
    from tests.support import opening as opening_keys

    with timeutil.frozen(at):
        city.app.test_client().get(f"/notices/{rid}")  # the deadline passes for the page too
        r = opening_keys.present(city.client(city.regulator), rid, city.regulator_key)
        assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    with city.app.app_context():
        assert db.session.scalar(sa.select(SelectionRequest.opened_at).where(
            SelectionRequest.public_id == rid)) is not None


def require_qualifications(app: Flask) -> None:
    """EIA requires a qualification (QUAL) and practitioners (PRAC or a nuclear-safety engineer);
    a second service type, surveying, with its own."""
    with app.app_context():
        st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "EIA"))
        st.qualification_types = [QUAL]
        st.practitioner_types = [PRAC, "注册核安全工程师"]
        db.session.add(ServiceType(code="SURV", name="测绘", name_en="Surveying",
                                   qualification_types=["测绘资质"],
                                   practitioner_types=["注册测绘师"]))
        db.session.commit()


def field_errors(html: str) -> dict[str, list[str]]:
    """Field id -> the error messages shown next to it (p.error id="<field>-msg")."""
    found: dict[str, list[str]] = {}
    for field_id, text in re.findall(r'<p class="error" id="([^"]+)-msg">([^<]*)</p>', html):
        found.setdefault(field_id, []).append(unescape(text))
    return found
