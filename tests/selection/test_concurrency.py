"""Many simultaneous requests to enter the last source (double clicks, two tabs, two workers)
give exactly one draw, on SQLite and on PostgreSQL."""

from __future__ import annotations

import http.cookiejar
import threading
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.db import db
from market.selection.models import Lottery
from market.transparency import log
from market.transparency.audit import run_audit
from tests.conftest import PASSWORD, make_app
from tests.selection.conftest import START, build_city, enter_external
from tests.support.live import serve
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up


def _many_draw_requests(app: Flask, n: int = 12) -> None:
    city = build_city(app, agencies=3)
    with timeutil.frozen(START):
        req = _publish(city)
        for a in city.agencies:
            _sign_up(city, a, req.public_id)
    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=2)):
        for who in (city.delegate, city.regulator):
            c = city.client(who)
            from tests.conftest import csrf_token

            c.post(f"/lotteries/{lottery_id}/witness", data={
                "value": "123456", "csrf_token": csrf_token(c, f"/lotteries/{lottery_id}")})
    with timeutil.frozen(external_at + timedelta(minutes=4)):  # the first of two entries
        enter_external(city, lottery_id, external_at, people=(city.operator,))
    app.config["WTF_CSRF_ENABLED"] = False  # plain HTTP clients below; CSRF is tested elsewhere
    statuses: list[int] = []
    official = external_at.astimezone(timeutil.SHANGHAI).date().isoformat()
    with timeutil.frozen(external_at + timedelta(minutes=5)), serve(app) as url:
        def worker(barrier: threading.Barrier) -> None:
            opener = urllib.request.build_opener(
                urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
            opener.open(url + "/login", data=urllib.parse.urlencode(
                {"email": city.regulator.email, "password": PASSWORD}).encode(), timeout=60)
            barrier.wait()
            body = urllib.parse.urlencode({"value": "3 7 12 19 25 31 + 9",
                                           "official_date": official}).encode()
            try:  # the second entry, many times at once
                statuses.append(opener.open(f"{url}/lotteries/{lottery_id}/external",
                                            data=body, timeout=120).status)
            except urllib.error.HTTPError as error:  # refused: already drawn
                error.close()
                statuses.append(error.code)

        barrier = threading.Barrier(n)
        threads = [threading.Thread(target=worker, args=(barrier,)) for _ in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    assert len(statuses) == n  # every request was answered (none crashed)
    assert set(statuses) <= {200, 400} and statuses.count(200) >= 1
    with app.app_context():
        types = [leaf for leaf in log.leaves(0, log.size()) if b'"type":"draw"' in leaf]
        assert len(types) == 1
        entropy = [leaf for leaf in log.leaves(0, log.size()) if b'"public_lottery"' in leaf
                   and b'"type":"entropy"' in leaf]
        assert len(entropy) == 1
        assert db.session.scalar(sa.select(Lottery.state)) == "drawn"
        assert run_audit().ok
        db.session.remove()
        db.engine.dispose()


def test_one_draw_from_many_requests_sqlite(app: Flask) -> None:
    _many_draw_requests(app)


@pytest.mark.postgres
def test_one_draw_from_many_requests_postgresql(tmp_path: Path, pg_url: str) -> None:
    _many_draw_requests(make_app(tmp_path, pg_url))
