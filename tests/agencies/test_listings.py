"""Listings: fee schedules in fen, committed days, versions; qualifications and practitioners
re-reviewed while the old data stays in force; expiry."""

from __future__ import annotations

import io
from datetime import date

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.accounts.models import Role
from market.agencies.models import Listing, ListingVersion, Practitioner, Qualification
from market.db import db
from tests.agencies.helpers import PDF, catalogue
from tests.conftest import create_person, csrf_token, login


def _agency(app: Flask, admitted: bool = True) -> tuple[FlaskClient, int]:
    catalogue(app)
    p = create_person(app, Role.AGENCY_ADMIN, admitted=admitted)
    c = app.test_client()
    assert login(c, p.email).status_code == 302
    return c, p.org_id


def _post(c: FlaskClient, code: str = "EIA", **fields: str):  # type: ignore[no-untyped-def]
    url = f"/agency/listings/{code}"
    data = {"csrf_token": csrf_token(c, url), "fee_kind": "fixed", "amount": "",
            "rate": "", "minimum": "", "maximum": "", "committed_days": "20"}
    data.update(fields)
    return c.post(url, data=data)


def _listings(app: Flask) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(sa.select(sa.func.count(Listing.id))) or 0,
                db.session.scalar(sa.select(sa.func.count(ListingVersion.id))) or 0)


@pytest.mark.parametrize(("fields", "message"), [
    ({"amount": "0"}, "金额必须大于 0 元"),
    ({"amount": "-5"}, "金额必须大于 0 元"),
    ({"amount": "100000000.01"}, "不能超过 1 亿元"),
    ({"amount": "abc"}, "以元为单位"),
    ({"amount": "12.345"}, "以元为单位"),
    ({"amount": ""}, "请填写金额"),
    ({"amount": "5000", "committed_days": "0"}, "至少 1 个工作日"),
    ({"amount": "5000", "committed_days": "2.5"}, "请输入整数"),
    ({"amount": "5000", "committed_days": "400"}, "不能超过 365"),
    ({"fee_kind": "rate", "rate": "0", "minimum": "100"}, "费率应大于 0"),
    ({"fee_kind": "rate", "rate": "0.5", "minimum": ""}, "请填写金额"),
    ({"fee_kind": "range", "minimum": "900", "maximum": "100"}, "不能低于最低收费"),
    ({"fee_kind": "bogus", "amount": "100"}, "所选的一项不在可选范围内"),
])
def test_bad_fees_are_refused_and_nothing_is_stored(
        app: Flask, fields: dict[str, str], message: str) -> None:
    c, _org = _agency(app)
    r = _post(c, **fields)
    assert r.status_code in (200, 400)
    body = r.get_data(as_text=True)
    assert message in body, body[-2000:]
    assert _listings(app) == (0, 0)


def test_fixed_fee_is_published_in_fen_and_versioned(app: Flask) -> None:
    c, org_id = _agency(app)
    assert _post(c, amount="12,345.60", committed_days="15").status_code == 302
    assert _post(c, amount="12345.6", committed_days="15").status_code == 302  # no change
    assert _listings(app) == (1, 1)
    assert _post(c, fee_kind="rate", rate="0.35", minimum="8000", committed_days="12"
                 ).status_code == 302
    assert _listings(app) == (1, 2)
    with app.app_context():
        li = db.session.scalar(sa.select(Listing))
        assert (li.version, li.fee_kind, li.rate_bp, li.minimum_fen, li.fee_low_fen) == (
            2, "rate", 35, 800_000, 800_000)
        v1 = li.versions[-1]
        assert (v1.version, v1.amount_fen, v1.committed_days) == (1, 1_234_560, 15)
    page = c.get("/agency/listings/EIA").get_data(as_text=True)
    assert "12,345.60 元" in page and "投资额的 0.35%，最低 8,000.00 元" in page
    public = app.test_client().get(f"/agencies/AG-{org_id:06d}").get_data(as_text=True)
    assert "历史版本" in public and "12,345.60 元" in public


def test_range_fee(app: Flask) -> None:
    c, _org = _agency(app)
    assert _post(c, fee_kind="range", minimum="20000", maximum="150000").status_code == 302
    with app.app_context():
        li = db.session.scalar(sa.select(Listing))
        assert (li.minimum_fen, li.maximum_fen, li.fee_low_fen) == (2_000_000, 15_000_000,
                                                                     2_000_000)


def test_pending_agency_cannot_list(app: Flask) -> None:
    c, _org = _agency(app, admitted=False)
    r = _post(c, amount="5000")
    assert r.status_code == 400 and "入驻审核通过后" in r.get_data(as_text=True)
    assert _listings(app) == (0, 0)


