"""The cached directory and agency API never show what is no longer true (market.pagecache):
a committed change is visible at once in every process, a rolled-back one changes nothing,
and what differs between visitors (CSRF token, login, language, date) is never shared."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from flask import Flask

from market import pagecache, timeutil
from market.accounts.models import Organisation, OrgStatus
from market.agencies import operations as ops
from market.agencies.models import Listing
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.fees import FeeKind, FeeSchedule
from tests.agencies.helpers import agency, catalogue, first_user, fixed, org_by_public_id
from tests.conftest import login, make_app

PAGE = "/agencies?service=EIA&sort=fee"
API = "/api/agencies?service=EIA&sort=fee"


@pytest.fixture
def market(any_app: Flask) -> Flask:
    catalogue(any_app)
    agency(any_app, "云川青禾环境科技有限公司", listings={"EIA": fixed(80_000, 30)})
    return any_app


def _fees(app: Flask) -> list[int]:
    items = app.test_client().get(API).get_json()["items"]
    return [li["fee"]["amount_fen"] for a in items for li in a["listings"]]


def _generation(app: Flask) -> int:
    with app.app_context():
        return pagecache.generation(pagecache.DIRECTORY)


def _relist(app: Flask, public_id: str, yuan: int) -> None:
    with app.app_context():
        org = org_by_public_id(public_id)
        eia = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "EIA"))
        ops.save_listing(org, first_user(org), eia,
                         FeeSchedule(FeeKind.FIXED, amount_fen=yuan * 100), 20)
        db.session.commit()


def test_a_change_in_another_process_is_seen_at_once(market: Flask, tmp_path: object) -> None:
    other = make_app(tmp_path, market.config["SQLALCHEMY_DATABASE_URI"])  # type: ignore[arg-type]
    assert _fees(market) == [8_000_000] and _fees(other) == [8_000_000]  # both caches warm
    public_id = agency(other, "云川远山环境科技有限公司", listings={"EIA": fixed(60_000, 45)})
    assert _fees(market) == [6_000_000, 8_000_000]
    page = market.test_client().get(PAGE).get_data(as_text=True)
    assert "云川远山环境科技有限公司" in page and "60,000" in page
    _relist(other, public_id, 90_000)
    assert _fees(market) == [8_000_000, 9_000_000]
    detail = market.test_client().get(f"/api/agencies/{public_id}").get_json()
    assert detail["listings"][0]["fee"]["amount_fen"] == 9_000_000
    with other.app_context():
        org = org_by_public_id(public_id)
        org.status = OrgStatus.PENDING.value  # out of the directory
        db.session.commit()
    assert _fees(market) == [8_000_000]
    assert market.test_client().get(f"/api/agencies/{public_id}").status_code == 404
    with other.app_context():
        db.engine.dispose()


def test_one_bump_per_committed_change_none_for_reads_or_rollbacks(market: Flask) -> None:
    before = _generation(market)
    _fees(market)
    market.test_client().get(PAGE)
    assert _generation(market) == before  # reading writes nothing
    with market.app_context():
        listing = db.session.scalars(sa.select(Listing)).first()
        assert listing is not None
        listing.committed_days = listing.committed_days  # same value: not a change
        db.session.commit()
    assert _generation(market) == before
    with market.app_context():
        listing = db.session.scalars(sa.select(Listing)).first()
        assert listing is not None
        listing.committed_days += 1
        db.session.flush()
        listing.committed_days += 1
        db.session.rollback()
    assert _generation(market) == before
    with market.app_context():
        for org in db.session.scalars(sa.select(Organisation)):
            org.name = org.name + "（更名）"
            db.session.flush()
        db.session.commit()
    assert _generation(market) == before + 1  # several flushes, one transaction, one bump


def test_core_writes_invalidate_explicitly(market: Flask) -> None:
    assert _fees(market) == [8_000_000]
    with market.app_context():
        db.session.execute(sa.update(Listing.__table__).values(amount_fen=7_000_000,
                                                              fee_low_fen=7_000_000))
        pagecache.invalidate()
        db.session.commit()
    assert _fees(market) == [7_000_000]
    with market.app_context():  # ORM-enabled bulk statements are noticed by themselves
        db.session.execute(sa.update(Listing).values(amount_fen=6_000_000,
                                                    fee_low_fen=6_000_000))
        db.session.commit()
    assert _fees(market) == [6_000_000]


def _token(html: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert found, "the page's forms carry a CSRF token"
    return found.group(1)


def test_each_visitor_gets_a_token_of_their_own(market: Flask) -> None:
    first, second = market.test_client(), market.test_client()
    page_one = first.get(PAGE).get_data(as_text=True)
    page_two = second.get(PAGE).get_data(as_text=True)  # served from the cache
    assert _token(page_one) != _token(page_two)
    assert page_one.replace(_token(page_one), "") == page_two.replace(_token(page_two), "")
    # The cached page's token works for its visitor: switch the language with it.
    r = second.post("/language", data={"csrf_token": _token(page_two), "lang": "en",
                                       "next": PAGE})
    assert r.status_code == 302
    english = second.get(PAGE).get_data(as_text=True)
    assert '<html lang="en"' in english
    assert '<html lang="en"' not in first.get(PAGE).get_data(as_text=True)


def test_logged_in_people_and_flashes_are_not_served_from_the_cache(market: Flask) -> None:
    market.test_client().get(PAGE)  # warm
    client = market.test_client()
    with market.app_context():
        user = first_user(db.session.scalars(sa.select(Organisation)).one())
        email = user.email
    login(client, email)
    page = client.get(PAGE).get_data(as_text=True)
    assert "授权人" in page and "退出" in page


def test_the_date_is_part_of_the_key(market: Flask) -> None:
    """A qualification stops counting the day after it expires, with no write in between."""
    agency(market, "云川澄川勘测设计有限公司", listings={"EIA": fixed(50_000, 20)},
           level="甲级", qual_until=date(2026, 12, 1))
    query = "/api/agencies?level=甲级"
    with timeutil.frozen(datetime(2026, 12, 1, 8, tzinfo=UTC)):
        assert market.test_client().get(query).get_json()["total"] == 1
    with timeutil.frozen(datetime(2026, 12, 2, 8, tzinfo=UTC)):
        assert market.test_client().get(query).get_json()["total"] == 0


def _home_counts(app: Flask) -> list[str]:
    page = app.test_client().get("/").get_data(as_text=True)
    return re.findall(r'<span class="num">([0-9,]+)</span>', page)


def test_the_home_page_counts_follow_every_change(market: Flask, tmp_path: object) -> None:
    """The home page is cached with the directory: a new agency, an agency leaving the
    directory and a new service type show on the next request, in every process."""
    other = make_app(tmp_path, market.config["SQLALCHEMY_DATABASE_URI"])  # type: ignore[arg-type]
    first = _home_counts(market)
    assert first and _home_counts(market) == first == _home_counts(other)  # caches warm
    public_id = agency(other, "云川远山环境科技有限公司", listings={"EIA": fixed(60_000, 45)})
    second = _home_counts(market)
    assert int(second[0]) == int(first[0]) + 1
    with other.app_context():
        org_by_public_id(public_id).status = OrgStatus.PENDING.value
        db.session.commit()
    assert _home_counts(market) == first
    with other.app_context():
        db.session.add(ServiceType(code="ZZ", name="新服务事项"))
        db.session.commit()
    page = market.test_client().get("/").get_data(as_text=True)
    assert "新服务事项" in page and int(_home_counts(market)[1]) == int(first[1]) + 1
    with other.app_context():
        db.engine.dispose()
