"""Ratings, credit, sanctions and complaints in a real browser: the owner rates an accepted engagement and the agency's public
profile shows the new rating and credit score; a regulator suspends an agency in the console and
it cannot sign up (the open-requests page says why); a complaint is filed, reviewed and upheld,
and its public page shows the outcome."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation
from market.credit import score as credit
from market.db import db
from tests.engagements.conftest import PDF
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City
from tests.support.live import open_page
from tests.support.selection_flow import publish as _publish

pytestmark = pytest.mark.browser


_page = open_page


def _score(city: City, index: int) -> int:
    with city.app.app_context():
        return credit.score_for(city.agencies[index].org_id)


def test_the_owner_rates_and_the_profile_shows_the_new_score(browser: Any, city: City,
                                                             site: str) -> None:
    eng = accepted_engagement(city, 0)
    profile = f"{site}/agencies/{city.agency_id(city.agencies[0])}"
    with timeutil.frozen(START):
        anyone = _page(browser, site, None)
        anyone.goto(profile)
        # 80 base + (100 % on time − 80 %) × 50; no rating yet
        assert anyone.inner_text("[data-test=credit-score]") == "90"
        assert anyone.locator("[data-test=rating]").count() == 0

        owner = _page(browser, site, city.owner.email)
        owner.goto(site + "/owner/ratings")
        owner.click(f"[data-test=rate-{eng}]")
        for dimension, stars in (("quality", 4), ("timeliness", 4), ("attitude", 4),
                                 ("fees", 3), ("integrity", 4)):
            owner.check(f"input[name={dimension}][value='{stars}']")
        owner.check("input[name=level][value=satisfied]")
        owner.fill("textarea[name=comment]", "报告质量较好，收费略高。")
        owner.click("[data-test=submit-rating]")
        owner.wait_for_selector("text=评价已提交")
        assert owner.inner_text(f"[data-test=rated-{eng}]") == "3.8"
        # a second rating is refused
        owner.goto(f"{site}/owner/engagements/{eng}/rating")
        owner.wait_for_selector("[data-test=already-rated]")

        anyone.goto(profile)
        # the average 3.8 adds (3.8 − 3) × 7.5 = 6 points
        assert anyone.inner_text("[data-test=credit-score]") == "96" == str(_score(city, 0))
        assert "3.80" in anyone.inner_text("[data-test=performance]")
        rating = anyone.inner_text("[data-test=rating]")
        assert "报告质量较好，收费略高。" in rating and "收费 3" in rating


def _sanction_in_the_console(page: Any, city: City, index: int, kind: str, starts_on: str,
                             ends_on: str) -> str:
    """Search the agency by a part of its name, pick it, fill in the sanction, check what the
    confirmation says and confirm; the confirmation's text."""
    with city.app.app_context():
        org = db.session.get(Organisation, city.agencies[index].org_id)
        name, code, public_id = org.name, org.credit_code, org.public_id
    page.fill("input[name=q]", name[-3:])
    page.click("[data-test=search-agency]")
    page.click(f"[data-test=pick-{public_id}]")
    assert page.inner_text("[data-test=agency-name]") == name
    page.select_option("select[name=kind]", kind)
    page.fill("textarea[name=reason]", "出具虚假环评报告")
    page.fill("input[name=legal_basis]", "《云川市中介服务管理办法》第二十条")
    page.fill("input[name=starts_on]", starts_on)
    page.fill("input[name=ends_on]", ends_on)
    page.click("[data-test=preview-sanction]")
    page.wait_for_selector("[data-test=sanction-effect]")
    assert page.inner_text("[data-test=agency-name]") == name
    assert page.inner_text("[data-test=agency-credit-code]") == code
    assert page.inner_text("[data-test=summary-period]") == f"{starts_on} – {ends_on}"
    effect = page.inner_text("[data-test=sanction-effect]")
    page.click("[data-test=issue-sanction]")
    page.wait_for_selector("text=处罚已发布")
    return effect


def test_a_suspended_agency_cannot_sign_up(browser: Any, city: City, site: str) -> None:
    suspended, other = city.agency_id(city.agencies[0]), city.agency_id(city.agencies[1])
    with timeutil.frozen(START):
        req = _publish(city)
        regulator = _page(browser, site, city.regulator.email)
        regulator.click("[data-test=nav-regulator]")
        regulator.click("text=处罚")
        regulator.click("[data-test=new-sanction]")
        _sanction_in_the_console(regulator, city, 0, "suspension", "2026-03-01", "2026-06-30")
        regulator.wait_for_selector(f"[data-test=sanction-active-{suspended}]")

        agency = _page(browser, site, city.agencies[0].email)
        agency.click("[data-test=nav-open-requests]")
        card = agency.locator(f"[data-test=request-{req.public_id}]")
        assert "处于监管处罚期内" in card.locator(".reasons").inner_text()
        assert card.locator(f"[data-test=signup-{req.public_id}]").count() == 0

        # an agency without a sanction still signs up for the same request
        unsanctioned = _page(browser, site, city.agencies[1].email)
        unsanctioned.click("[data-test=nav-open-requests]")
        unsanctioned.click(f"[data-test=signup-{req.public_id}]")
        unsanctioned.wait_for_selector("text=报名成功")

        anyone = _page(browser, site, None)
        anyone.goto(f"{site}/agencies/{suspended}")
        assert "出具虚假环评报告" in anyone.inner_text("[data-test=active-sanction]")
        anyone.goto(f"{site}/agencies/{other}")
        assert anyone.locator("[data-test=active-sanction]").count() == 0