def _qualification(c: FlaskClient, url: str = "/agency/qualifications", **over: object):  # type: ignore[no-untyped-def]
    data: dict[str, object] = {
        "csrf_token": csrf_token(c, url), "qualification_type": "测绘资质", "level": "甲级",
        "number": "测绘甲字第0012345号", "issuer": "云川市自然资源和规划局",
        "valid_from": "2024-01-01", "valid_until": "2029-12-31",
        "scan": (io.BytesIO(PDF), "scan.pdf")}
    data.update(over)
    return c.post(url, data={k: v for k, v in data.items() if v is not None},
                  content_type="multipart/form-data")


@pytest.mark.parametrize(("over", "message"), [
    ({"valid_until": "2023-12-31"}, "不能早于起始日期"),
    ({"valid_until": "not-a-date"}, "年-月-日"),
    ({"qualification_type": "伪造资质"}, "请选择资质类型"),
    ({"level": "特级"}, "请选择资质等级"),
    ({"scan": None}, "请上传资质证书扫描件"),
    ({"scan": (io.BytesIO(b"MZ\x90\x00 exe"), "scan.pdf")}, "不是 PDF、JPEG 或 PNG"),
])
def test_bad_qualifications_are_refused(app: Flask, over: dict[str, object],
                                        message: str) -> None:
    c, _org = _agency(app)
    r = _qualification(c, **over)
    assert r.status_code == 400 and message in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Qualification.id))) == 0


def test_changes_are_re_reviewed_while_the_old_data_stays_in_force(app: Flask) -> None:
    c, org_id = _agency(app)
    assert _qualification(c).status_code == 302
    reg = app.test_client()
    assert login(reg, create_person(app, Role.REGULATOR).email).status_code == 302
    with app.app_context():
        q1 = db.session.scalar(sa.select(Qualification.id))
    url = f"/review/changes/qualification/{q1}"
    assert reg.post(url, data={"csrf_token": csrf_token(reg, url), "decision": "approve"}
                    ).status_code == 302
    # The agency changes the level; until approved, the public still sees 甲级.
    r = _qualification(c, url=f"/agency/qualifications/{q1}", level="乙级", scan=None)
    assert r.status_code == 302, r.get_data(as_text=True)
    public = app.test_client().get(f"/agencies/AG-{org_id:06d}").get_data(as_text=True)
    assert "甲级" in public and "乙级" not in public
    assert "测绘甲*****号" not in public and "0012345" not in public  # masked
    with app.app_context():
        q2 = db.session.scalar(sa.select(Qualification.id).where(Qualification.id != q1))
    # A second change while one is pending is refused.
    assert _qualification(c, url=f"/agency/qualifications/{q1}", scan=None).status_code == 400
    url = f"/review/changes/qualification/{q2}"
    r = reg.post(url, data={"csrf_token": csrf_token(reg, url), "decision": "reject"})
    assert r.status_code == 400  # reasons needed
    assert reg.post(url, data={"csrf_token": csrf_token(reg, url), "decision": "approve"}
                    ).status_code == 302
    public = app.test_client().get(f"/agencies/AG-{org_id:06d}").get_data(as_text=True)
    assert "乙级" in public and "甲级" not in public
    with app.app_context():
        statuses = dict(db.session.execute(sa.select(Qualification.id, Qualification.status)).all())
        assert statuses == {q1: "superseded", q2: "approved"}


def test_another_agency_cannot_change_my_records(app: Flask) -> None:
    c, _org = _agency(app)
    assert _qualification(c).status_code == 302
    with app.app_context():
        q1 = db.session.scalar(sa.select(Qualification.id))
    other, _ = _agency(app)
    assert other.get(f"/agency/qualifications/{q1}").status_code == 404
    assert _qualification(other, url=f"/agency/qualifications/{q1}").status_code == 404


def test_practitioners_count_until_expiry(app: Flask) -> None:
    c, org_id = _agency(app)
    url = "/agency/practitioners"
    for name, until in (("甲", "2099-01-01"), ("乙", "2001-01-01")):
        r = c.post(url, data={"csrf_token": csrf_token(c, url), "name": name,
                              "certificate_type": "注册测绘师", "certificate_number": "X1",
                              "valid_until": until})
        assert r.status_code == 302
    with app.app_context():
        for p in db.session.scalars(sa.select(Practitioner)):
            p.status = "approved"
        db.session.commit()
    page = app.test_client().get(f"/agencies/AG-{org_id:06d}").get_data(as_text=True)
    assert 'data-test="practitioner-count">1 人' in page


def test_expired_qualification_is_flagged_and_stops_counting_the_day_after(app: Flask) -> None:
    from market.agencies.operations import counting_qualifications
    from tests.agencies.helpers import agency

    catalogue(app)
    public_id = agency(app, "云川过期测绘有限公司", level="甲级", qual_until=date(2026, 3, 31))
    page = app.test_client().get(f"/agencies/{public_id}").get_data(as_text=True)
    assert 'data-test="expired"' in page
    with app.app_context():
        org_id = int(public_id[3:])
        assert len(counting_qualifications(org_id, date(2026, 3, 31))) == 1
        assert counting_qualifications(org_id, date(2026, 4, 1)) == []
