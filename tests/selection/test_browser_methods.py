"""The methods' own steps in a real browser at phone width (390 px): an owner publishing a
credit merit (信用择优) and choosing from its drawn short list with a written reason, and an
agency quoting a discount rate (下浮率) on a sealed bid."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.accounts.models import User
from market.db import db
from market.selection.models import Award, Bid, Lottery
from tests.selection.conftest import START, City
from tests.support.live import no_sideways_scroll, serve, sized_page
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import project as _project
from tests.support.selection_flow import publish as _publish
from tests.support.selection_flow import sign_up as _sign_up
from tests.support.selection_flow import witness_and_draw as _witness_and_draw

pytestmark = pytest.mark.browser


@pytest.fixture
def site(city: City) -> Iterator[str]:
    with serve(city.app) as url:
        yield url


def _ids(city: City, *people: Any) -> list[str]:
    with city.app.app_context():
        return [str(db.session.scalar(sa.select(User.id).where(User.email == p.email)))
                for p in people]


def test_credit_merit_published_and_chosen_on_a_phone(browser: Any, city: City, site: str) -> None:
    app = city.app
    witnesses = _ids(city, city.delegate, city.regulator)
    with timeutil.frozen(START):
        _project(city)
        owner = sized_page(browser, site, city.owner.email, phone=True)
        owner.goto(site + "/owner/requests/new")
        owner.fill("input[name=title]", "第三小学改扩建环评（信用择优）")
        owner.fill("textarea[name=scope]", "编制环境影响报告表")
        owner.check("input[name=price_kind][value=fixed]")
        owner.fill("input[name=price]", "30000")
        owner.fill("input[name=service_days]", "20")
        owner.check("input[name=method][value=credit_merit]")
        owner.fill("input[name=credit_threshold]", "")
        closes = (START + timedelta(days=7)).astimezone(timeutil.SHANGHAI)
        owner.fill("input[name=signup_closes_at]", closes.strftime("%Y-%m-%dT%H:%M"))
        for slot, witness in zip(owner.query_selector_all("select[name=witnesses]"), witnesses,
                                 strict=False):
            slot.select_option(witness)
        no_sideways_scroll(owner)
        owner.click("form.wizard >> button[type=submit]")
        # no threshold: the error stands next to its field, what was typed stays
        assert "入围信用分须为 60–100 分" in owner.inner_text("#credit_threshold-msg")
        assert owner.input_value("input[name=title]") == "第三小学改扩建环评（信用择优）"
        owner.fill("input[name=credit_threshold]", "80")
        owner.fill("input[name=shortlist_size]", "3")
        owner.click("form.wizard >> button[type=submit]")
        assert "不低于 80 分" in owner.inner_text("[data-test=credit-threshold]")
        assert "3 家入围候选" in owner.inner_text("[data-test=shortlist-size]")
        no_sideways_scroll(owner)
        owner.click("[data-test=publish]")
        owner.wait_for_selector("text=公告已发布")
        rid = owner.url.rsplit("/", 1)[1]
        for a in city.agencies[:5]:
            assert _sign_up(city, a, rid) == 302
    with app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        lottery_id, external_at = lot.lottery_id, lot.external_at
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        app.test_client().get(f"/notices/{rid}")
    _witness_and_draw(city, lottery_id, external_at)
    with app.app_context():
        shortlist = list(db.session.scalar(sa.select(Lottery)).record["winners"])
    with timeutil.frozen(external_at + timedelta(hours=1)):
        owner.goto(f"{site}/owner/requests/{rid}")
        assert owner.query_selector_all("[data-test=shortlist-drawn] li").__len__() == 3
        no_sideways_scroll(owner)
        owner.check(f"[data-test=choose-{shortlist[2]}]")
        owner.click("[data-test=choose-submit]")  # no reason: told, the choice kept
        assert "请填写此项" in owner.inner_text("[data-test=choose]")
        assert owner.is_checked(f"[data-test=choose-{shortlist[2]}]")
        owner.fill("textarea[name=reason]", "同类学校项目经验最多，项目负责人为高级工程师")
        owner.click("[data-test=choose-submit]")
        owner.wait_for_selector("text=已选定中选机构")
        assert owner.inner_text("[data-test=awarded]") == shortlist[2]
        public = sized_page(browser, site, None, phone=True)
        public.goto(f"{site}/notices/{rid}")
        assert "项目负责人为高级工程师" in public.inner_text("[data-test=choice-reason]")
        assert shortlist[0] in public.inner_text("[data-test=shortlist-drawn]")
        no_sideways_scroll(public)
    with app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.agency.public_id == shortlist[2] and award.choice_reason


def test_a_discount_rate_quoted_on_a_phone(browser: Any, city: City, site: str) -> None:
    app = city.app
    with timeutil.frozen(START):
        rid = _publish(city, **{**SEALED, "quote_kind": "rate", "cap": "40000"}).public_id
        agency = sized_page(browser, site, city.agencies[0].email, phone=True)
        agency.goto(site + "/agency/requests")
        assert "下浮率" in agency.inner_text(f"[data-test=request-{rid}]")
        no_sideways_scroll(agency)
        agency.fill(f"[data-test=rate-{rid}]", "12.345")  # three decimals: refused
        agency.click(f"[data-test=bid-{rid}]")
        agency.wait_for_selector("text=请填写下浮率")
        # next to its box, in its request's card, with what was typed
        assert "请填写下浮率" in agency.inner_text(f"[data-test=bid-error-{rid}]")
        assert agency.input_value(f"[data-test=rate-{rid}]") == "12.345"
        no_sideways_scroll(agency)
        with app.app_context():
            assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 0
        agency.fill(f"[data-test=rate-{rid}]", "12.5")
        agency.click(f"[data-test=bid-{rid}]")
        agency.wait_for_selector("text=报价已密封提交")
        no_sideways_scroll(agency)
        public = sized_page(browser, site, None, phone=True)
        public.goto(f"{site}/notices/{rid}")
        assert "四舍五入到分" in public.inner_text("[data-test=quote-kind]")
        # the quote's commitment (64 hex digits) wraps instead of widening the page
        assert public.query_selector("[data-test=sealed-note] + ul code") is not None
        no_sideways_scroll(public)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Bid.id))) == 1
