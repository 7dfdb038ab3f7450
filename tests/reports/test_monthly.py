"""The monthly report (月度报告) over a month of data made through the operations and pages:
every figure checked against what was done, the CSV, the written files, the pages."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from fractions import Fraction

import pypdf
import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation, User
from market.approvals.models import ApprovalCase
from market.approvals.timeline import project_split
from market.db import db
from market.domain.reports import Month
from market.reports import archive
from market.reports.figures import by_section, csv_rows, monthly
from market.supervision.models import EscalationStep
from tests.selection.conftest import City
from tests.support.report_month import (
    APRIL_2,
    at,
    build_march,
)

DAY = timedelta(days=1)
MARCH = Month(2026, 3)
















def test_every_figure_of_a_month(city: City) -> None:
    app = city.app
    build_march(city)
    with timeutil.frozen(APRIL_2), app.test_request_context("/"):
        report = monthly(MARCH)
        # requests: the two of March, one by lot, one sealed bid, one service type
        assert report.requests_total == 2
        assert dict(report.by_method()) == {"lottery": 1, "sealed_bid": 1, "credit_merit": 0, "proposals": 0,
                                            "direct": 0}
        assert [n for _st, n in report.by_service()] == [2]
        # amounts: two engagements of 30 000 yuan; one under a cap of 40 000: saved 25 %
        assert (report.engagements, report.fee_total_fen) == (2, 60_000_00)
        assert (report.capped, report.cap_total_fen, report.capped_award_fen) == \
            (1, 40_000_00, 30_000_00)
        assert report.saving_bp == 2500
        # publication (Mon 2 Mar) → award offered (Wed 4 Mar): 2 working days, both
        assert (report.to_award.count, report.to_award.median, report.to_award.p90) == (2, 2, 2)
        # → acceptance: 13 Mar (9 working days) and 20 Mar (14): median 11.5, p90 14
        assert report.to_acceptance.count == 2
        assert report.to_acceptance.median == Fraction(23, 2) and report.to_acceptance.p90 == 14
        # engagements: the first on time, the second (2 days committed, 7 used) late
        assert (report.accepted, report.accepted_on_time, report.engagements_on_time_bp) == \
            (2, 1, 5000)
        # cases: 20 committed days kept, 2 committed days not
        assert (report.cases_decided, report.cases_on_time, report.cases_on_time_bp) == \
            (2, 1, 5000)
        # the intermediary share: as the project timeline splits the decided cases' projects
        cases = list(db.session.scalars(sa.select(ApprovalCase).order_by(ApprovalCase.id)))
        end = datetime(2026, 3, 31, 16, 0, tzinfo=UTC)  # 1 April 00:00 in Beijing
        splits = [project_split(p, end) for p in sorted({c.project_id for c in cases})]
        assert report.intermediary_days == sum(s.intermediary for s in splits) > 0
        assert report.case_days == sum(s.total for s in splits) > report.intermediary_days
        assert report.intermediary_share_bp == round(
            report.intermediary_days * 10_000 / report.case_days)
        # ratings: means of (5, 2), (4, 1), (5, 2), (3, 2), (5, 2)
        assert report.ratings == 2
        assert report.rating_mean("quality") == Fraction(7, 2)
        assert report.rating_mean("timeliness") == Fraction(5, 2)
        assert report.rating_overall == Fraction(31, 10)
        # complaints: two filed, one upheld in time, one open; one warning
        assert (report.complaints_filed, report.complaints_upheld, report.complaints_rejected,
                report.complaints_decided_late) == (2, 1, 0, 0)
        assert dict(report.sanctions) == {"warning": 1}
        # escalations: none were raised in March
        assert report.escalations == 0
        # other months see none of it
        feb = monthly(Month(2026, 2))
        assert feb.requests_total == 1 and feb.engagements == 0 and feb.ratings == 0
        # the CSV holds every figure once, as the report has it
        rows = {(r[1], r[2], r[4]): r[5] for r in csv_rows(report)}
        assert rows[("amounts", "saving_rate", "")] == 2500
        assert rows[("cycle", "publication_to_acceptance", "中位数")] == "11.5"
        assert rows[("escalations", "raised", "")] == 0
        assert rows[("ratings", "mean", "五项平均")] == "3.10"
        texts = {f.key: f.text for _k, _t, fs in by_section(report) for f in fs}
        assert texts["saving_rate"] == "25.00%" and texts["raised"].startswith("0")
        # an escalation step raised in March counts in March, by the day it was raised
        db.session.add(EscalationStep(
            subject_kind="service", subject_id="WT-000002", due_date=date(2026, 3, 12),
            step="warning", party_kind="agency", party_name="逾期中介", late_days=1,
            raised_at=at(16)))
        db.session.commit()
        assert monthly(Month(2026, 3)).escalations == 1
        assert monthly(Month(2026, 2)).escalations == 0


def test_pages_csv_and_public_statistics(city: City) -> None:
    app = city.app
    build_march(city)
    regulator = city.client(city.regulator)
    with timeutil.frozen(APRIL_2):
        html = regulator.get("/regulator/reports/2026-03").get_data(as_text=True)
        assert "25.00%" in html and "<svg" in html and "尚未记录" in html
        assert 'data-figure="amounts.saving_rate"' in html
        r = regulator.get("/regulator/reports/2026-03/figures.csv")
        assert r.status_code == 200 and r.mimetype == "text/csv"
        table = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
        assert table[0] == ["month", "section", "figure", "label", "breakdown", "value", "unit"]
        assert table[[row[2] for row in table]
                                                             .index("saving_rate")][:3] == ["2026-03", "amounts", "saving_rate"]
        # not ended, malformed: nothing to show
        for month in ("2026-04", "2026-13", "x", "2026-3"):
            assert regulator.get(f"/regulator/reports/{month}").status_code == 404
            assert regulator.get(f"/regulator/reports/{month}/figures.csv").status_code == 404
        # the PDF exists only once written
        assert regulator.get("/regulator/reports/2026-03/report.pdf").status_code == 404
        # the public page: the same figures, no names of people or organisations
        public = app.test_client()
        page = public.get("/statistics?month=2026-03").get_data(as_text=True)
        assert "25.00%" in page and "<svg" in page
        with app.app_context():
            names = [o.name for o in db.session.scalars(sa.select(Organisation))]
            names += [u.name for u in db.session.scalars(sa.select(User)) if u.name]
            emails = [u.email for u in db.session.scalars(sa.select(User))]
        assert not [n for n in names + emails if n and n in page]
        assert public.get("/statistics?month=2026-04").status_code == 404
        assert public.get("/statistics?month=bad").status_code == 404
        assert public.get("/statistics").status_code == 200  # the last ended month
        assert 'href="/statistics"' in public.get("/").get_data(as_text=True)


@pytest.mark.usefixtures("pdf_library")
def test_command_writes_the_month_once_ended(city: City) -> None:
    app = city.app
    build_march(city)
    runner = app.test_cli_runner()
    with timeutil.frozen(at(31)):  # the last day of March: not ended
        result = runner.invoke(args=["reports", "monthly", "--month", "2026-03"])
        assert result.exit_code != 0 and "还没有结束" in result.output
        assert runner.invoke(args=["reports", "monthly", "--month", "2026/03"]).exit_code != 0
    with app.app_context():
        assert archive.written() == []
    with timeutil.frozen(APRIL_2):
        result = runner.invoke(args=["reports", "monthly", "--month", "2026-03"])
        assert result.exit_code == 0, result.output
        with app.app_context():
            [done] = archive.written()
            first = {k: p.read_bytes() for k, p in done.files.items()}
        assert first["pdf"].startswith(b"%PDF") and len(first["pdf"]) > 5_000
        assert "25.00%" in first["html"].decode() and "<script" not in first["html"].decode()
        table = list(csv.reader(io.StringIO(first["csv"].decode("utf-8").lstrip("\ufeff"))))
        assert ["2026-03", "amounts", "saving_rate", "节约率", "", "2500", "基点"] in table
        # again: the same three files, byte for byte (the PDF carries no creation time), and
        # nothing beside them
        assert runner.invoke(args=["reports", "monthly", "--month", "2026-03"]).exit_code == 0
        with app.app_context():
            [again] = archive.written()
            assert {k: p.read_bytes() for k, p in again.files.items()} == first
            assert sorted(p.name for p in archive.folder(MARCH).iterdir()) == \
                ["figures.csv", "report.html", "report.pdf"]
        regulator = city.client(city.regulator)
        listing = regulator.get("/regulator/reports").get_data(as_text=True)
        assert "/regulator/reports/2026-03/report.pdf" in listing
        r = regulator.get("/regulator/reports/2026-03/report.pdf")
        assert r.status_code == 200 and r.data.startswith(b"%PDF")
        r.close()
@pytest.mark.usefixtures("pdf_library")
def test_the_pdf_carries_its_chinese_text_in_a_chinese_font(city: City) -> None:
    """The filed PDF is read back: its text holds the Chinese headings and labels (extracted,
    so each glyph maps back to its character) and every font in it is a CJK font embedded in
    the file, so no character is drawn as an empty box (tofu) on a machine without it."""
    app = city.app
    build_march(city)
    with timeutil.frozen(APRIL_2), app.app_context():
        done = archive.write(MARCH)
        reader = pypdf.PdfReader(done.files["pdf"])
        text = "".join(page.extract_text() or "" for page in reader.pages)
        fonts: set[str] = set()
        embedded = True
        for page in reader.pages:
            for ref in (page.get("/Resources") or {}).get("/Font", {}).values():
                font = ref.get_object()
                fonts.add(str(font.get("/BaseFont")))
                for descendant in font.get("/DescendantFonts", []) or [font]:
                    desc = descendant.get_object().get("/FontDescriptor")
                    if desc is not None:
                        desc = desc.get_object()
                        embedded &= any(k in desc for k in ("/FontFile", "/FontFile2",
                                                            "/FontFile3"))
    compact = "".join(text.split())
    for words in ("月度报告", "2026-03", "节约率", "25.00%", "中介服务"):
        assert words in compact, words
    assert "\ufffd" not in text and "□" not in text
    assert fonts and all("CJK" in f for f in fonts), fonts
    assert embedded
