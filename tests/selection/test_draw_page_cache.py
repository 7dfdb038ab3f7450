"""The cached draw page (market.pagecache) never shows what is no longer true: every kind of
change it shows — a sign-up, a withdrawal, the close, a witness's value, the external value's
first entry and the draw, a void, a decline, a lapse, an objection's outcome, an agency's name —
is visible on the next request, whichever app instance wrote it, and so is a deadline passing
with no write at all."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.models import Organisation
from market.db import db
from market.selection import award as award_ops
from market.selection.models import Award, Lottery, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City, city_in, enter_external
from tests.support.page_cache import badge, get, second_instance, statements, without_tokens
from tests.support.selection_flow import lottery_to_draw, person, publish, sign_up


@pytest.fixture
def other(city: City, tmp_path: Path) -> Iterator[Flask]:
    with second_instance(city.app, tmp_path / "other") as app:
        yield app


def _signups(page: str) -> int:
    found = re.search(r"报名记录（(\d+)）", page)
    assert found, page
    return int(found.group(1))


def _open_lottery(city: City, agencies: int = 0) -> tuple[str, str]:
    """A published request with ``agencies`` signed up: (request id, lottery id)."""
    with timeutil.frozen(START):
        req = publish(city)
        for a in city.agencies[:agencies]:
            assert sign_up(city, a, req.public_id) == 302
    with city.app.app_context():
        return req.public_id, db.session.scalar(sa.select(Lottery.lottery_id))


def _lottery(app: Flask) -> Lottery:
    with app.app_context():
        lot: Lottery = db.session.scalar(sa.select(Lottery).order_by(Lottery.id))
        db.session.expunge(lot)
        return lot


def test_the_draw_page_is_served_from_the_cache_while_nothing_changes(city: City) -> None:
    _rid, lottery_id = _open_lottery(city, 2)
    path = f"/lotteries/{lottery_id}"
    with timeutil.frozen(START + timedelta(hours=1)):
        first = get(city.app, path)
        with statements(city.app) as seen:
            again = get(city.app, path)
    assert without_tokens(again) == without_tokens(first)
    assert len(seen) == 1, seen  # the generations, read in one statement; no rendering
    with timeutil.frozen(START + timedelta(hours=1)):
        get(city.app, path + "?all=1")
        with statements(city.app) as seen:
            get(city.app, path + "?all=1")
    assert len(seen) > 1  # "show all" (every row, megabytes at 10^4) is rendered, not kept


def test_sign_ups_and_a_withdrawal_in_another_process_show_on_the_next_request(
        city: City, other: Flask) -> None:
    rid, lottery_id = _open_lottery(city)
    path = f"/lotteries/{lottery_id}"
    with timeutil.frozen(START + timedelta(hours=1)):
        assert _signups(get(city.app, path)) == 0
        assert _signups(get(other, path)) == 0  # both processes hold it
        assert sign_up(city, city.agencies[0], rid) == 302
        assert _signups(get(other, path)) == 1
        assert _signups(get(city.app, path)) == 1
        assert sign_up(city, city.agencies[1], rid) == 302
        assert _signups(get(other, path)) == 2
        assert "已退出" not in get(other, path)
        c = city.client(city.agencies[0])
        assert c.post(f"/agency/requests/{rid}/withdraw", data={
            "reason": "人手不足", "csrf_token": csrf_token(c, "/agency/signups")}
        ).status_code == 302
        assert "已退出" in get(other, path)


@pytest.mark.postgres
def test_a_sign_up_by_another_instance_shows_on_postgresql(pg_app: Flask, tmp_path: Path
                                                            ) -> None:
    city = city_in(pg_app)
    with second_instance(pg_app, tmp_path / "second") as second:
        rid, lottery_id = _open_lottery(city)
        path = f"/lotteries/{lottery_id}"
        with timeutil.frozen(START + timedelta(hours=1)):
            assert _signups(get(second, path)) == 0
            assert _signups(get(second, path)) == 0  # from its cache
            assert sign_up(city, city.agencies[0], rid) == 302
            assert _signups(get(second, path)) == 1


def test_the_close_freezes_the_list_on_the_first_request_after_it_without_any_write(
        city: City) -> None:
    rid, lottery_id = _open_lottery(city, 4)
    path = f"/lotteries/{lottery_id}"
    with city.app.app_context():
        closes = db.session.scalar(sa.select(SelectionRequest.signup_closes_at))
    with timeutil.frozen(closes - timedelta(seconds=1)):
        page = get(city.app, path)
        assert badge(page) == "open" and "报名截止后公布。" in page
        assert badge(get(city.app, path)) == "open"  # served from the cache
    with timeutil.frozen(closes):
        page = get(city.app, path)
        assert badge(page) == "frozen" and "4 家" in page


def test_witness_values_and_the_external_value_show_on_the_next_request(
        city: City, other: Flask) -> None:
    _rid, lottery_id = _open_lottery(city, 4)
    path = f"/lotteries/{lottery_id}"
    external_at = _lottery(city.app).external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        assert badge(get(other, path)) == "frozen"
        assert 'data-test="source-0"' not in get(other, path)
        for n, (who, value) in enumerate(((city.delegate, "20260309"),
                                          (city.regulator, "88112233"))):
            c = city.client(who)
            assert c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}
            ).status_code == 302
            assert f'data-test="source-{n}">{value}<' in get(other, path)
    with timeutil.frozen(external_at + timedelta(minutes=20)):
        page = get(other, path)
        assert 'data-test="external-pending"' not in page and 'data-test="result"' not in page
        enter_external(city, lottery_id, external_at, people=(city.operator,))
        assert 'data-test="external-pending"' in get(other, path)  # the first entry
        enter_external(city, lottery_id, external_at, people=(city.regulator,))
        page = get(other, path)
        assert badge(page) == "drawn" and 'data-test="result"' in page
        assert 'data-test="external-pending"' not in page


def test_a_draw_whose_witnesses_missed_t_is_voided_on_the_first_request_after_t(
        city: City) -> None:
    _rid, lottery_id = _open_lottery(city, 4)
    path = f"/lotteries/{lottery_id}"
    external_at = _lottery(city.app).external_at
    with timeutil.frozen(external_at - timedelta(seconds=1)):
        assert badge(get(city.app, path)) == "frozen"
        assert badge(get(city.app, path)) == "frozen"  # served from the cache
    with timeutil.frozen(external_at):
        page = get(city.app, path)
        assert badge(page) == "void" and "已作废" in page


def _drawn(city: City, tmp_path: Path) -> tuple[str, str, list[str], Any]:
    rid, lottery_id = lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        return rid, lottery_id, list(lot.record["ranking"]), lot.drawn_at


def test_a_decline_in_another_process_shows_the_changed_result(
        city: City, other: Flask, tmp_path: Path) -> None:
    _rid, lottery_id, ranking, drawn_at = _drawn(city, tmp_path)
    path = f"/lotteries/{lottery_id}"
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        assert 'data-test="current-award"' not in get(other, path)
        assert 'data-test="current-award"' not in get(other, path)  # from the cache
        c = city.client(person(city, ranking[0]))
        assert c.post("/agency/awards/1/decline", data={
            "reason": "项目负责人调离", "csrf_token": csrf_token(c, "/agency/awards")}
        ).status_code == 302
        page = get(other, path)
        assert 'data-test="current-award"' in page and "项目负责人调离" in page
        assert ranking[1] in page.split('data-test="current-award"', 1)[1]


def test_an_award_lapses_on_the_draw_page_the_minute_it_is_due(city: City, tmp_path: Path
                                                               ) -> None:
    _rid, lottery_id, _ranking, _drawn_at = _drawn(city, tmp_path)
    path = f"/lotteries/{lottery_id}"
    with city.app.app_context():
        due = award_ops.confirm_by(db.session.get(Award, 1))
    with timeutil.frozen(due - timedelta(minutes=1)):
        assert 'data-test="current-award"' not in get(city.app, path)
        assert 'data-test="current-award"' not in get(city.app, path)  # from the cache
    with timeutil.frozen(due + timedelta(seconds=1)):
        page = get(city.app, path)  # the first view after the deadline applies the timeout
        assert 'data-test="current-award"' in page and "视为放弃" in page


def test_an_upheld_objection_in_another_process_voids_the_draw_on_its_page(
        city: City, other: Flask, tmp_path: Path) -> None:
    rid, lottery_id, ranking, drawn_at = _drawn(city, tmp_path)
    path = f"/lotteries/{lottery_id}"
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        assert badge(get(other, path)) == "drawn"
        c = city.client(person(city, ranking[2]))
        assert c.post(f"/notices/{rid}/objection", data={
            "text": "中选机构资质已过期",
            "csrf_token": csrf_token(c, f"/notices/{rid}/objection")}).status_code == 302
        assert badge(get(other, path)) == "drawn"  # an objection filed changes nothing here
        reg = city.client(city.regulator)
        assert reg.post("/regulator/objections/1", data={
            "decision": "uphold", "reason": "中选机构资质确已过期",
            "csrf_token": csrf_token(reg, "/regulator/objections")}).status_code == 302
        page = get(other, path)
        assert badge(page) == "void" and "已作废" in page


def test_an_agency_renamed_by_another_process_shows_under_its_new_name(
        city: City, other: Flask) -> None:
    _rid, lottery_id = _open_lottery(city, 2)
    path = f"/lotteries/{lottery_id}"
    with timeutil.frozen(START + timedelta(hours=1)):
        assert "改名后的评价公司" not in get(other, path)
        with city.app.app_context():
            org = db.session.get(Organisation, city.agencies[0].org_id)
            org.name = "改名后的评价公司"
            db.session.commit()
        assert "改名后的评价公司" in get(other, path)


def test_a_witness_logged_in_gets_their_own_page_with_the_entry_form(city: City) -> None:
    _rid, lottery_id = _open_lottery(city, 4)
    path = f"/lotteries/{lottery_id}"
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        anonymous = get(city.app, path)
        assert get(city.app, path) and 'data-test="my-witness"' not in anonymous  # cached
        page = city.client(city.delegate).get(path).get_data(as_text=True)
        assert 'data-test="my-witness"' in page and 'data-test="witness-submit"' in page
        # The cached copy's token works for the next anonymous visitor's own form.
        visitor = city.app.test_client()
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                          visitor.get(path).get_data(as_text=True))
        assert token
        assert visitor.post("/language", data={"csrf_token": token.group(1), "lang": "en",
                                               "next": path}).status_code == 302
        assert '<html lang="en"' in visitor.get(path).get_data(as_text=True)
