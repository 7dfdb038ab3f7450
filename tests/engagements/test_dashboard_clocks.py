"""The dashboard's clock board (时限) shows the most urgent open clocks with a count and a link;
the paged list shows every one, in the board's order, for each side of the market."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from market import timeutil
from market.clocks import board
from market.db import db
from market.engagements import views
from tests.engagements.conftest import make_award
from tests.selection.conftest import START, City

ROW = re.compile(r'data-test="clock-row">\s*<td><a href="/engagements/(EG-[\w-]+)"')


def test_the_board_shows_the_first_and_the_list_shows_all(
        city: City, monkeypatch: pytest.MonkeyPatch) -> None:
    # five awards confirmed on different days: five signing clocks, due on different days;
    # the first view of a page makes their engagements (the result notices are over)
    for day in range(5):
        make_award(city.app, city, agency_index=day % 2, at=START + timedelta(days=day))
    monkeypatch.setattr(views, "DASHBOARD_CLOCKS", 2)
    monkeypatch.setattr(views, "CLOCKS_PER_PAGE", 2)
    now = START + timedelta(days=6)
    with timeutil.frozen(now):
        for who, side, n in ((city.owner, "owner", 5), (city.agencies[0], "agency", 3),
                             (city.regulator, None, 5)):
            c = city.client(who)
            page = c.get("/dashboard").get_data(as_text=True)
            with city.app.app_context():
                org = None if side is None else who.org_id
                every = [r.engagement_id for r in board.open_clocks(org, side, now)]
                db.session.rollback()
            assert len(every) == n
            assert ROW.findall(page) == every[:2], side
            assert f"查看全部 {n} 项" in page and 'data-test="all-clocks"' in page
            listed = []
            pages = -(-n // 2)
            for k in range(1, pages + 1):
                body = c.get(f"/engagements/clocks?page={k}").get_data(as_text=True)
                assert f"第 {k} / {pages} 页，共 {n} 条" in body
                listed += ROW.findall(body)
            assert listed == every, side
            assert ROW.findall(c.get("/engagements/clocks?page=99").get_data(as_text=True)) == []
        # with room for all, no link
        monkeypatch.setattr(views, "DASHBOARD_CLOCKS", 10)
        page = city.client(city.owner).get("/dashboard").get_data(as_text=True)
        assert len(ROW.findall(page)) == 5 and 'data-test="all-clocks"' not in page
