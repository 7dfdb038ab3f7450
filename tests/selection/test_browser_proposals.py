"""Proposal selection (方案择优) in a real browser, from the notice to the award: the owner
corrects a scoring sheet that does not add up and publishes; two agencies (one on a phone,
390 px) submit proposals — a file that is not a document and a quote above the cap refused next
to their fields — the key holder opens them, the owner (on a phone) records the panel's scores,
a point over the maximum refused, and publishes; everyone sees every score and the winner."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.models import Award, SelectionRequest
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support import opening as keys
from tests.support.live import no_sideways_scroll, open_page, serve, sized_page
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import request_form as _request_form

pytestmark = pytest.mark.browser

OPENS = START + timedelta(days=7)
GOOD_SHEET = "技术方案 | 40\n服务承诺 | 20\n类似业绩 | 10"


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


def _propose(page: Any, site: str, rid: str, path: Path, amount: str) -> None:
    page.goto(f"{site}/agency/requests")
    page.click(f"[data-test=proposal-{rid}]")
    page.set_input_files("input[name=file]", str(path))
    page.fill("input[name=amount]", amount)
    page.click("[data-test=submit-proposal]")


def test_proposals_to_award_in_the_browser(browser: Any, city: City, site: str,
                                           tmp_path: Path) -> None:
    app = city.app
    pdfs = []
    for n in range(3):
        p = tmp_path / f"方案{n}.pdf"
        p.write_bytes(b"%PDF-1.4\n% browser proposal " + str(n).encode() + b"\n%%EOF\n")
        pdfs.append(p)
    not_a_pdf = tmp_path / "方案.pdf"
    not_a_pdf.write_text("<html>这不是方案</html>")
    with timeutil.frozen(START):
        c = city.client(city.owner)
        data = _request_form(city, _project(city), **{
            **SEALED, "method": "proposals", "scoring_criteria": GOOD_SHEET,
            "price_points": "30"})
        data["csrf_token"] = csrf_token(c, "/owner/requests/new")
        rid = c.post("/owner/requests/new", data=data).headers["Location"].rsplit("/", 1)[1]
        # The owner edits the draft's sheet in the browser: one that adds up to 90 is refused
        # next to the field, what was typed kept; then corrected, saved and published.
        owner = open_page(browser, site, city.owner.email)
        owner.goto(f"{site}/owner/requests/{rid}/edit")
        owner.fill("textarea[name=scoring_criteria]", "技术方案 | 40\n服务承诺 | 20")
        owner.click("button[type=submit]")
        owner.wait_for_selector("#scoring_criteria-msg:has-text('合计须为 100 分（现为 90 分）')")
        assert owner.input_value("textarea[name=scoring_criteria]") == "技术方案 | 40\n服务承诺 | 20"
        owner.fill("textarea[name=scoring_criteria]", GOOD_SHEET)
        owner.click("button[type=submit]")
        owner.wait_for_selector("[data-test=publish]")
        owner.click("[data-test=publish]")
        owner.wait_for_selector("text=公告已发布")
        # Agency 1 at desktop width: a file that is not a document, a quote over the cap.
        a1 = open_page(browser, site, city.agencies[0].email)
        _propose(a1, site, rid, not_a_pdf, "30000")
        a1.wait_for_selector("#file-msg:has-text('方案文件须为 PDF')")
        a1.set_input_files("input[name=file]", str(pdfs[0]))
        a1.fill("input[name=amount]", "45000")
        a1.click("[data-test=submit-proposal]")
        a1.wait_for_selector("#amount-msg:has-text('最高限价')")
        assert a1.input_value("input[name=amount]") == "45000"
        a1.set_input_files("input[name=file]", str(pdfs[0]))
        a1.fill("input[name=amount]", "30000")
        a1.click("[data-test=submit-proposal]")
        a1.wait_for_selector("text=方案和报价已密封提交")
        # Agency 2 on a phone.
        a2 = sized_page(browser, site, city.agencies[1].email, phone=True)
        _propose(a2, site, rid, pdfs[1], "32000")
        a2.wait_for_selector("text=方案和报价已密封提交")
        a2.goto(f"{site}/agency/requests/{rid}/proposal")
        no_sideways_scroll(a2)
        a2.screenshot(path=str(tmp_path / "proposal-390.png"), full_page=True)
        # Agency 3 (the form through the test client: the browser was shown above).
        a3 = open_page(browser, site, city.agencies[2].email)
        _propose(a3, site, rid, pdfs[2], "28000")
        a3.wait_for_selector("text=方案和报价已密封提交")
        anyone = open_page(browser, site, None)
        anyone.goto(f"{site}/notices/{rid}")
        anyone.wait_for_selector("[data-test=scoring-sheet]")
        assert "30,000.00" not in anyone.content() and "sealed-note" in anyone.content()
    with timeutil.frozen(OPENS + timedelta(minutes=5)):
        assert keys.present(city.client(city.regulator), rid,
                            city.regulator_key).status_code == 302
    with timeutil.frozen(OPENS + timedelta(hours=1)):
        # The owner scores on a phone.
        phone = sized_page(browser, site, city.owner.email, phone=True)
        phone.goto(f"{site}/owner/requests/{rid}")
        phone.click("[data-test=go-scores]")
        phone.wait_for_selector("[data-test=opened-proposals]")
        assert "已开标，评审中" in phone.content()
        no_sideways_scroll(phone)
        # on a phone each points box says which criterion it is
        labels = phone.eval_on_selector_all(
            "[data-test=scorer-form] td:has(input)", "cells => cells.map(c => c.dataset.label)")
        assert labels[:3] == ["技术方案（0–40）", "服务承诺（0–20）", "类似业绩（0–10）"]
        phone.screenshot(path=str(tmp_path / "scores-390.png"), full_page=True)
        inputs = phone.query_selector_all("[data-test=scorer-form] input[data-test^=p-]")
        assert len(inputs) == 9  # three proposals × three criteria
        panel = (("王评委", ("36", "18", "9", "38.5", "19", "10", "30", "15", "8")),
                 ("李评委", ("35", "18", "9", "38", "19", "10", "30", "15", "8")),
                 ("张评委", ("36", "17", "9", "39", "19", "10", "31", "15", "8")))
        # a point over the criterion's maximum: refused, nothing recorded, the points kept
        phone.fill("input[name=name]", panel[0][0])
        for field, value in zip(inputs, ("41", *panel[0][1][1:]), strict=True):
            field.fill(value)
        phone.click("[data-test=save-scorer]")
        phone.wait_for_selector("text=须在 0 到 40 分之间")
        assert phone.query_selector("[data-test=scorer]") is None
        for name, values in panel:
            phone.fill("input[name=name]", name)
            for field, value in zip(phone.query_selector_all(
                    "[data-test=scorer-form] input[data-test^=p-]"), values, strict=True):
                field.fill(value)
            phone.click("[data-test=save-scorer]")
            phone.wait_for_selector(f"text=已录入评委 {name} 的评分")
        assert len(phone.query_selector_all("[data-test=scorer]")) == 3
        phone.click("[data-test=publish-scores]")
        phone.wait_for_selector("text=评审结果已公布")
        phone.wait_for_selector("[data-test=score-results]")
        no_sideways_scroll(phone)
        phone.screenshot(path=str(tmp_path / "results-390.png"), full_page=True)
        anyone.goto(f"{site}/notices/{rid}")
        totals = [t.inner_text() for t in anyone.query_selector_all("[data-test=total]")]
        assert totals == sorted(totals, reverse=True) and len(totals) == 3
        assert "王评委" in anyone.content()
        winner = anyone.inner_text("[data-test=awarded]")
    assert winner == city.agency_id(city.agencies[1])  # the best proposal, not the cheapest
    with app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.fee_fen == 32000_00
        assert db.session.scalar(sa.select(SelectionRequest.state).where(
            SelectionRequest.public_id == rid)) == "selected"
