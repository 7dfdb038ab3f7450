"""A refused sealed quote (密封报价) is shown again on the open requests page: 400, the problem
next to that request's quote box, what was typed kept, nothing stored."""

from __future__ import annotations

import re

import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Bid
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import publish as _publish


def _bids(city: City) -> int:
    with city.app.app_context():
        return db.session.scalar(sa.select(sa.func.count(Bid.id))) or 0


def test_a_refused_quote_stays_next_to_its_box(city: City) -> None:
    agency = city.agencies[0]
    with timeutil.frozen(START):
        rid = _publish(city, **SEALED).public_id
        c = city.client(agency)
        for typed, message in (("-500", "报价须在最低限价 20,000.00 元与最高限价 40,000.00 元"),
                               ("12.345", "请填写以元为单位的金额，最多两位小数。"),
                               ("", "请填写报价（元）。")):
            r = c.post(f"/agency/requests/{rid}/bid",
                       data={"amount": typed, "csrf_token": csrf_token(c, "/agency/requests")})
            assert r.status_code == 400, typed
            page = r.get_data(as_text=True)
            card = page[page.index(f'data-test="request-{rid}"'):]
            card = card[:card.index("</article>")]
            assert re.search(r'class="error" id="bid-\d+-msg" data-test="bid-error-'
                             + rid + '">' + re.escape(message), card), (typed, card)
            assert f'value="{typed}"' in card
            assert 'aria-invalid="true"' in card
        assert _bids(city) == 0
        r = c.post(f"/agency/requests/{rid}/bid",
                   data={"amount": "30000", "csrf_token": csrf_token(c, "/agency/requests")})
        assert r.status_code == 302
        assert _bids(city) == 1
        fresh = c.get("/agency/requests").get_data(as_text=True)
        assert 'class="error"' not in fresh and 'value="30000"' not in fresh
