"""The operator's list of ratings and the correction lists (operator's and agency's) come a
page at a time: every rating, however old, can be reached and hidden from the list, and every
correction followed up; pages past the end are empty, a page that is not a number is the
first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from market import timeutil
from market.evaluation import operations as ops
from tests.conftest import csrf_token
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City

SCORES = {"quality": "2", "timeliness": "1", "attitude": "3", "fees": "3", "integrity": "3"}


def _rated(city: City, n: int) -> list[str]:
    """``n`` engagements rated 不满意 a day apart (each opens a correction), oldest first."""
    out = []
    for i in range(n):
        eng = accepted_engagement(city, 0)
        with timeutil.frozen(START + timedelta(days=1 + i)):
            c = city.client(city.owner)
            path = f"/owner/engagements/{eng}/rating"
            assert c.post(path, data={"csrf_token": csrf_token(c, path), **SCORES,
                                      "level": "dissatisfied",
                                      "comment": f"第{i}次返工。"}).status_code == 302
        out.append(eng)
    return out


def _engagements(client: FlaskClient, url: str) -> list[str]:
    r = client.get(url)
    assert r.status_code == 200, url
    return re.findall(r"<code>(EG-\d+)</code>", r.get_data(as_text=True))


def test_the_lists_come_a_page_at_a_time(city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ops, "PER_PAGE", 2)
    first, second, third = _rated(city, 3)
    operator = city.client(city.operator)
    with timeutil.frozen(START + timedelta(days=5)):
        assert _engagements(operator, "/operator/ratings") == [third, second]  # newest first
        page = operator.get("/operator/ratings").get_data(as_text=True)
        assert 'href="/operator/ratings?page=2"' in page and "第 1 / 2 页" in page
        assert _engagements(operator, "/operator/ratings?page=2") == [first]
        oldest = operator.get("/operator/ratings?page=2").get_data(as_text=True)
        assert 'data-test="hide-' in oldest  # the oldest can be hidden from the list
        assert _engagements(operator, "/operator/ratings?page=x") == [third, second]
        assert _engagements(operator, "/operator/ratings?page=9") == []
        # corrections: the earliest due first, on both sides
        assert _engagements(operator, "/operator/corrections") == [first, second]
        assert _engagements(operator, "/operator/corrections?page=2") == [third]
        agency = city.client(city.agencies[0])
        assert _engagements(agency, "/agency/corrections") == [first, second]
        assert _engagements(agency, "/agency/corrections?page=2") == [third]
        assert "第 2 / 2 页" in agency.get("/agency/corrections?page=2").get_data(as_text=True)
