"""The generator commands at tiny sizes: ``flask agencies generate`` fills the directory with
the derived columns right, and ``flask demo generate-load`` leaves a log that audits and
bundles that verify."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Flask

from lottery.verify import verify_bundle
from market.accounts.models import Organisation
from market.agencies.models import AgencyProfile, Listing, directory_state
from market.db import db
from market.selection import draw
from market.selection.models import Lottery, SelectionRequest, SignUp
from market.transparency.keys import platform_key


def _invoke(app: Flask, *args: str) -> str:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_agencies_generate_fills_the_directory(app: Flask) -> None:
    _invoke(app, "agencies", "generate", "--agencies", "30", "--listings", "95")
    client = app.test_client()
    assert client.get("/api/agencies?per_page=5").get_json()["total"] == 30
    page = client.get("/agencies").get_data(as_text=True)
    assert "共 30 家机构" in page and "云川第1号工程咨询有限公司" in page
    with app.app_context():
        rows = db.session.execute(sa.select(Listing, Organisation).join(
            Organisation, Organisation.id == Listing.organisation_id)).all()
        assert len(rows) == 95
        for listing, org in rows:  # the directory's copies of the organisation's state
            assert (listing.admitted, listing.region, listing.tenant_id) == directory_state(
                org.kind, org.status, org.region, org.tenant_id)
            assert listing.versions and listing.versions[0].version == 1
        for profile in db.session.scalars(sa.select(AgencyProfile)):
            fees = [li.fee_low_fen for li, o in rows if o.id == profile.organisation_id]
            assert profile.min_fee_fen == min(fees)


def test_generate_load_audits_and_every_draw_verifies(app: Flask) -> None:
    out = _invoke(app, "demo", "generate-load", "--agencies", "40", "--listings", "320",
                  "--requests", "24", "--lotteries", "12", "--leaves", "400")
    assert "400 leaves" in out
    audit = _invoke(app, "transparency", "audit")
    assert "OK 400 " in audit
    with app.app_context():
        states = dict(db.session.execute(sa.select(Lottery.state, sa.func.count())
                                         .group_by(Lottery.state)).all())
        assert set(states) == {"drawn", "frozen", "open", "void"}
        assert db.session.scalar(sa.select(sa.func.count(SelectionRequest.id))) == 24
        assert db.session.scalar(sa.select(sa.func.count(SignUp.id))) > 300
        drawn = db.session.scalars(sa.select(Lottery).where(Lottery.state == "drawn")).all()
        key = platform_key().public_raw
        for lottery in drawn:
            verify_bundle(draw.bundle(lottery), key)
        lottery_id, request_id = drawn[0].lottery_id, drawn[0].request.public_id
    client = app.test_client()
    bundle = client.get(f"/lotteries/{lottery_id}/bundle.json")
    assert bundle.status_code == 200
    verify_bundle(bundle.get_json(), key)
    assert client.get(f"/lotteries/{lottery_id}").status_code == 200
    assert client.get(f"/notices/{request_id}").status_code == 200
    assert client.get("/api/agencies?per_page=5").get_json()["total"] == 40


def test_generators_and_the_demo_refuse_a_production_database(app: Flask) -> None:
    """Their accounts' passwords are published: never with MARKET_ENV=production."""
    app.config["ENV"] = "production"
    runner = app.test_cli_runner()
    for args in (["agencies", "generate", "--agencies", "3", "--listings", "3"],
                 ["demo", "generate-load", "--agencies", "3"], ["demo", "load"]):
        result = runner.invoke(args=args)
        assert result.exit_code == 2 and "MARKET_ENV=production" in result.output, args
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Organisation.id))) == 0


def test_generate_load_spreads_a_province(app: Flask) -> None:
    """``--tenants 7``: the first tenant, its four counties, a second city and its first
    county; agencies and owners spread over them, each request in its owner's tenant, the
    draws still verifying."""
    from market.accounts.models import Division

    _invoke(app, "demo", "generate-load", "--agencies", "70", "--listings", "400",
            "--requests", "42", "--lotteries", "14", "--leaves", "0", "--tenants", "7")
    with app.app_context():
        served = dict(db.session.execute(sa.select(Division.code, Division.id).where(
            Division.tenant.is_(True))).all())
        assert sorted(served) == ["539800", "539821", "539900", "539921", "539922", "539923",
                                  "539924"]
        agencies = dict(db.session.execute(
            sa.select(Organisation.tenant_id, sa.func.count()).where(
                Organisation.kind == "agency").group_by(Organisation.tenant_id)).all())
        assert agencies == {i: 10 for i in served.values()}
        wrong = db.session.scalar(sa.select(sa.func.count()).select_from(SelectionRequest)
                                  .join(Organisation,
                                        Organisation.id == SelectionRequest.owner_org_id)
                                  .where(Organisation.tenant_id != SelectionRequest.tenant_id))
        assert wrong == 0
        assert len({t for (t,) in db.session.execute(
            sa.select(SelectionRequest.tenant_id).distinct())}) == 7
        key = platform_key().public_raw
        for lottery in db.session.scalars(sa.select(Lottery).where(Lottery.state == "drawn")):
            verify_bundle(draw.bundle(lottery), key)
    region = "青石县"
    found = app.test_client().get("/api/agencies?per_page=100&region=" + region).get_json()
    assert found["total"] == 10 and all(a["region"] == region for a in found["items"])
