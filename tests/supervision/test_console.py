"""The regulator's console of electronic supervision lists the ladder per responsible party —
each organisation (or a department known only by name) on its own, the party whose oldest late
matter was raised first at the top, its matters oldest first — a page at a time, with each
party's whole list on its own paged view; a party that does not exist is a 404."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts.models import Organisation, RegulatorKind
from market.db import db
from market.supervision import views
from market.supervision.models import EscalationStep
from tests.selection.conftest import START, City, build_city


def _step(n: int, org: Organisation | None, kind: str, days: int, step: str = "warning",
          name: str = "") -> EscalationStep:
    return EscalationStep(
        subject_kind="service", subject_id=f"EG-C{n:04d}", subject_link=f"/engagements/EG-C{n:04d}",
        subject_title=f"事项{n}", due_date=date(2026, 3, 2), step=step, party_kind=kind,
        party_org_id=org.id if org else None, party_name=org.name if org else name,
        late_days=1, raised_at=START + timedelta(days=days), told=[])


def _ids(html: str, test: str = "ladder-party") -> list[list[str]]:
    """Per party section, the subject ids in the order shown."""
    return [re.findall(r"<code>(EG-C\d{4})</code>", part)
            for part in html.split(f'data-test="{test}"')[1:]]


def _as_province(city: City) -> FlaskClient:
    """The city's regulator made the province's (省级监管), which reads every tenant's ladder:
    these steps name made-up matters, which no city's scope covers (the scope's filter has its
    own cases in tests/proof/test_authorization.py)."""
    with city.app.app_context():
        org = db.session.get(Organisation, city.regulator.org_id)
        org.regulator_kind = RegulatorKind.PROVINCE.value
        db.session.commit()
    return city.client(city.regulator)


def _get(client: FlaskClient, url: str) -> str:
    r = client.get(url)
    assert r.status_code == 200, url
    return r.get_data(as_text=True)


def test_the_console_shows_each_party_oldest_first(any_app: Flask) -> None:
    city = build_city(any_app)  # the grouping and ranking are SQL: both databases
    with city.app.app_context():
        a, b = (db.session.get(Organisation, p.org_id) for p in city.agencies[:2])
        db.session.add_all([
            _step(1, a, "agency", 5), _step(2, a, "agency", 2), _step(2, a, "agency", 6, "yellow"),
            _step(3, b, "agency", 1),
            _step(4, None, "department", 3, name="云川市生态环境局"),
        ])
        db.session.commit()
        a_name, a_id, b_name = a.name, a.public_id, b.name
    regulator = _as_province(city)
    html = _get(regulator, "/regulator/supervision")
    # b's only matter was raised first; then a (its oldest, EG-C0002, before EG-C0001); then
    # the department without an organisation of its own, a party of its own
    assert _ids(html) == [["EG-C0003"], ["EG-C0002", "EG-C0001"], ["EG-C0004"]]
    parts = html.split('data-test="ladder-party"')[1:]
    assert b_name in parts[0] and a_name in parts[1] and a_id in parts[1]
    assert "云川市生态环境局" in parts[2]
    assert parts[1].count('data-test="step-yellow"') == 1  # EG-C0002's two steps, one row
    assert 'data-test="pager-page"' not in html  # one page: no pager


def test_a_long_ladder_comes_a_page_at_a_time(city: City) -> None:
    per_page, each = views.PARTIES_PER_PAGE, views.MATTERS_EACH
    with city.app.app_context():
        first = db.session.get(Organisation, city.agencies[0].org_id)
        rows = [_step(n, first, "agency", n) for n in range(1, each + 3)]  # each + 2 matters
        # more departments than a page holds, all raised after the agency's first matter
        rows += [_step(100 + n, None, "department", 50 + n, name=f"第{n:02d}审批局")
                 for n in range(per_page + 1)]
        db.session.add_all(rows)
        db.session.commit()
        key = f"agency:{first.public_id}"
    regulator = _as_province(city)
    html = _get(regulator, "/regulator/supervision")
    shown = _ids(html)
    assert len(shown) == per_page
    assert shown[0] == [f"EG-C{n:04d}" for n in range(1, each + 1)]  # its oldest few
    assert 'data-test="party-all"' in html and f"全部 {each + 2} 项" in html
    assert 'data-test="next-page"' in html
    second = _get(regulator, "/regulator/supervision?page=2")
    assert _ids(second) == [["EG-C0109"], ["EG-C0110"]]  # the two youngest departments
    assert "第 2 / 2 页" in second
    one = _get(regulator, "/regulator/supervision?" + f"party={key}")
    assert _ids(one, "party-ladder") == [[f"EG-C{n:04d}" for n in range(1, each + 3)]]
    # bad input: a party nobody knows is a 404; a page that is not a number is the first;
    # one past the end is empty, not an error
    assert regulator.get("/regulator/supervision?party=agency:ORG-NONE").status_code == 404
    assert regulator.get("/regulator/supervision?party=").status_code == 404
    assert _ids(_get(regulator, "/regulator/supervision?page=x")) == shown
    past = _get(regulator, "/regulator/supervision?page=99")
    assert _ids(past) == [] and 'data-test="ladder-empty"' in past
    assert city.client(city.agencies[0]).get(
        "/regulator/supervision?" + f"party={key}").status_code == 403


def test_a_partys_own_view_is_paged(city: City) -> None:
    per_page = views.MATTERS_PER_PAGE
    with city.app.app_context():
        first = db.session.get(Organisation, city.agencies[0].org_id)
        db.session.add_all([_step(n, first, "agency", n) for n in range(1, per_page + 4)])
        db.session.commit()
        key = f"agency:{first.public_id}"
    regulator = _as_province(city)
    page_one = _get(regulator, f"/regulator/supervision?party={key}")
    assert _ids(page_one, "party-ladder")[0] == [f"EG-C{n:04d}" for n in range(1, per_page + 1)]
    assert f"共 {per_page + 3} 项超期事项" in page_one
    page_two = _get(regulator, f"/regulator/supervision?party={key}&page=2")
    assert _ids(page_two, "party-ladder")[0] == [
        f"EG-C{n:04d}" for n in range(per_page + 1, per_page + 4)]
    with city.app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(EscalationStep.id))) == per_page + 3
