"""A whole lottery in a real browser: the owner posts; four agencies sign up and one withdraws;
the close; two witnesses type digits (told first when they are not yet due); time passes the
external draw, the operator types its result and the regulator types it again; the draw;
anyone verifies it on the public page — on a phone too."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection.models import Lottery
from tests.conftest import PASSWORD
from tests.selection.conftest import START, City, provincial_operator
from tests.support.live import open_page

SHOTS = Path("/tmp/h-entropy-shots")
SHOTS.mkdir(exist_ok=True)

pytestmark = pytest.mark.browser


_page = open_page


def test_a_lottery_end_to_end_in_the_browser(browser: Any, city: City, site: str) -> None:
    app = city.app
    with app.app_context():
        witness_ids = [str(db.session.scalar(sa.select(User.id).where(User.email == p.email)))
                       for p in (city.delegate, city.regulator)]
    with timeutil.frozen(START):
        owner = _page(browser, site, city.owner.email)
        owner.click("[data-test=nav-projects]")
        owner.fill("input[name=name]", "东城区第三小学改扩建")
        owner.fill("input[name=code]", "2026-539901-47-01-000123")
        owner.check("input[name=fund_source][value=fiscal]")
        owner.fill("input[name=investment]", "8600")
        owner.fill("input[name=location]", "云川市东城区")
        owner.click("form >> button[type=submit]")
        owner.goto(site + "/owner/requests/new")
        owner.fill("input[name=title]", "第三小学改扩建环评")
        owner.fill("textarea[name=scope]", "编制环境影响报告表")
        owner.check("input[name=price_kind][value=fixed]")
        owner.fill("input[name=price]", "30000")
        owner.fill("input[name=service_days]", "20")
        closes = (START + timedelta(days=7)).astimezone(timeutil.SHANGHAI)
        owner.fill("input[name=signup_closes_at]", closes.strftime("%Y-%m-%dT%H:%M"))
        for slot, witness in zip(owner.query_selector_all("select[name=witnesses]"),
                                 witness_ids, strict=False):
            slot.select_option(witness)
        owner.click("form.wizard >> button[type=submit]")
        # The draft shows the issue the platform will plan (computed, not typed).
        assert owner.inner_text("[data-test=external-source]").startswith("福彩双色球 2026027期")
        owner.click("[data-test=publish]")
        owner.wait_for_selector("text=公告已发布")
        public_id = owner.url.rsplit("/", 1)[1]

        for agency in city.agencies[:4]:
            page = _page(browser, site, agency.email)
            page.click("[data-test=nav-open-requests]")
            page.click(f"[data-test=signup-{public_id}]")
            page.wait_for_selector("text=报名成功")
            if agency is city.agencies[3]:
                page.fill("form.withdraw input[name=reason]", "人手不足")
                page.click(f"[data-test=withdraw-{public_id}]")
                page.wait_for_selector("text=已退出报名")
            page.context.close()

    with app.app_context():
        lottery = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lottery.lottery_id, lottery.external_at

    with timeutil.frozen(START + timedelta(days=1)):  # before the close: told, no form
        page = _page(browser, site, city.delegate.email)
        assert page.get_attribute("[data-test=draw-task]", "data-state") == "not_open"
        page.click("[data-test=draw-task] a")
        assert "报名截止" in page.inner_text("[data-test=witness-not-due]")
        assert page.query_selector("[data-test=witness-submit]") is None
        page.context.close()

    with timeutil.frozen(START + timedelta(days=7, minutes=2)):
        for who, digits in ((city.delegate, "20260309"), (city.regulator, "88112233")):
            page = _page(browser, site, who.email)
            assert page.get_attribute("[data-test=draw-task]", "data-state") == "due"
            page.click("[data-test=draw-task] a")
            page.click("[data-test=witness-submit]")  # empty: the error shows, nothing sent
            assert "请输入 6–32 位数字" in page.inner_text(".field.has-error")
            page.fill("input[name=value]", digits)
            page.click("[data-test=witness-submit]")
            page.wait_for_selector("text=见证随机数已录入")
            page.context.close()

    with timeutil.frozen(external_at + timedelta(minutes=20)):
        op = _page(browser, site, city.operator.email)
        op.goto(f"{site}/lotteries/{lottery_id}")
        op.fill("input[name=value]", "03 07 12 19 25 31 + 09")  # the official spelling
        op.fill("input[name=official_date]", "2026-03-10")
        op.click("[data-test=external-submit]")
        op.wait_for_selector("[data-test=external-mine]")
        # The regulator, on a phone, types it again from the official notice.
        reg = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        reg.goto(site + "/login")
        reg.fill("input[name=email]", city.regulator.email)
        reg.fill("input[name=password]", PASSWORD)
        reg.click("button[type=submit]")
        assert reg.get_attribute("[data-test=draw-task]", "data-state") == "confirm"
        reg.click("[data-test=draw-task] a")
        reg.fill("input[name=value]", "3 7 12 19 25 31 + 9")
        reg.fill("input[name=official_date]", "2026-03-10")
        reg.click("[data-test=external-submit]")
        reg.wait_for_selector("[data-test=winner]")
        assert reg.evaluate("document.documentElement.scrollWidth") <= 390
        reg.screenshot(path=str(SHOTS / "lottery-regulator-390.png"), full_page=True)

        anyone = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        anyone.goto(f"{site}/lotteries/{lottery_id}")
        witnesses = anyone.inner_text("[data-test=witnesses]")
        assert "采购受托人" in witnesses and "监管人员" in witnesses
        assert "U-" not in witnesses  # names, not account numbers
        assert anyone.evaluate("document.documentElement.scrollWidth") <= 390
        winner = anyone.inner_text("[data-test=winner]")
        assert winner.startswith("AG-")
        anyone.click("[data-test=verify-link]")
        ok = anyone.inner_text("[data-test=verify-ok]")
        assert ok.startswith(f"OK {lottery_id} winners=[\"{winner}\"]")
        assert "external 福彩双色球 2026027期" in ok and "value=3 7 12 19 25 31 + 9" in ok


def test_the_operator_confirms_a_years_schedule_on_a_phone(browser: Any, city: City,
                                                            site: str) -> None:
    with timeutil.frozen(START):
        page = browser.new_context(viewport={"width": 390, "height": 844}).new_page()
        page.goto(site + "/login")
        page.fill("input[name=email]", provincial_operator(city).email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(site + "/operator/draw-schedule/2028")
        page.fill("textarea[name=ssq_no_draw]", "2028-01-25..2028-02-01\n2029-01-02")
        page.fill("input[name=source]", "中国福利彩票发行管理中心休市公告")
        page.check("input[name=confirmed]")
        page.click("[data-test=save-draw-schedule]")
        assert "日期须在 2028 年内" in page.inner_text(".field.has-error")
        assert page.input_value("input[name=source]") == "中国福利彩票发行管理中心休市公告"
        page.fill("textarea[name=ssq_no_draw]", "2028-01-25..2028-02-01")
        page.click("[data-test=save-draw-schedule]")
        page.wait_for_selector("[data-test=schedule-confirmed]")
        assert page.inner_text("[data-test=next-ssq]").startswith("福彩双色球 2028")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(SHOTS / "draw-schedule-390.png"), full_page=True)
