"""Awards in a real browser: a sealed bid from quotes to opening and award; a winner declines
and the alternate confirms; an objection is upheld and the request re-runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from market import timeutil
from market.db import db
from market.selection.award import publicity_end
from market.selection.models import Award, Lottery
from tests.conftest import csrf_token
from tests.selection.conftest import START, City
from tests.support import opening as opening_keys
from tests.support.live import no_sideways_scroll as _no_sideways_scroll
from tests.support.live import open_page as _page
from tests.support.live import sized_page as _sized_page
from tests.support.selection_flow import SEALED
from tests.support.selection_flow import lottery_to_draw as _lottery_to_draw
from tests.support.selection_flow import person as _person
from tests.support.selection_flow import publish as _publish

pytestmark = pytest.mark.browser


def test_sealed_bid_quotes_opening_and_award(browser: Any, city: City, site: str) -> None:
    with timeutil.frozen(START):
        req = _publish(city, **SEALED)
        for agency, amount in zip(city.agencies[:3], ("33000", "29500.5", "36000"), strict=True):
            page = _page(browser, site, agency.email)
            page.click("[data-test=nav-open-requests]")
            page.fill(f"[data-test=request-{req.public_id}] input[name=amount]", amount)
            page.click(f"[data-test=bid-{req.public_id}]")
            page.wait_for_selector("text=报价已密封提交")
            page.context.close()
        anyone = _page(browser, site, None)
        anyone.goto(f"{site}/notices/{req.public_id}")
        assert "29,500.50" not in anyone.content() and "29500.5" not in anyone.content()
        anyone.wait_for_selector("[data-test=sealed-note]")
    with timeutil.frozen(START + timedelta(days=7, minutes=1)):
        # the regulator presents its key (in the browser: tests/selection/test_browser_opening)
        assert opening_keys.present(city.client(city.regulator), req.public_id,
                                    city.regulator_key).status_code == 302
        anyone.goto(f"{site}/notices/{req.public_id}")
        assert anyone.inner_text("[data-test=awarded]") == city.agency_id(city.agencies[1])
        assert len(anyone.query_selector_all("[data-test=bid-row]")) == 3
        winner = _page(browser, site, city.agencies[1].email)
        winner.click("[data-test=nav-awards]")
        winner.click(f"[data-test=confirm-{req.public_id}]")
        winner.wait_for_selector("text=已确认中选")
    with city.app.app_context():
        award = db.session.scalar(sa.select(Award))
        assert award.state == "confirmed" and award.fee_fen == 2_950_050


def test_winner_declines_and_alternate_confirms(browser: Any, city: City, site: str,
                                                tmp_path: Any) -> None:
    rid, _lottery_id = _lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, drawn_at = lot.record["ranking"], lot.drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        page = _page(browser, site, _person(city, ranking[0]).email)
        page.click("[data-test=nav-awards]")
        page.fill("form.decline input[name=reason]", "项目负责人调离")
        page.click(f"[data-test=decline-{rid}]")
        page.wait_for_selector("text=已放弃中选")
        alt = _page(browser, site, _person(city, ranking[1]).email)
        alt.click("[data-test=nav-awards]")
        alt.click(f"[data-test=confirm-{rid}]")
        alt.wait_for_selector("text=已确认中选")
        anyone = _page(browser, site, None)
        anyone.goto(f"{site}/notices/{rid}")
        assert anyone.inner_text("[data-test=awarded]") == ranking[1]


def test_objection_upheld_and_request_reruns(browser: Any, city: City, site: str,
                                             tmp_path: Any) -> None:
    rid, lottery_id = _lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        ranking, drawn_at = lot.record["ranking"], lot.drawn_at
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        page = _page(browser, site, _person(city, ranking[2]).email)
        page.goto(f"{site}/notices/{rid}")
        page.click("[data-test=objection-link]")
        page.fill("textarea[name=text]", "中选机构资质已过期")
        page.click("[data-test=objection-submit]")
        page.wait_for_selector("text=异议已提交")
        reg = _page(browser, site, city.regulator.email)
        reg.click("[data-test=nav-objections]")
        reg.check("form.decide input[value=uphold]")
        reg.fill("form.decide textarea[name=reason]", "中选机构资质确已过期")
        reg.click("[data-test=decide-1]")
        reg.wait_for_selector("text=异议成立：本次选取已作废")
        anyone = _page(browser, site, None)
        anyone.goto(f"{site}/notices/{rid}")
        assert "异议成立" in anyone.inner_text("[data-test=objections]")
    with city.app.app_context():
        lots = db.session.scalars(sa.select(Lottery).order_by(Lottery.id)).all()
        assert [lo.state for lo in lots] == ["void", "open"] and lots[1].replaces == lottery_id


def test_owner_sees_when_the_contract_may_start(browser: Any, city: City, site: str,
                                                tmp_path: Any) -> None:
    """The owner's request page says the contract waits for the result notice's end (and for
    any pending objection), on a desktop and on a phone."""
    rid, _lottery_id = _lottery_to_draw(city, tmp_path)
    with city.app.app_context():
        lot = db.session.scalar(sa.select(Lottery))
        winner, drawn_at = lot.record["ranking"][0], lot.drawn_at
        ends = publicity_end(db.session.scalar(sa.select(Award)))
    with timeutil.frozen(drawn_at + timedelta(hours=1)):
        c = city.client(_person(city, winner))
        assert c.post("/agency/awards/1/confirm",
                      data={"csrf_token": csrf_token(c, "/agency/awards")}).status_code == 302
        for phone in (False, True):
            page = _sized_page(browser, site, city.owner.email, phone=phone)
            page.goto(f"{site}/owner/requests/{rid}")
            text = page.inner_text("[data-test=contract-start]")
            assert "公示期满且没有待处理的异议后，才开始签订合同" in text
            if phone:
                _no_sideways_scroll(page)
            page.screenshot(path=str(tmp_path / f"owner-award-{'390' if phone else '1280'}.png"),
                            full_page=True)
            page.context.close()
    with timeutil.frozen(ends + timedelta(minutes=1)):
        page = _sized_page(browser, site, city.owner.email)
        page.goto(f"{site}/owner/requests/{rid}")
        assert "合同签订时限自" in page.inner_text("[data-test=contract-start]")
        page.context.close()
