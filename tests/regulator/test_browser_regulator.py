"""Issue 8 in a real browser: the owner rates an accepted engagement and the agency's public
profile shows the new rating and credit score; a regulator suspends an agency in the console and
it cannot sign up (the open-requests page says why); a complaint is filed, reviewed and upheld,
and its public page shows the outcome."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from market import timeutil
from market.regulator import credit
from tests.engagements.conftest import PDF
from tests.regulator.conftest import accepted_engagement
from tests.selection.conftest import START, City
from tests.selection.test_lottery_flow import _publish
from tests.support.live import open_page, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


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


def test_a_suspended_agency_cannot_sign_up(browser: Any, city: City, site: str) -> None:
    suspended, other = city.agency_id(city.agencies[0]), city.agency_id(city.agencies[1])
    with timeutil.frozen(START):
        req = _publish(city)
        regulator = _page(browser, site, city.regulator.email)
        regulator.click("[data-test=nav-regulator]")
        regulator.click("text=处罚")
        regulator.click("[data-test=new-sanction]")
        regulator.fill("input[name=agency]", suspended)
        regulator.select_option("select[name=kind]", "suspension")
        regulator.fill("textarea[name=reason]", "出具虚假环评报告")
        regulator.fill("input[name=legal_basis]", "《云川市中介服务管理办法》第二十条")
        regulator.fill("input[name=starts_on]", "2026-03-01")
        regulator.fill("input[name=ends_on]", "2026-06-30")
        regulator.click("[data-test=issue-sanction]")
        regulator.wait_for_selector("text=处罚已发布")
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