def test_the_sanction_console_at_phone_width(browser: Any, city: City, site: str) -> None:
    """390 px wide: every step fits the screen and the confirmation says what will happen; a
    changed mind goes back to the form with what was typed, and nothing is stored."""
    with timeutil.frozen(START):
        regulator = _page(browser, site, city.regulator.email)
        regulator.set_viewport_size({"width": 390, "height": 844})
        errors: list[str] = []
        regulator.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        regulator.goto(site + "/regulator/sanctions/new")

        def fits() -> bool:
            return bool(regulator.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"))

        assert fits()
        with city.app.app_context():
            org = db.session.get(Organisation, city.agencies[1].org_id)
            name, public_id = org.name, org.public_id
        regulator.fill("input[name=q]", name)
        regulator.click("[data-test=search-agency]")
        # the search is a GET: wait for the answer before measuring it
        regulator.wait_for_selector(f"[data-test=pick-{public_id}]")
        assert fits() and regulator.is_visible(f"[data-test=pick-{public_id}]")
        regulator.click(f"[data-test=pick-{public_id}]")
        regulator.select_option("select[name=kind]", "warning")
        regulator.fill("textarea[name=reason]", "未按时提交成果")
        regulator.fill("input[name=legal_basis]", "《云川市中介服务管理办法》第十八条")
        regulator.fill("input[name=starts_on]", "2026-03-02")
        regulator.fill("input[name=ends_on]", "2026-09-01")
        regulator.click("[data-test=preview-sanction]")
        regulator.wait_for_selector("[data-test=sanction-effect]")
        assert fits()
        effect = regulator.inner_text("[data-test=sanction-effect]")
        assert "警告只公示，不影响报名" in effect and "即日生效" in effect
        regulator.click("[data-test=edit-sanction]")
        assert regulator.input_value("textarea[name=reason]") == "未按时提交成果"
        assert errors == []
    with city.app.app_context():
        from market.credit.models import Sanction

        assert db.session.scalar(sa.select(sa.func.count(Sanction.id))) == 0


def test_a_complaint_goes_through_to_a_public_outcome(browser: Any, city: City, site: str,
                                                      tmp_path: Path) -> None:
    eng = accepted_engagement(city, 0)
    evidence = tmp_path / "逾期证明.pdf"
    evidence.write_bytes(PDF + b"evidence")
    before = _score(city, 0)
    with timeutil.frozen(START):
        owner = _page(browser, site, city.owner.email)
        owner.goto(site + "/my/complaints")
        owner.click("[data-test=new-complaint]")
        owner.check("input[name=subject_kind][value=engagement]")
        owner.fill("input[name=subject_id]", eng)
        owner.fill("textarea[name=text]", "未按合同约定时间提交成果，且未说明理由。")
        owner.set_input_files("input[name=files]", str(evidence))
        owner.click("[data-test=file-complaint]")
        owner.wait_for_selector("text=投诉已受理")
        complaint = owner.inner_text("[data-test=complaint-id]")
        assert complaint.startswith("TS-")
        assert owner.get_attribute("[data-test=complaint-state]", "data-state") == "received"

        regulator = _page(browser, site, city.regulator.email)
        regulator.click("[data-test=nav-regulator]")
        regulator.click("text=投诉处理")
        regulator.click(f"[data-test=complaint-{complaint}]")
        assert "逾期证明.pdf" in regulator.inner_text("main")
        regulator.click("[data-test=start-review]")
        regulator.wait_for_selector("[data-test=uphold]")
        assert regulator.get_attribute("[data-test=complaint-state]",
                                       "data-state") == "under_review"
        regulator.fill("textarea[name=outcome]", "经查属实，已约谈该机构并责令整改。")
        regulator.click("[data-test=uphold]")
        regulator.wait_for_selector("[data-test=outcome]")

        anyone = _page(browser, site, None)
        anyone.goto(f"{site}/complaints")
        anyone.click(f"text={complaint}")
        assert anyone.get_attribute("[data-test=complaint-state]", "data-state") == "upheld"
        assert anyone.inner_text("[data-test=complaint-state]") == "投诉成立"
        assert anyone.inner_text("[data-test=outcome]") == "经查属实，已约谈该机构并责令整改。"
        assert anyone.locator("[data-test=complaint-text]").count() == 0  # the text stays private
        # the upheld complaint shows on the agency's profile and costs it 10 points
        anyone.goto(f"{site}/agencies/{city.agency_id(city.agencies[0])}")
        assert anyone.locator(f"a:has-text('{complaint}')").count() == 1
        assert anyone.inner_text("[data-test=credit-score]") == str(before - 10)
