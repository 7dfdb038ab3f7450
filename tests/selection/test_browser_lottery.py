"""A whole lottery in a real browser: the owner posts; four agencies sign up and one withdraws;
the close; two witnesses type digits; time passes the external draw and its result is entered;
the draw; anyone verifies it on the public page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection.models import Lottery
from tests.selection.conftest import START, City
from tests.support.live import open_page, serve

pytestmark = pytest.mark.browser


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


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
        owner.fill("input[name=external_issue]", "2026025期")
        for slot, witness in zip(owner.query_selector_all("select[name=witnesses]"),
                                 witness_ids, strict=False):
            slot.select_option(witness)
        owner.click("form.wizard >> button[type=submit]")
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

    with timeutil.frozen(START + timedelta(days=7, minutes=2)):
        for who, digits in ((city.delegate, "20260309"), (city.regulator, "88112233")):
            page = _page(browser, site, who.email)
            page.goto(f"{site}/lotteries/{lottery_id}")
            page.fill("input[name=value]", digits)
            page.click("[data-test=witness-submit]")
            page.wait_for_selector("text=见证随机数已录入")
            page.context.close()

    with timeutil.frozen(external_at + timedelta(minutes=20)):
        op = _page(browser, site, city.operator.email)
        op.goto(f"{site}/lotteries/{lottery_id}")
        op.fill("input[name=value]", "3 7 12 19 25 31 + 9")
        op.click("[data-test=external-submit]")
        op.wait_for_selector("[data-test=winner]")

        anyone = _page(browser, site, None)
        anyone.goto(f"{site}/lotteries/{lottery_id}")
        winner = anyone.inner_text("[data-test=winner]")
        assert winner.startswith("AG-")
        anyone.click("[data-test=verify-link]")
        ok = anyone.inner_text("[data-test=verify-ok]")
        assert ok.startswith(f"OK {lottery_id} winners=[\"{winner}\"]")
        assert "external 福彩双色球 2026025期" in ok
