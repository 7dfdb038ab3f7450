"""In a real browser at 1280 and 390 px: the owner rates a returned deliverable (an error next
to the field first), the agency replies, the operator hides another rating with a published
reason, the regulator repairs a sanction and records an owner's breach with its evidence file
(each after a refused try that keeps what was typed); the public pages show the result and
every page fits the screen."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import Organisation
from market.db import db
from market.evaluation.models import Rating
from tests.evaluation.conftest import DAY, GOOD, returned_once, submit
from tests.regulator.conftest import post
from tests.selection.conftest import START, City
from tests.support.live import open_page, serve

pytestmark = pytest.mark.browser
PDF = b"%PDF-1.4\n% demand for payment\n%%EOF\n"


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


def _fits(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def _page(browser: Any, site: str, email: str, width: int) -> Any:
    page = open_page(browser, site, email)
    page.set_viewport_size({"width": width, "height": 900})
    return page


@pytest.mark.parametrize("width", [1280, 390])
def test_ratings_after_a_return_hiding_repair_and_breaches(
        browser: Any, city: City, site: str, width: int, tmp_path: Path) -> None:
    eid = returned_once(city)
    other = returned_once(city, 1)
    with timeutil.frozen(START + 4 * DAY):
        # another rating, by the test client, for the operator to hide
        assert submit(city, city.owner, f"/owner/engagements/{other}/returns/1/rating",
                      {**GOOD, "comment": "联系人手机 13800000000 不接电话"}).status_code == 302
        owner = _page(browser, site, city.owner.email, width)
        owner.goto(site + "/owner/ratings")
        assert _fits(owner)
        owner.click(f"[data-test=rate-{eid}-v1]")
        assert "退回修改" in owner.inner_text("[data-test=step]")
        for dimension in ("quality", "timeliness", "attitude", "fees", "integrity"):
            owner.check(f"input[name={dimension}][value='4']")
        owner.fill("textarea[name=comment]", "初稿缺少噪声预测，修改及时。")
        owner.click("[data-test=submit-rating]")  # no level: refused, the text kept
        owner.wait_for_selector(".field.has-error .error")
        assert owner.input_value("textarea[name=comment]") == "初稿缺少噪声预测，修改及时。"
        assert _fits(owner)
        owner.check("input[name=level][value=satisfied]")
        owner.click("[data-test=submit-rating]")
        owner.wait_for_selector(f"[data-test=rated-{eid}-v1]")
        owner.screenshot(path=f"/tmp/credit-owner-{width}.png", full_page=True)

        with city.app.app_context():
            mine = db.session.scalar(sa.select(Rating.id).where(Rating.comment.like("初稿%")))
            rude = db.session.scalar(sa.select(Rating.id).where(Rating.comment.like("联系人%")))
        agency = _page(browser, site, city.agencies[0].email, width)
        agency.goto(site + "/agency/ratings")
        agency.click(f"[data-test=reply-{mine}]")  # empty: refused
        agency.wait_for_selector(".field.has-error .error")
        agency.fill("textarea[name=reply]", "感谢指正，已补充噪声预测章节。")
        agency.click(f"[data-test=reply-{mine}]")
        agency.wait_for_selector("text=回复已发布")
        assert _fits(agency)

        operator = _page(browser, site, city.operator.email, width)
        operator.goto(site + "/operator/ratings")
        assert _fits(operator)
        operator.click(f"[data-test=hide-{rude}]")
        operator.fill("textarea[name=reason]", "含手机号")
        operator.click("[data-test=confirm-hide]")
        operator.wait_for_selector(".field.has-error .error")
        assert operator.input_value("textarea[name=reason]") == "含手机号"
        reason = "评价中公开了他人的手机号码，属于个人信息。"
        operator.fill("textarea[name=reason]", reason)
        operator.click("[data-test=confirm-hide]")
        operator.wait_for_selector("text=评价已屏蔽")
        assert _fits(operator)
        public = _page(browser, site, city.owner.email, width)
        with city.app.app_context():
            ag2 = db.session.get(Organisation, city.agencies[1].org_id).public_id
            owner_id = db.session.get(Organisation, city.owner.org_id).public_id
        public.goto(site + f"/agencies/{ag2}")
        assert reason in public.inner_text("[data-test=rating-hidden]")
        assert "13800000000" not in public.content()
        assert _fits(public)

        # the regulator: a suspension issued long ago, repaired from today
        assert post(city, city.regulator, "/regulator/sanctions/new", {
            "agency": city.agency_id(city.agencies[2]), "kind": "suspension",
            "reason": "出具虚假报告", "legal_basis": "《云川市中介服务管理办法》第二十条",
            "starts_on": "2025-10-01", "ends_on": "2026-09-30", "action": "confirm"}
            ).status_code == 302
        reg = _page(browser, site, city.regulator.email, width)
        reg.goto(site + "/regulator/sanctions")
        reg.locator("[data-test^=repair-]").first.click()
        reg.fill("input[name=repaired_on]", "2026-03-01")
        reg.fill("input[name=decision]", "云川信修〔2026〕2号")
        reg.fill("textarea[name=reason]", "已纠正失信行为并作出信用承诺。")
        reg.click("[data-test=confirm-repair]")
        reg.wait_for_selector(".field.has-error .error")
        assert "不能早于今天" in reg.inner_text(".field.has-error")
        assert reg.input_value("input[name=decision]") == "云川信修〔2026〕2号"
        assert _fits(reg)
        reg.fill("input[name=repaired_on]", (START + 4 * DAY).date().isoformat())
        reg.click("[data-test=confirm-repair]")
        reg.wait_for_selector("[data-test^=repaired-]")
        assert _fits(reg)
        # repaired from today: its publication ends (终止公示), the public profile drops it
        public.goto(site + f"/agencies/{city.agency_id(city.agencies[2])}")
        assert "出具虚假报告" not in public.content()
        assert public.locator("[data-test=active-sanction]").count() == 0
        assert _fits(public)

        evidence = tmp_path / "催款函.pdf"
        evidence.write_bytes(PDF)
        reg.goto(site + "/regulator/breaches/new")
        reg.fill("input[name=owner]", owner_id)
        reg.select_option("select[name=kind]", "unpaid_fees")
        reg.fill("input[name=occurred_on]", "2026-02-20")
        reg.fill("textarea[name=facts]", "合同约定验收后 30 日内付款，至今未支付。")
        reg.fill("input[name=evidence]", "催款函（云川环评〔2026〕12号）")
        reg.set_input_files("input[name=evidence_file]", str(evidence))
        reg.click("[data-test=record-breach]")  # no engagement for unpaid fees: refused
        reg.wait_for_selector(".field.has-error .error")
        assert "委托编号" in reg.inner_text(".field.has-error")
        assert reg.input_value("textarea[name=facts]") == "合同约定验收后 30 日内付款，至今未支付。"
        assert _fits(reg)
        reg.fill("input[name=engagement]", eid)
        reg.set_input_files("input[name=evidence_file]", str(evidence))
        reg.click("[data-test=record-breach]")
        reg.wait_for_selector("[data-test=breach]")
        assert "逾期未支付服务费" in reg.inner_text("[data-test=breach]")
        assert _fits(reg)
        reg.screenshot(path=f"/tmp/credit-owner-record-{width}.png", full_page=True)

        public.goto(site + "/credit/lists")
        assert _fits(public)
        public.goto(site + "/credit")
        assert "守信激励" in public.inner_text("[data-test=formula]")
        assert _fits(public)
