"""The ledger's invariant over hypothesis-generated sequences of operations (offline backend):
all balances sum to zero, every transaction balances, the ledger agrees with a simple model,
and every refused operation leaves the ledger exactly as it was."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from flask import Flask
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from billing import ledger
from billing.errors import BillingError
from billing.interface import EngagementRef
from billing.models import (
    BillingAccount,
    BillingEngagement,
    LedgerEntry,
    LedgerTransaction,
    Payment,
)
from billing.service import OfflineBilling
from market import timeutil
from market.db import db
from market.domain.calendar import local_date
from tests.billing.conftest import create_parties

FEE_BP = 250
amounts = st.integers(min_value=1, max_value=2_000_000)


@dataclass
class Model:
    owner: int
    fee: int
    outstanding: int
    paid: int = 0
    refunded: int = 0
    accepted: bool = False
    cancelled: bool = False
    released: bool = False
    paid_out: bool = False


def test_balances_always_sum_to_zero(app: Flask) -> None:
    parties = create_parties(app)
    owners = [parties.owner, parties.other_owner]
    agencies = [parties.agency, parties.other_agency]

    class Ledger(RuleBasedStateMachine):
        engagements = Bundle("engagements")

        def __init__(self) -> None:
            super().__init__()
            self.ctx = app.app_context()
            self.ctx.push()
            for table in (LedgerEntry, Payment, LedgerTransaction, BillingAccount,
                          BillingEngagement):
                db.session.execute(sa.delete(table))
            db.session.commit()
            self.billing = OfflineBilling(db.session, audit=lambda *a: None, clock=timeutil.now,
                                          fee_basis_points=FEE_BP, local_date=local_date)
            self.model: dict[int, Model] = {}
            self.next_id = 1
            self.refs = 0

        def teardown(self) -> None:
            db.session.rollback()
            self.ctx.pop()

        def attempt(self, ok: bool, action: object) -> None:
            """Run ``action``; it must succeed iff the model says so, and a refusal must leave
            every balance and the transaction count as they were."""
            before = (ledger.balances(db.session), db.session.query(LedgerTransaction).count())
            try:
                action()  # type: ignore[operator]
            except BillingError:
                db.session.rollback()
                assert not ok, "refused an operation the model allows"
                after = (ledger.balances(db.session),
                         db.session.query(LedgerTransaction).count())
                assert after == before
                return
            db.session.commit()
            assert ok, "allowed an operation the model refuses"

        @initialize()
        def start(self) -> None:
            pass

        @rule(target=engagements, owner=st.sampled_from(owners),
              agency=st.sampled_from(agencies), fee=amounts)
        def open(self, owner: int, agency: int, fee: int) -> int:
            eid, self.next_id = self.next_id, self.next_id + 1
            self.billing.open_engagement(EngagementRef(eid, owner, agency, fee))
            db.session.commit()
            self.model[eid] = Model(owner=owner, fee=fee, outstanding=fee)
            return eid

        @rule(eid=engagements, amount=amounts)
        def pay(self, eid: int, amount: int) -> None:
            m = self.model[eid]
            ok = not m.cancelled and 0 < amount <= m.outstanding
            self.refs += 1
            self.attempt(ok, lambda: self.billing.record_offline_payment(
                eid, reference=f"REF{self.refs}", paid_on=timeutil.today_local(),
                amount_fen=amount))
            if ok:
                m.outstanding -= amount
                m.paid += amount

        @rule(eid=engagements)
        def pay_the_rest(self, eid: int) -> None:
            self.pay(eid, self.model[eid].outstanding or 1)

        @rule(eid=engagements)
        def accept(self, eid: int) -> None:
            m = self.model[eid]
            self.attempt(not m.cancelled, lambda: self.billing.mark_accepted(eid))
            m.accepted = m.accepted or not m.cancelled

        @rule(eid=engagements)
        def release(self, eid: int) -> None:
            m = self.model[eid]
            ok = m.accepted and not m.cancelled and not m.released and m.outstanding == 0
            self.attempt(ok, lambda: self.billing.release(eid))
            m.released = m.released or ok

        @rule(eid=engagements)
        def payout(self, eid: int) -> None:
            m = self.model[eid]
            ok = m.released and not m.paid_out
            self.attempt(ok, lambda: self.billing.confirm_payout(eid))
            m.paid_out = m.paid_out or ok

        @rule(eid=engagements)
        def cancel(self, eid: int) -> None:
            m = self.model[eid]
            self.attempt(not m.cancelled, lambda: self.billing.cancel(eid))
            if not m.cancelled:
                m.cancelled, m.outstanding = True, 0

        @rule(eid=engagements, amount=amounts)
        def refund(self, eid: int, amount: int) -> None:
            m = self.model[eid]
            ok = m.cancelled and amount <= m.paid - m.refunded
            self.attempt(ok, lambda: self.billing.refund(eid, amount))
            if ok:
                m.refunded += amount

        @invariant()
        def balanced(self) -> None:
            assert ledger.total(db.session) == 0
            assert ledger.unbalanced_transactions(db.session) == []

        @invariant()
        def agrees_with_the_model(self) -> None:
            for eid, m in self.model.items():
                assert self.billing.outstanding(eid) == m.outstanding
                summary = self.billing.summary(eid)
                assert (summary.paid_fen, summary.refunded_fen) == (m.paid, m.refunded)
                # What was paid and not refunded is held, released to the agency or fee.
                assert m.paid - m.refunded == (summary.held_fen + summary.released_net_fen
                                               + summary.platform_fee_fen)
                assert summary.held_fen >= 0
            # the list pages' reading of all of them at once says the same
            rows = db.session.scalars(sa.select(BillingEngagement).where(
                BillingEngagement.id.in_(list(self.model)))).all()
            assert self.billing.summaries(rows) == {
                eid: self.billing.summary(eid) for eid in self.model}
            for owner in owners:
                owed = sum(m.outstanding for m in self.model.values() if m.owner == owner)
                assert self.billing.balance(ledger.owner_key(owner)) == -owed

    run_state_machine_as_test(Ledger, settings=settings(
        max_examples=40, stateful_step_count=25, deadline=None))


@pytest.mark.parametrize("text,fen", [("1", 100), ("1,234.5", 123450), ("0.01", 1),
                                      ("¥88.80元", 8880)])
def test_yuan_are_read_to_fen(text: str, fen: int) -> None:
    from billing.money import yuan_to_fen

    assert yuan_to_fen(text) == fen


@pytest.mark.parametrize("text", ["", "0", "-1", "1.234", "abc", "1e5"])
def test_bad_amounts_are_refused(text: str) -> None:
    from billing.money import yuan_to_fen

    with pytest.raises(BillingError):
        yuan_to_fen(text)
