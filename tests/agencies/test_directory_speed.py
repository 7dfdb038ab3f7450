"""The directory's copies of organisation state on ``listing``, there for speed: kept current
however the organisation changes, exact totals from the listing indexes, and query plans that
do not grow with the data (SQLite)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from market.accounts.models import Organisation, OrgStatus
from market.agencies import directory
from market.agencies.directory import DirectoryFilter
from market.agencies.models import Listing
from market.catalogue.models import ServiceType
from market.db import db
from market.timeutil import now
from tests.agencies.helpers import agency, catalogue, fixed, org_by_public_id


def _listings(app: Flask, public_id: str) -> list[tuple[bool, str | None]]:
    with app.app_context():
        org = org_by_public_id(public_id)
        return [(li.admitted, li.region) for li in db.session.scalars(
            sa.select(Listing).where(Listing.organisation_id == org.id))]


def _api(app: Flask, query: str) -> dict:  # type: ignore[type-arg]
    r = app.test_client().get("/api/agencies" + query)
    assert r.status_code == 200, r.get_data(as_text=True)
    return r.get_json()  # type: ignore[no-any-return]


def test_listings_follow_their_organisation(any_app: Flask) -> None:
    catalogue(any_app)
    a = agency(any_app, "云川青禾环境科技有限公司", region="云川市东城区",
               listings={"EIA": fixed(80_000, 30), "COST": fixed(9_000, 10)})
    agency(any_app, "云川远山环境科技有限公司", region="云川市东城区",
           listings={"EIA": fixed(60_000, 45)})
    assert _listings(any_app, a) == [(True, "云川市东城区")] * 2
    assert _api(any_app, "?service=EIA&region=云川市东城区")["total"] == 2

    with any_app.app_context():  # a region change, through any ORM code path
        org_by_public_id(a).region = "云川市西岭区"
        db.session.commit()
    assert _listings(any_app, a) == [(True, "云川市西岭区")] * 2
    assert _api(any_app, "?service=EIA&region=云川市东城区")["total"] == 1
    assert [i["id"] for i in _api(any_app, "?service=EIA&region=云川市西岭区")["items"]] == [a]

    with any_app.app_context():  # no longer admitted: gone from every listing-based answer
        org = org_by_public_id(a)
        loaded = db.session.scalars(sa.select(Listing).where(
            Listing.organisation_id == org.id)).all()
        org.status = OrgStatus.REJECTED.value
        db.session.flush()
        assert [li.admitted for li in loaded] == [False, False]  # loaded rows see it too
        db.session.commit()
    assert _listings(any_app, a) == [(False, "云川市西岭区")] * 2
    assert _api(any_app, "?service=EIA")["total"] == 1
    assert _api(any_app, "?service=COST")["total"] == 0
    r = any_app.test_client().get("/services/EIA")
    assert "云川青禾环境科技有限公司" not in r.get_data(as_text=True)


def test_a_listing_added_directly_copies_its_organisation(any_app: Flask) -> None:
    catalogue(any_app)
    a = agency(any_app, "云川明衡造价事务所有限公司", region="云川市南湖区")
    with any_app.app_context():
        org = org_by_public_id(a)
        st = db.session.scalar(sa.select(ServiceType).where(ServiceType.code == "SURV"))
        db.session.add(Listing(organisation_id=org.id, service_type_id=st.id, version=1,
                               fee_kind="fixed", amount_fen=100_000, fee_low_fen=100_000,
                               committed_days=9, effective_from=now()))
        db.session.commit()
    assert _listings(any_app, a) == [(True, "云川市南湖区")]
    assert _api(any_app, "?service=SURV&region=云川市南湖区")["total"] == 1


def test_totals_are_exact_for_every_filter_combination(app: Flask) -> None:
    catalogue(app)
    regions = ("云川市东城区", "云川市西岭区", "云川市南湖区")
    for i in range(18):
        agency(app, f"云川第{i}号工程咨询有限公司", region=regions[i % 3],
               level="甲级" if i % 4 == 0 else None,
               listings={"EIA": fixed(10_000 + 1_000 * (i * 7 % 18), 5 + i % 9),
                         **({"COST": fixed(5_000, 20)} if i % 2 else {})})
    with app.app_context():
        rows = db.session.execute(sa.select(Organisation.name, Organisation.region,
                                            Listing.fee_low_fen, Listing.committed_days)
                                  .join(Listing).join(ServiceType)
                                  .where(ServiceType.code == "EIA")).all()
    for region in ("", *regions):
        for days in (None, 8, 12):
            for q in ("", "第1"):
                want = sorted((r.fee_low_fen, r.name) for r in rows
                              if (not region or r.region == region)
                              and (days is None or r.committed_days <= days)
                              and q in r.name)
                query = (f"?service=EIA&sort=fee&per_page=5&region={region}"
                         f"&q={q}" + (f"&days_max={days}" if days else ""))
                got = _api(app, query)
                assert got["total"] == len(want), query
                assert [i["name"] for i in got["items"]] == [n for _f, n in want[:5]], query
    assert _api(app, "?service=EIA&level=甲级")["total"] == 5
    assert _api(app, "?service=COST&sort=days")["total"] == 9


def test_service_filtered_queries_stay_in_one_index(app: Flask) -> None:
    """With a service filter, the page (fee, days or default order) is read in index order and
    the total counted from one index: no temporary sort, no visit to ``organisation``."""
    catalogue(app)
    agency(app, "云川青禾环境科技有限公司", listings={"EIA": fixed(80_000, 30)})
    plans = []

    def capture(conn, cursor, statement, params, context, executemany):  # noqa: ANN001
        if statement.lstrip().startswith("SELECT") and "FROM listing" in statement \
                and "listing.id" not in statement:
            plans.append((statement, " | ".join(
                row[3] for row in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement,
                                                       tuple(params)))))

    with app.test_request_context("/agencies"):
        sa.event.listen(db.engine, "after_cursor_execute", capture)
        try:
            for f in (DirectoryFilter(service="EIA", region="云川市东城区", sort="fee"),
                      DirectoryFilter(service="EIA", days_max=30, sort="fee"),
                      DirectoryFilter(service="EIA", days_max=30, sort="days"),
                      DirectoryFilter(service="EIA", fee_max_fen=9_000_000),
                      DirectoryFilter(service="EIA", sort="default")):
                assert directory.search(f).total == 1
        finally:
            sa.event.remove(db.engine, "after_cursor_execute", capture)
    assert len(plans) == 10
    for statement, plan in plans:
        assert "ix_listing_dir_" in plan, (statement, plan)
        assert "TEMP B-TREE" not in plan and "organisation" not in plan, (statement, plan)


def test_directory_cards_in_both_languages(app: Flask) -> None:
    """The cards' texts are translated once per request by the view; both languages show."""
    catalogue(app)
    agency(app, "云川青禾环境科技有限公司", listings={"EIA": fixed(80_000, 30)})
    client = app.test_client()
    html = client.get("/agencies?service=EIA").get_data(as_text=True)
    assert "30 个工作日" in html and "80,000.00 元" in html
    assert 'class=match' in html
    with client.session_transaction() as session:
        session["lang"] = "en"
    html = client.get("/agencies?service=EIA").get_data(as_text=True)
    assert "30 working days" in html and "¥80,000.00" in html
    assert "暂无记录" not in html


def test_the_agencies_page_serialises_as_the_api_spec_does() -> None:
    """/api/agencies writes its page with a field-name cache; the document is the one
    ``market.web.openapi.to_json`` gives."""
    from datetime import UTC, datetime

    from market.api import schemas as s
    from market.api.views import _to_json
    from market.web.openapi import Page, to_json

    fee = s.FeeScheduleOut(kind="rate", amount_fen=None, rate_bp=30, minimum_fen=5_000_000,
                           maximum_fen=None)
    items = [s.AgencyOut(id=f"AG-{i:06d}", name="云川青禾", credit_code=None, region="东城区",
                         listings=[s.ListingOut(service="EIA", fee=fee, committed_days=25,
                                                version=2, effective_from=datetime(
                                                    2026, 11, 1, 8, 30, tzinfo=UTC))] * i)
             for i in range(3)]
    page = Page(items=items, total=41, query=s.AgencyQuery(page=2, per_page=3))
    want = to_json(page)
    assert {"items": [_to_json(i) for i in items], "total": 41, "page": 2,
            "per_page": 3} == want
    assert want["items"][2]["listings"][1]["effective_from"] == "2026-11-01T08:30:00+00:00"
