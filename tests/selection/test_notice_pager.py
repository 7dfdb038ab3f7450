"""The public notice list (采购公告) counts its notices only as far as its pager reaches
(``NOTICE_PAGES``): beyond that it says "N+" rather than a number it did not count, every page
it links shows notices, a page asked for past the reachable ones shows the last of them, and
the filters narrow the count as they narrow the rows.  ``/api/requests`` reads its items'
winners in one query per page, whatever the page's size."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.exc import IntegrityError

from market import timeutil
from market.accounts import operations as accounts
from market.accounts.models import OrgKind
from market.db import db
from market.selection import scope, views_public
from market.selection.models import Award, SelectionRequest
from tests.support.page_cache import statements
from tests.support.requests_data import published_requests


def _shown(html: str) -> list[str]:
    return re.findall(r"公告(\d{5})</a>", html)


def _total(html: str) -> str:
    found = re.search(r"第 \d+ / \d+ 页，共 [\d,]+\+? 条", html)
    assert found, html
    return found.group(0)


def _next(html: str) -> str | None:
    found = re.search(r'<a href="([^"]*)">下一页', html)
    return found.group(1).replace("&amp;", "&") if found else None


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two notices a page, three pages reachable: the same rules on a handful of rows."""
    monkeypatch.setattr(views_public, "PER_PAGE", 2)
    monkeypatch.setattr(views_public, "NOTICE_ROWS", 6)


@pytest.mark.usefixtures("small_pages")
def test_the_pager_counts_as_far_as_it_reaches_and_says_so(any_app: Flask) -> None:
    published_requests(any_app, ["open"] * 7 + ["closed"] * 2)  # nine published, newest: 00008
    client = any_app.test_client()
    first = client.get("/notices").get_data(as_text=True)
    assert _total(first) == "第 1 / 3 页，共 6+ 条"
    assert 'data-test="notices-more"' in first
    assert _shown(first) == ["00008", "00007"]
    # every page the pager links shows notices; the last one links no further
    seen, url = [], "/notices"
    while url:
        html = client.get(url).get_data(as_text=True)
        assert _shown(html), url
        seen += _shown(html)
        url = _next(html)  # type: ignore[assignment]
    assert seen == ["00008", "00007", "00006", "00005", "00004", "00003"]
    # a page past the reachable ones (an old link, a typed number) shows the last of them
    late = client.get("/notices?page=99").get_data(as_text=True)
    assert _total(late) == "第 3 / 3 页，共 6+ 条" and _shown(late) == ["00004", "00003"]


@pytest.mark.usefixtures("small_pages")
def test_filters_narrow_the_count_exactly_below_the_cap(any_app: Flask) -> None:
    published_requests(any_app, ["open"] * 7 + ["closed"] * 2, county=3)
    client = any_app.test_client()
    closed = client.get("/notices?state=closed").get_data(as_text=True)
    assert _total(closed) == "第 1 / 1 页，共 2 条" and 'notices-more' not in closed
    assert _shown(closed) == ["00008", "00007"] and _next(closed) is None
    county = client.get("/d/539921/notices").get_data(as_text=True)
    assert _total(county) == "第 1 / 2 页，共 3 条" and _shown(county) == ["00008", "00007"]
    assert _shown(client.get(_next(county) or "").get_data(as_text=True)) == ["00006"]
    assert _total(client.get("/notices?division=539921&page=5").get_data(as_text=True)) == (
        "第 2 / 2 页，共 3 条")
    words = client.get("/notices?q=公告0000").get_data(as_text=True)  # 00000 … 00008
    assert _total(words) == "第 1 / 3 页，共 6+ 条"
    one = client.get("/notices?q=00003").get_data(as_text=True)
    assert _total(one) == "第 1 / 1 页，共 1 条" and _shown(one) == ["00003"]
    nothing = client.get("/notices?q=无此公告").get_data(as_text=True)
    assert _total(nothing) == "第 1 / 1 页，共 0 条" and "暂无公告" in nothing


@pytest.mark.usefixtures("small_pages")
def test_a_city_with_its_counties_pages_newest_first_across_them(any_app: Flask) -> None:
    # the city's and the county's notices interleaved; their newest are taken per tenant
    published_requests(any_app, ["open", "closed", "selected"] * 3, in_county={0, 3, 4, 7})
    client = any_app.test_client()
    seen, url = [], "/d/539900/notices"
    while url:
        html = client.get(url).get_data(as_text=True)
        assert _shown(html), url
        seen += _shown(html)
        url = _next(html)  # type: ignore[assignment]
    assert seen == ["00008", "00007", "00006", "00005", "00004", "00003"]
    assert _shown(client.get("/d/539900/notices?page=3&state=open").get_data(as_text=True)
                  ) == ["00000"]  # three open (00006, 00003, 00000): page 3 is page 2
    assert _shown(client.get("/notices?division=539900&q=公告0000&page=2").get_data(
        as_text=True)) == ["00006", "00005"]
    assert _shown(client.get("/d/539921/notices?page=2").get_data(as_text=True)) == [
        "00003", "00000"]


