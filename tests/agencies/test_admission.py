"""Admission: apply, review within 2 working days, reject with reasons, correct and resubmit;
every bad input leaves nothing stored; licences are served only to those allowed."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market import timeutil
from market.accounts.audit import AuditEvent
from market.accounts.models import Organisation, OrgStatus, Role
from market.agencies.models import AdmissionApplication
from market.db import db
from market.storage import Upload
from tests.agencies.helpers import JPEG, PDF, credit_code
from tests.conftest import create_person, csrf_token, login

APPLY = "/agency/application"


def _client(app: Flask, role: Role = Role.AGENCY_ADMIN, **kw: object) -> tuple[FlaskClient, int]:
    p = create_person(app, role, **kw)
    c = app.test_client()
    assert login(c, p.email).status_code == 302
    return c, p.org_id


def _form(c: FlaskClient, **over: object) -> dict[str, object]:
    data: dict[str, object] = {
        "csrf_token": csrf_token(c, APPLY), "legal_name": "云川青禾环境科技有限公司",
        "credit_code": credit_code(), "region": "云川市东城区", "legal_representative": "张三",
        "authorised_representative": "李四", "contact_phone": "0871-61234567",
        "contact_email": "contact@qinghe.example.cn",
        "licence": (io.BytesIO(PDF), "营业执照.pdf"),
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def _count(model: type) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model)) or 0


def _files(app: Flask) -> list[Path]:
    root = Path(app.config["UPLOAD_DIR"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def pending(app: Flask) -> tuple[FlaskClient, int]:
    return _client(app, admitted=False)


def test_agency_applies_and_review_is_due_in_two_working_days(
        app: Flask, pending: tuple[FlaskClient, int]) -> None:
    c, org_id = pending
    # Friday 2026-11-27 10:00 in Shanghai: due two working days later, Tuesday 2026-12-01.
    with timeutil.frozen(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)):
        r = c.post(APPLY, data=_form(c), content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        a = db.session.scalar(sa.select(AdmissionApplication))
        assert a is not None and a.status == "pending"
        assert a.review_due_on == date(2026, 12, 1)
        assert a.licence.content_type == "application/pdf"
        assert a.licence.original_name == "营业执照.pdf"
        org = db.session.get(Organisation, org_id)
        assert org.status == OrgStatus.PENDING.value and org.name == "云川青禾环境科技有限公司"
        tags = set(db.session.scalars(sa.select(AuditEvent.tag)))
        assert "agency:application:submit" in tags
        path = Path(app.config["UPLOAD_DIR"]) / a.licence.sha256[:2] / a.licence.sha256
        assert path.read_bytes() == PDF
    assert "待审核" in c.get(APPLY).get_data(as_text=True)


@pytest.mark.parametrize(("over", "message"), [
    ({"credit_code": "91539900MA0000001X"}, "校验位不正确"),
    ({"credit_code": "123"}, "应为 18 位"),
    ({"licence": None}, "请上传营业执照"),
    ({"licence": (io.BytesIO(b"<html>not a pdf</html>"), "licence.pdf")}, "不是 PDF、JPEG 或 PNG"),
    ({"licence": (io.BytesIO(b"GIF89a" + b"\0" * 20), "licence.png")}, "不是 PDF、JPEG 或 PNG"),
    ({"contact_email": "no-at-sign"}, "邮箱格式不正确"),
    ({"legal_representative": ""}, "请填写此项"),
])
def test_bad_application_input_is_refused_and_nothing_is_stored(
        app: Flask, pending: tuple[FlaskClient, int], over: dict[str, object],
        message: str) -> None:
    c, org_id = pending
    r = c.post(APPLY, data=_form(c, **over), content_type="multipart/form-data")
    assert r.status_code == 400
    assert message in r.get_data(as_text=True)
    with app.app_context():
        assert _count(AdmissionApplication) == 0
        assert _count(Upload) == 0
        assert db.session.get(Organisation, org_id).name.startswith("测试单位")
    assert _files(app) == []


def test_a_licence_over_the_limit_is_refused(app: Flask,
                                             pending: tuple[FlaskClient, int]) -> None:
    # Over HTTP with a small limit (a 10 MB body would be spooled by the test client);
    # the 10 MB default itself is checked on the storage function below.
    app.config["SCAN_MAX_BYTES"] = 1024
    c, _org = pending
    r = c.post(APPLY, data=_form(c, licence=(io.BytesIO(PDF + b"\0" * 2048), "big.pdf")),
               content_type="multipart/form-data")
    assert r.status_code == 400 and "1 MB" not in r.get_data(as_text=True)
    assert "上限" in r.get_data(as_text=True)
    with app.app_context():
        assert _count(AdmissionApplication) == 0 and _count(Upload) == 0
    assert _files(app) == []


def test_the_default_limit_is_10_mb(app: Flask) -> None:
    from market.storage import UploadError, store

    assert app.config["SCAN_MAX_BYTES"] == 10 * 1024 * 1024
    with app.app_context():
        store(io.BytesIO(b"%PDF-" + b"\0" * (10 * 1024 * 1024 - 5)), "ok.pdf")
        with pytest.raises(UploadError) as refused:
            store(io.BytesIO(b"%PDF-" + b"\0" * (10 * 1024 * 1024)), "big.pdf")
        assert refused.value.params == {"mb": 10}
        db.session.rollback()


def test_content_not_extension_decides(app: Flask, pending: tuple[FlaskClient, int]) -> None:
    c, _org = pending
    r = c.post(APPLY, data=_form(c, licence=(io.BytesIO(JPEG), "scan.pdf")),
               content_type="multipart/form-data")
    assert r.status_code == 302
    with app.app_context():
        assert db.session.scalar(sa.select(Upload.content_type)) == "image/jpeg"


def _submit(app: Flask) -> tuple[FlaskClient, int, int]:
    c, org_id = _client(app, admitted=False)
    assert c.post(APPLY, data=_form(c), content_type="multipart/form-data").status_code == 302
    with app.app_context():
        app_id = db.session.scalar(sa.select(AdmissionApplication.id).where(
            AdmissionApplication.organisation_id == org_id))
    return c, org_id, app_id


def test_regulator_admits(app: Flask) -> None:
    _c, org_id, app_id = _submit(app)
    reg, _ = _client(app, Role.REGULATOR)
    page = reg.get("/review/admissions").get_data(as_text=True)
    assert "云川青禾环境科技有限公司" in page
    r = reg.post(f"/review/admissions/{app_id}", data={
        "csrf_token": csrf_token(reg, f"/review/admissions/{app_id}"), "decision": "admit"})
    assert r.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, org_id).status == "admitted"
        assert "agency:application:admit" in set(db.session.scalars(sa.select(AuditEvent.tag)))
    # Decided once: a second decision is refused.
    r = reg.post(f"/review/admissions/{app_id}", data={
        "csrf_token": csrf_token(reg, f"/review/admissions/{app_id}"), "decision": "reject",
        "reasons": "x"})
    assert r.status_code in (200, 400)
    with app.app_context():
        assert db.session.get(Organisation, org_id).status == "admitted"


def test_rejection_needs_reasons_then_agency_corrects_and_resubmits(app: Flask) -> None:
    c, org_id, app_id = _submit(app)
    op, _ = _client(app, Role.OPERATOR)
    url = f"/review/admissions/{app_id}"
    r = op.post(url, data={"csrf_token": csrf_token(op, url), "decision": "reject"})
    assert r.status_code == 400 and "须写明理由" in r.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(AdmissionApplication, app_id).status == "pending"
    r = op.post(url, data={"csrf_token": csrf_token(op, url), "decision": "reject",
                           "reasons": "法定代表人与营业执照不一致"})
    assert r.status_code == 302
    page = c.get(APPLY).get_data(as_text=True)
    assert "法定代表人与营业执照不一致" in page and "更正后重新提交" in page
    # Resubmit without a new file: the previous licence is kept.
    r = c.post(APPLY, data=_form(c, legal_representative="王五", licence=None),
               content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    with app.app_context():
        rows = db.session.scalars(sa.select(AdmissionApplication).order_by(
            AdmissionApplication.id)).all()
        assert [a.status for a in rows] == ["rejected", "pending"]
        assert rows[1].previous_id == rows[0].id
        assert rows[1].licence_upload_id == rows[0].licence_upload_id
        assert db.session.get(Organisation, org_id).status == "pending"


def test_overdue_reviews_are_listed(app: Flask) -> None:
    with timeutil.frozen(datetime(2026, 11, 27, 2, 0, tzinfo=UTC)):
        _submit(app)
        reg, _ = _client(app, Role.REGULATOR)
        assert 'data-test="overdue"' not in reg.get("/review/admissions").get_data(as_text=True)
        timeutil.advance(timedelta(days=5))  # Wednesday 2 December: due was Tuesday
        page = reg.get("/review/admissions").get_data(as_text=True)
        assert 'data-test="overdue"' in page and "已超期" in page


def test_licence_is_served_only_to_its_agency_regulators_and_operators(app: Flask) -> None:
    c, _org, app_id = _submit(app)
    with app.app_context():
        upload_id = db.session.get(AdmissionApplication, app_id).licence_upload_id
    url = f"/uploads/{upload_id}"

    def status(client: FlaskClient) -> int:
        with client.get(url) as response:  # closes the file being sent
            return response.status_code

    with c.get(url) as own:
        assert own.status_code == 200 and own.data == PDF
        assert own.headers["Content-Type"] == "application/pdf"
        assert own.headers["Cache-Control"] == "private, no-store"
    for role in (Role.REGULATOR, Role.OPERATOR):
        assert status(_client(app, role)[0]) == 200
    for role in (Role.AGENCY_ADMIN, Role.OWNER_ADMIN):
        assert status(_client(app, role)[0]) == 404
    with app.test_client().get(url) as anonymous:
        assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


def test_same_bytes_are_stored_once(app: Flask) -> None:
    _submit(app)
    _submit(app)
    with app.app_context():
        assert _count(Upload) == 2
        assert len(set(db.session.scalars(sa.select(Upload.sha256)))) == 1
    assert len(_files(app)) == 1


def test_an_admitted_agency_cannot_apply_again(app: Flask) -> None:
    c, _org = _client(app)  # admitted
    r = c.post(APPLY, data=_form(c), content_type="multipart/form-data")
    assert r.status_code == 200  # no form: nothing to submit
    with app.app_context():
        assert _count(AdmissionApplication) == 0
