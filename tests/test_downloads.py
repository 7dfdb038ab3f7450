"""Files the platform hands out: CSV exports cannot smuggle spreadsheet formulas (OWASP CSV
injection), and downloads are named after the type their content was checked to be, with an
RFC 6266/5987 Content-Disposition, an ASCII fallback and nosniff."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask

from market import timeutil
from market.accounts.models import Role
from market.db import db
from market.downloads import ascii_name, csv_cell
from market.storage import Upload, download_name, store
from tests.conftest import create_person, login
from tests.regulator.conftest import post
from tests.selection.conftest import START, City, city_in

PDF = b"%PDF-1.7\n" + b"x" * 200
PNG = b"\x89PNG\r\n\x1a\n" + b"x" * 200


@pytest.mark.parametrize(("value", "cell"), [
    ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"),
    ("+86 138 0000 0000", "'+86 138 0000 0000"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\t=1+1", "'\t=1+1"),
    ("\r=1+1", "'\r=1+1"),
    ("  =1+1", "'  =1+1"),
    ("＝1+1", "'＝1+1"),
    ("出具虚假报告", "出具虚假报告"),
    ("a=b", "a=b"),
    ("-12", "-12"),  # text that is a number stays a number
    ("-0.35", "-0.35"),
    (-1234, "-1234"),
    (Decimal("-0.50"), "-0.50"),
    (None, ""),
])
def test_csv_cells(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


@pytest.fixture
def city(app: Flask) -> City:
    return city_in(app)


def test_a_sanction_reason_exported_as_csv_is_text_not_a_formula(city: City) -> None:
    with timeutil.frozen(START):
        r = post(city, city.regulator, "/regulator/sanctions/new", {
            "agency": city.agency_id(city.agencies[0]), "kind": "warning",
            "reason": "=HYPERLINK(\"http://evil.example\",\"详情\")",
            "legal_basis": "@SUM(1+1)", "starts_on": "2026-03-01", "ends_on": "2026-06-30",
            "action": "confirm"})  # the confirmation step of the form (a preview stores nothing)
        assert r.status_code == 302
        response = city.client(city.regulator).get("/regulator/sanctions?format=csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="sanctions.csv"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    header, row = rows[0], rows[1]
    assert row[header.index("reason")] == "'=HYPERLINK(\"http://evil.example\",\"详情\")"
    assert row[header.index("legal_basis")] == "'@SUM(1+1)"
    assert row[header.index("starts_on")] == "2026-03-01"


@pytest.mark.parametrize(("original", "content_type", "expected"), [
    ('evil".html', "application/pdf", "evil.pdf"),
    ("营业执照.PDF", "application/pdf", "营业执照.pdf"),
    ("scan.jpeg", "image/jpeg", "scan.jpeg"),
    ("photo", "image/png", "photo.png"),
    ("report.final.exe", "application/pdf", "report.final.pdf"),
    ("预算.xls", "application/x-ole-storage", "预算.xls"),
    ("预算.exe", "application/x-ole-storage", "预算.doc"),
    (".html", "application/pdf", "file-7.pdf"),
])
def test_download_names_come_from_the_checked_type(original: str, content_type: str,
                                                    expected: str) -> None:
    row = Upload(id=7, sha256="0" * 64, size=1, content_type=content_type,
                 original_name=original)
    assert download_name(row) == expected


def test_ascii_fallback_names() -> None:
    assert ascii_name("营业执照.pdf", "file-3") == "file-3.pdf"
    assert ascii_name("Résumé 2026.pdf", "x") == "Resume_2026.pdf"
    assert ascii_name('a";b\r\nc.pdf', "x") == "a_b_c.pdf"


def _stored(app: Flask, data: bytes, name: str, org_id: int) -> int:
    with app.app_context():
        row = store(io.BytesIO(data), name, organisation_id=org_id)
        db.session.commit()
        return row.id


def test_uploads_are_served_under_their_checked_type(app: Flask, tmp_path: Path) -> None:
    agency = create_person(app, Role.AGENCY_ADMIN)
    client = app.test_client()
    assert login(client, agency.email).status_code == 302
    evil = _stored(app, PDF, 'evil".html', agency.org_id)
    r = client.get(f"/uploads/{evil}?download=1")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/pdf"
    assert r.headers["Content-Disposition"] == 'attachment; filename="evil.pdf"'
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    r.close()
    chinese = _stored(app, PNG, "营业执照 (副本).png", agency.org_id)
    r = client.get(f"/uploads/{chinese}")
    disposition = r.headers["Content-Disposition"]
    assert disposition.startswith(f'inline; filename="file-{chinese}.png"; filename*=UTF-8\'\'')
    assert unquote(disposition.split("''", 1)[1]) == "营业执照 (副本).png"
    r.close()
