"""The cached request notice and agency profile (market.pagecache) never show what is no longer
true: a write committed by another process, and a deadline passing with no write at all, are
both visible on the next request."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from market.selection import award as award_ops
from market.selection import procedures
from market.selection.models import Award, Lottery, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.page_cache import badge, get, second_instance, statements, without_tokens
from tests.support.selection_flow import lottery_to_draw, person, publish, sign_up


@pytest.fixture
def other(city: City, tmp_path: Path) -> Iterator[Flask]:
    with second_instance(city.app, tmp_path / "other") as app:
        yield app


def _registrants(page: str) -> int:
    found = re.search(r"有效报名</dt><dd>(\d+)</dd>", page)
    assert found, page
    return int(found.group(1))


def _score(page: str) -> int:
    found = re.search(r'data-test="credit-score">(\d+)<', page)
    assert found
    return int(found.group(1))


def test_the_notice_is_served_from_the_cache_while_nothing_changes(city: City) -> None:
    with timeutil.frozen(START):
        req = publish(city)
        path = f"/notices/{req.public_id}"
        first = get(city.app, path)
        with statements(city.app) as seen:
            again = get(city.app, path)
        assert without_tokens(again) == without_tokens(first)
        assert len(seen) == 1, seen  # the generations, read in one statement; no rendering


def test_a_sign_up_in_another_process_shows_on_the_next_request(city: City, other: Flask
                                                                 ) -> None:
    with timeutil.frozen(START):
        req = publish(city)
        path = f"/notices/{req.public_id}"
        assert _registrants(get(city.app, path)) == 0
        assert _registrants(get(other, path)) == 0  # both processes hold it
        assert sign_up(city, city.agencies[0], req.public_id) == 302
        assert _registrants(get(other, path)) == 1
        assert _registrants(get(city.app, path)) == 1
        assert sign_up(city, city.agencies[1], req.public_id) == 302
        assert _registrants(get(other, path)) == 2


def test_the_close_shows_on_the_first_request_after_it_without_any_write(city: City) -> None:
    with timeutil.frozen(START):
        req = publish(city)
        for a in city.agencies[:4]:
            assert sign_up(city, a, req.public_id) == 302
        path = f"/notices/{req.public_id}"
        assert badge(get(city.app, path)) == "open"
    with timeutil.frozen(req.signup_closes_at - timedelta(seconds=1)):
        assert badge(get(city.app, path)) == "open"  # served from the cache
    with timeutil.frozen(req.signup_closes_at):
        assert badge(get(city.app, path)) == "closed"
        with city.app.app_context():  # next: a witness missing at the external draw voids it
            closed = db.session.get(SelectionRequest, req.id)
            lottery = db.session.scalar(sa.select(Lottery))
            assert lottery.state == "frozen"
            assert procedures.settled_until(closed) == lottery.external_at


def test_an_award_lapses_on_the_notice_and_the_profile_the_minute_it_is_due(
        city: City, tmp_path: Path) -> None:
    rid, _lottery_id = lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        award = db.session.get(Award, 1)
        due, agency = award_ops.confirm_by(award), award.agency.public_id
    notice, profile = f"/notices/{rid}", f"/agencies/{agency}"
    with timeutil.frozen(due - timedelta(minutes=1)):
        page = get(city.app, notice)
        assert "待确认" in page and "逾期未确认" not in page
        score = _score(get(city.app, profile))
    with timeutil.frozen(due + timedelta(seconds=1)):
        page = get(city.app, notice)  # the first view after the deadline applies the timeout
        assert "逾期未确认" in page
        assert _score(get(city.app, profile)) < score  # a lapsed award counts against it


def test_a_decline_in_another_process_shows_on_the_notice_and_the_profile(
        city: City, other: Flask, tmp_path: Path) -> None:
    rid, _lottery_id = lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        winner_id, drawn_at = lottery.record["ranking"][0], lottery.drawn_at
    notice, profile = f"/notices/{rid}", f"/agencies/{winner_id}"
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        assert "已放弃" not in get(other, notice)
        score = _score(get(other, profile))
        assert _score(get(other, profile)) == score  # now from the cache
        c = city.client(person(city, winner_id))
        assert c.post("/agency/awards/1/decline", data={
            "reason": "项目负责人调离", "csrf_token": csrf_token(c, "/agency/awards")}
        ).status_code == 302
        assert "已放弃" in get(other, notice)
        assert _score(get(other, profile)) < score


def test_a_cached_notice_is_never_shown_to_someone_logged_in(city: City) -> None:
    with timeutil.frozen(START):
        req = publish(city)
        path = f"/notices/{req.public_id}"
        anonymous = get(city.app, path)
        assert get(city.app, path) and "退出" not in anonymous  # warm
        page = city.client(city.agencies[0]).get(path).get_data(as_text=True)
        assert "退出" in page  # their own header, rendered for them
        # The cached copy's token works for the next anonymous visitor's own form.
        visitor = city.app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          visitor.get(path).get_data(as_text=True))
        assert token
        assert visitor.post("/language", data={"csrf_token": token.group(1), "lang": "en",
                                               "next": path}).status_code == 302
        assert '<html lang="en"' in visitor.get(path).get_data(as_text=True)
