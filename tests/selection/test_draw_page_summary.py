"""The draw page reads the stored summaries of the pool and the record, never the whole record,
and shows exactly what the row holds on the next request after any change."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask

from lottery.events import record_hash
from market import timeutil
from market.db import db
from market.selection.models import SUMMARY_ROWS, Lottery
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.page_cache import statements
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up


def _drawn(city: City) -> str:
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies[:4]:
            assert _sign_up(city, a, req.public_id) == 302
    with city.app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        city.app.test_client().get(f"/lotteries/{lottery_id}")
        for who, value in ((city.delegate, "20260302"), (city.regulator, "88112233")):
            c = city.client(who)
            assert c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": value, "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")},
            ).status_code == 302
    with timeutil.frozen(external_at + timedelta(minutes=30)):
        for who in (city.operator, city.regulator):
            c = city.client(who)
            assert c.post(f"/lotteries/{lottery_id}/external", data={
                "value": "03 07 12 19 25 31 + 09", "official_date": "2026-03-10",
                "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")}).status_code == 302
    return lottery_id


def _shown(app: Flask, lottery_id: str, query: str = "") -> dict[str, Any]:
    page = app.test_client().get(f"/lotteries/{lottery_id}{query}").get_data(as_text=True)
    rows = re.findall(r'<tr class="(match)?"><td>\d+</td><td><code>([^<]+)</code>.*?'
                      r'<code class="hash">([0-9a-f]{64})</code>', page)
    return {
        "winners": re.findall(r'data-test="winner">([^<]+)<', page),
        "ranking": [[a, t] for _m, a, t in rows], "k": sum(1 for m, _a, _t in rows if m),
        "hash": re.search(r'data-test="record-hash">([0-9a-f]{64})<', page).group(1),
        "pool": re.findall(r"<code>([^<]+)</code>",
                           page.split("冻结名单</h2>", 1)[1].split("</p>", 1)[0]),
    }


def _expected(record: dict[str, Any], pool: list[str]) -> dict[str, Any]:
    return {"winners": record["winners"], "k": record["k"], "hash": record_hash(record).hex(),
            "ranking": [[a, record["tickets"][a]] for a in record["ranking"][:SUMMARY_ROWS]],
            "pool": pool[:SUMMARY_ROWS]}


def test_the_draw_page_shows_the_record_without_reading_it(city: City) -> None:
    app = city.app
    lottery_id = _drawn(city)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
        expected = _expected(lottery.record, lottery.pool)
    assert _shown(app, lottery_id) == expected
    assert _shown(app, lottery_id, "?all=1") == expected  # fewer than 50: the same rows

    with statements(app) as seen:
        assert app.test_client().get(f"/lotteries/{lottery_id}").status_code == 200
    read = [s for s in seen if re.search(r"lottery\.(record|pool)\b", s)]
    assert seen and not read, read


def test_a_changed_record_or_pool_shows_on_the_next_request(city: City) -> None:
    """The summaries are written with the record and the pool, in the same transaction."""
    app = city.app
    lottery_id = _drawn(city)
    before = _shown(app, lottery_id)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
        record = dict(lottery.record)
        ranking = list(reversed(record["ranking"]))
        record.update(ranking=ranking, winners=ranking[:record["k"]])
        lottery.record = record
        lottery.pool = list(reversed(lottery.pool))
        db.session.commit()
        expected = _expected(record, lottery.pool)
    after = _shown(app, lottery_id)
    assert after == expected and after != before
    assert _shown(app, lottery_id, "?all=1") == expected
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery).where(Lottery.lottery_id == lottery_id))
        lottery.record = None
        db.session.commit()
    page = app.test_client().get(f"/lotteries/{lottery_id}").get_data(as_text=True)
    assert 'data-test="result"' not in page
