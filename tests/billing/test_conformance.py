"""The same conformance tests for both backends (node ids carry ``offline`` or ``stripe``).

Paying differs by nature: offline, the owner's finance user records a transfer reference;
with Stripe, the owner's browser confirms a PaymentIntent at localstripe and the engagement is
funded only when localstripe's signed ``payment_intent.succeeded`` webhook reaches the app.
Transfers to agencies go through the fake Connect client (localstripe has no Connect).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from billing import ledger
from billing.errors import BillingError
from billing.models import LedgerTransaction
from market.db import db
from market.timeutil import today_local
from tests.billing.conftest import (
    Parties,
    StripeSite,
    assert_ledger_balanced,
    create_parties,
    ledger_snapshot,
    link_agency,
    open_engagement,
    pay_as_browser,
    with_backend,
)
from tests.conftest import make_app

_refs = itertools.count(1)


class Driver:
    name = "offline"

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.parties: Parties = create_parties(app)

    def open(self, fee_fen: int = 1_234_56) -> int:
        return open_engagement(self.app, self.parties, fee_fen)

    def pay(self, eid: int, amount_fen: int | None = None) -> None:
        """Pay what is outstanding (or ``amount_fen``); BillingError when refused."""
        amount = amount_fen or with_backend(self.app, lambda b: b.outstanding(eid)) or 1
        with_backend(self.app, lambda b: b.record_offline_payment(
            eid, reference=f"GK2026-{next(_refs):06d}", paid_on=today_local(),
            amount_fen=amount))

    def after_release(self, eid: int) -> None:
        with_backend(self.app, lambda b: b.confirm_payout(eid))


class StripeDriver(Driver):
    name = "stripe"

    def __init__(self, site: StripeSite) -> None:
        super().__init__(site.app)
        self.site = site
        link_agency(site.app, self.parties.agency)

    def pay(self, eid: int, amount_fen: int | None = None) -> None:
        started = with_backend(self.app, lambda b: b.start_online_payment(eid))
        assert amount_fen in (None, started.amount_fen)
        pay_as_browser(self.site, started.client_secret, "pm_card_visa")
        assert self.site.wait_for_payment(started.payment_id) == "succeeded"

    def after_release(self, eid: int) -> None:
        """The transfer was the payout: confirming again is refused like a second confirm."""
        with pytest.raises(BillingError, match="已确认收款"):
            with_backend(self.app, lambda b: b.confirm_payout(eid))


@pytest.fixture(params=["offline", "stripe"])
def driver(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Driver]:
    if request.param == "offline":
        app = make_app(tmp_path, PLATFORM_FEE_BASIS_POINTS=100)
        yield Driver(app)
        with app.app_context():
            db.engine.dispose()
    else:
        site: StripeSite = request.getfixturevalue("stripe_site")
        site.app.config["PLATFORM_FEE_BASIS_POINTS"] = 100
        yield StripeDriver(site)


def _balances(app: Flask) -> dict[str, int]:
    with app.app_context():
        return {k: v for k, v in ledger.balances(db.session).items() if v}


def test_an_engagement_is_paid_released_and_settled(driver: Driver) -> None:
    p, eid = driver.parties, driver.open(1_000_00)
    assert _balances(driver.app) == {f"owner:{p.owner}": -1_000_00, f"contract:{eid}": 1_000_00}
    driver.pay(eid)
    assert _balances(driver.app) == {f"held:{eid}": 1_000_00, "external": -1_000_00}
    with_backend(driver.app, lambda b: b.mark_accepted(eid))
    with_backend(driver.app, lambda b: b.release(eid))
    driver.after_release(eid)
    # 1% platform fee: 10.00 yuan stays with the platform, the agency got 990.00.
    assert _balances(driver.app) == {"platform": 10_00, "external": -10_00}
    summary = with_backend(driver.app, lambda b: b.summary(eid))
    assert (summary.status, summary.released_net_fen, summary.platform_fee_fen) == (
        "paid_out", 990_00, 10_00)
    statement = with_backend(driver.app, lambda b: b.statement(p.agency))
    assert [line.kind for line in statement.lines] == [
        "due", "funded", "released", "platform_fee", "payout"]
    assert statement.balance_fen == 0
    assert_ledger_balanced(driver.app)


def test_release_before_acceptance_is_refused(driver: Driver) -> None:
    eid = driver.open()
    driver.pay(eid)
    before = ledger_snapshot(driver.app)
    with pytest.raises(BillingError, match="尚未验收"):
        with_backend(driver.app, lambda b: b.release(eid))
    assert ledger_snapshot(driver.app) == before


def test_release_before_full_payment_is_refused(driver: Driver) -> None:
    eid = driver.open()
    with_backend(driver.app, lambda b: b.mark_accepted(eid))
    before = ledger_snapshot(driver.app)
    with pytest.raises(BillingError, match="尚未足额付款"):
        with_backend(driver.app, lambda b: b.release(eid))
    assert ledger_snapshot(driver.app) == before


def test_paying_a_cancelled_engagement_is_refused(driver: Driver) -> None:
    eid = driver.open()
    with_backend(driver.app, lambda b: b.cancel(eid))
    before = ledger_snapshot(driver.app)
    with pytest.raises(BillingError, match="委托已取消，不能再付款"):
        driver.pay(eid, 1_00)
    assert ledger_snapshot(driver.app) == before
    assert _balances(driver.app) == {}  # the unpaid fee was written off
    assert_ledger_balanced(driver.app)


def test_paying_again_once_paid_in_full_is_refused(driver: Driver) -> None:
    eid = driver.open()
    driver.pay(eid)
    before = ledger_snapshot(driver.app)
    with pytest.raises(BillingError, match="已全额付清"):
        driver.pay(eid, 1_00)
    assert ledger_snapshot(driver.app) == before


def test_cancellation_refunds_what_was_paid_and_no_more(driver: Driver) -> None:
    eid = driver.open(500_00)
    driver.pay(eid)
    with_backend(driver.app, lambda b: b.cancel(eid))
    before = ledger_snapshot(driver.app)
    with pytest.raises(BillingError, match="超过已付未退"):
        with_backend(driver.app, lambda b: b.refund(eid, 500_01))
    assert ledger_snapshot(driver.app) == before
    with_backend(driver.app, lambda b: b.refund(eid, 200_00))
    with_backend(driver.app, lambda b: b.refund(eid, 300_00))
    assert _balances(driver.app) == {}
    summary = with_backend(driver.app, lambda b: b.summary(eid))
    assert (summary.status, summary.refunded_fen, summary.held_fen) == ("cancelled", 500_00, 0)
    assert_ledger_balanced(driver.app)


def test_refund_after_release_takes_the_money_back_from_the_agency(driver: Driver) -> None:
    p, eid = driver.parties, driver.open(1_000_00)
    driver.pay(eid)
    with_backend(driver.app, lambda b: b.mark_accepted(eid))
    with_backend(driver.app, lambda b: b.release(eid))
    driver.after_release(eid)
    with_backend(driver.app, lambda b: b.cancel(eid))
    with_backend(driver.app, lambda b: b.refund(eid, 1_000_00))
    balances = _balances(driver.app)
    if driver.name == "stripe":  # the transfer was reversed at Stripe
        assert balances == {}
    else:  # offline, the agency now owes back what it was paid
        assert balances == {f"agency:{p.agency}": -990_00, "external": 990_00}
    with driver.app.app_context():
        kinds = [t.kind for t in db.session.query(LedgerTransaction).filter_by(
            engagement_id=eid).order_by(LedgerTransaction.id)]
    assert kinds[-2:] == ["reversal", "refunded"]
    assert_ledger_balanced(driver.app)


def test_an_unknown_engagement_is_refused(driver: Driver) -> None:
    with pytest.raises(BillingError, match="没有这项委托"):
        with_backend(driver.app, lambda b: b.release(987654))