def test_the_real_cap_is_fifty_pages_of_twenty(app: Flask) -> None:
    published_requests(app, ["open"] * (views_public.NOTICE_ROWS + 1))
    client = app.test_client()
    first = client.get("/notices").get_data(as_text=True)
    assert _total(first) == "第 1 / 50 页，共 1,000+ 条"
    last = client.get("/notices?page=50").get_data(as_text=True)
    assert len(_shown(last)) == 20 and _next(last) is None
    exact = client.get("/api/requests?per_page=1").get_json()
    assert exact["total"] == views_public.NOTICE_ROWS + 1  # the API's total stays exact


@pytest.mark.parametrize("deep_rows", [10_000, 0])  # each tenant's newest, or one sort
def test_api_requests_list_newest_publication_first(any_app: Flask, deep_rows: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scope, "DEEP_ROWS", deep_rows)
    published_requests(any_app, ["open", "closed", "selected"] * 3, in_county={0, 3, 4, 7})
    with any_app.app_context():  # the first one made (a draft till now) is published last
        first = db.session.scalar(sa.select(SelectionRequest).where(
            SelectionRequest.public_id == "RQ-P00001"))
        first.published_at = timeutil.now() + timedelta(hours=1)  # type: ignore[union-attr]
        db.session.commit()
    client = any_app.test_client()
    newest = ["00001", "00008", "00007", "00006", "00005", "00004", "00003", "00002", "00000"]

    def walk(path: str) -> list[str]:
        out, page = [], 1
        while True:
            body = client.get(f"{path}&page={page}").get_json()
            out += [i["id"][-5:] for i in body["items"]]
            if page * 2 >= body["total"]:
                return out
            page += 1

    assert walk("/api/requests?per_page=2") == newest
    assert walk("/api/requests?per_page=2&division=539900") == newest
    assert walk("/api/requests?per_page=2&division=539921") == ["00007", "00004", "00003",
                                                                 "00000"]



def _award_all(app: Flask) -> dict[str, str]:
    """An award for every published request, a different agency each, some of them lost (a
    lost award is no winner); the winners' public ids by request."""
    winners = {}
    with app.app_context():
        now = timeutil.now()
        reqs = db.session.scalars(sa.select(SelectionRequest).where(
            SelectionRequest.state != "draft").order_by(SelectionRequest.id)).all()
        for n, req in enumerate(reqs):
            agency = accounts.create_organisation(OrgKind.AGENCY, f"中选中介{n}")
            lost = n % 3 == 0
            db.session.add(Award(request_id=req.id, agency_org_id=agency.id, rank=0, fee_fen=100,
                                 service_days=20, state="declined" if lost else "confirmed",
                                 offered_at=now, decided_at=now))
            if not lost:
                winners[req.public_id] = agency.public_id
        db.session.commit()
    return winners


def test_api_requests_reads_the_winners_in_one_query(any_app: Flask) -> None:
    published_requests(any_app, ["selected"] * 12)
    winners = _award_all(any_app)
    client = any_app.test_client()
    client.get("/api/requests?per_page=2")  # warm: the first request reads settings etc.
    counts = {}
    for per_page in (2, 12):
        with statements(any_app) as seen:
            body = client.get(f"/api/requests?per_page={per_page}").get_json()
        counts[per_page] = len(seen)
        assert {i["id"]: i["winner"] for i in body["items"] if i["winner"]} == {
            k: v for k, v in winners.items() if k in {i["id"] for i in body["items"]}}
        assert len(body["items"]) == per_page
    assert counts[12] == counts[2]


# --- a draft has no publication date (check draft_unpublished): the lists rest on it ---

EVERY_STATE = ["open", "closed", "selected", "failed", "cancelled"]


def test_a_draft_with_a_publication_date_is_refused(any_app: Flask) -> None:
    published_requests(any_app, ["open"])
    with any_app.app_context():
        draft = db.session.scalars(sa.select(SelectionRequest)
                                   .where(SelectionRequest.state == "draft")).one()
        draft.published_at = db.session.scalars(
            sa.select(SelectionRequest.published_at)
            .where(SelectionRequest.published_at.is_not(None))).first()
        with pytest.raises(IntegrityError, match="draft_unpublished"):
            db.session.commit()
        db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).where(
            SelectionRequest.state == "draft", SelectionRequest.published_at.is_not(None))) == 0


def test_the_lists_count_every_state_but_the_draft(any_app: Flask) -> None:
    """Each state after publication once, a cancelled draft (cancelled before publication:
    no date, not public) and a draft: the lists show and count the five published."""
    published_requests(any_app, EVERY_STATE)
    with any_app.app_context():
        never = db.session.scalars(sa.select(SelectionRequest)
                                   .where(SelectionRequest.state == "draft")).one()
        db.session.add(SelectionRequest(
            public_id="RQ-PNEVER", project_id=never.project_id, owner_org_id=never.owner_org_id,
            service_type_id=never.service_type_id, title="公告99999", scope="范围",
            price_kind="fixed", price_fen=10_000_00, service_days=10, signing_days=5,
            method="lottery", signup_closes_at=never.signup_closes_at, state="cancelled",
            published_at=None, created_at=never.created_at, practitioners={}))
        db.session.commit()
    client = any_app.test_client()
    api = client.get("/api/requests").get_json()
    assert api["total"] == len(EVERY_STATE)
    assert sorted(i["state"] for i in api["items"]) == sorted(EVERY_STATE)
    html = client.get("/notices").get_data(as_text=True)
    assert re.search(rf"共 {len(EVERY_STATE)} 条", html), html
    assert "公告99999" not in html
