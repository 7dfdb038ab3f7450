"""The Stripe backend (在线支付): separate charges and transfers.

The owner pays the platform through a PaymentIntent whose ``transfer_group`` is ``eng-<id>``
and whose metadata carries the engagement id.  The engagement is funded only by the signed
``payment_intent.succeeded`` webhook (:meth:`StripeBilling.handle_event`), never by the browser's
redirect.  On release a Transfer goes to the agency's connected account; on cancellation the
payments are refunded, and the transfer reversed if it was already made.  Every call that moves
money carries a fixed idempotency key (``eng-<id>-release``…), so a retried request after a
failed commit gets Stripe's first answer instead of paying twice.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import stripe

from billing import ledger
from billing.errors import N_, BillingError
from billing.interface import AuditHook, Clock, DbSession, LocalDate, OnlinePayment
from billing.models import (
    BillingEngagement,
    ConnectedAccount,
    LedgerTransaction,
    Payment,
    PaymentStatus,
    TxnKind,
    WebhookEvent,
)
from billing.service import LedgerBilling, utc_date

# PaymentIntent states in which the owner can still complete the payment.
_OPEN = ("requires_payment_method", "requires_confirmation", "requires_action")


def _refused(error: stripe.StripeError) -> BillingError:
    detail = error.user_message or str(error) or type(error).__name__
    return BillingError(N_("支付平台拒绝了这笔操作：%(detail)s"), detail=detail)


class StripeBilling(LedgerBilling):
    name = "stripe"

    def __init__(self, session: DbSession, *, audit: AuditHook, clock: Clock,
                 client: stripe.StripeClient, currency: str = "cny",
                 fee_basis_points: int = 0, local_date: LocalDate = utc_date) -> None:
        super().__init__(session, audit=audit, clock=clock, fee_basis_points=fee_basis_points,
                         local_date=local_date)
        self.client = client
        self.currency = currency

    # --- agencies' connected accounts ---------------------------------------------------------

    def link_agency_account(self, agency_org_id: int, stripe_account_id: str) -> None:
        """Operator or onboarding: store the agency's connected account (``acct_…``)."""
        row = self.session.get(ConnectedAccount, agency_org_id)
        if row is None:
            row = ConnectedAccount(agency_org_id=agency_org_id, created_at=self.clock())
            self.session.add(row)
        row.stripe_account_id = stripe_account_id
        self.audit("billing:agency:connected_account", f"organisation:{agency_org_id}",
                   {"stripe_account": stripe_account_id})

    # --- paying -----------------------------------------------------------------------------

    def start_online_payment(self, engagement_id: int) -> OnlinePayment:
        """Owner: start paying what is outstanding; reuses a still-open PaymentIntent."""
        eng = self._engagement(engagement_id)
        amount = self.outstanding(eng.id)
        self._check_payable(eng, amount)
        stripe_payments = [p for p in eng.payments if p.method == "stripe"]
        for payment in stripe_payments:
            if payment.status == PaymentStatus.PENDING.value and payment.amount_fen == amount:
                try:
                    intent = self.client.v1.payment_intents.retrieve(payment.reference)
                except stripe.StripeError as error:
                    raise _refused(error) from error
                if intent.status in _OPEN and intent.client_secret:
                    return OnlinePayment(payment.id, intent.client_secret, amount)
        try:
            intent = self.client.v1.payment_intents.create(
                params={
                    "amount": amount,
                    "currency": self.currency,
                    "transfer_group": f"eng-{eng.id}",
                    "metadata": {"engagement_id": str(eng.id)},
                },
                options={"idempotency_key": f"eng-{eng.id}-pay-{len(stripe_payments) + 1}"},
            )
        except stripe.StripeError as error:
            raise _refused(error) from error
        payment = Payment(engagement_id=eng.id, method="stripe", reference=intent.id,
                          amount_fen=amount, refunded_fen=0, status=PaymentStatus.PENDING.value,
                          created_at=self.clock(), fee_fen=eng.fee_fen, credited_fen=0)
        self.session.add(payment)
        self.session.flush()
        self.audit("billing:engagement:payment_started", f"engagement:{eng.id}",
                   {"payment": payment.id, "payment_intent": intent.id, "amount_fen": amount})
        return OnlinePayment(payment.id, intent.client_secret or "", amount)

    # --- webhooks ---------------------------------------------------------------------------

    def handle_event(self, event: stripe.Event) -> str:
        """Apply a verified event once.  Returns what happened (stored with the event id).

        Order does not matter: state only moves forward (a late ``payment_failed`` after a
        ``succeeded`` changes nothing), and an event about a PaymentIntent this database did not
        create is recorded and ignored.
        """
        if self.session.get(WebhookEvent, event.id) is not None:
            return "replayed"
        obj: dict[str, Any] = event.data.object.to_dict()
        outcome = "ignored"
        if event.type.startswith("payment_intent."):
            payment = self.session.scalar(sa.select(Payment).where(
                Payment.method == "stripe", Payment.reference == obj["id"]))
            if payment is not None:
                outcome = self._on_payment_intent(event.type, payment, obj)
        self.session.add(WebhookEvent(id=event.id, type=event.type, received_at=self.clock(),
                                      outcome=outcome))
        self.session.flush()
        return outcome

    def _on_payment_intent(self, kind: str, payment: Payment, intent: dict[str, Any]) -> str:
        # Locked like every ledger write, and the payment read again under the lock: two
        # deliveries, or two PaymentIntents of one engagement succeeding at once, must not both
        # find the fee still owed.
        eng = self._engagement(payment.engagement_id)
        self.session.refresh(payment)
        if payment.status == PaymentStatus.SUCCEEDED.value:
            return "already_succeeded"
        if kind == "payment_intent.succeeded":
            amount = int(intent.get("amount_received") or intent["amount"])
            payment.amount_fen = amount
            # Money that is not owed (a cancelled engagement, or paid twice by two routes)
            # is refunded at once rather than held.
            owed = 0 if eng.cancelled_at is not None else max(0, self.outstanding(eng.id))
            self._fund(eng, payment, amount)
            if amount > owed:
                self._refund_payments(eng, amount - owed, reason="not_owed", only=payment)
                return "funded_and_refunded_excess"
            return "funded"
        if kind == "payment_intent.payment_failed":
            payment.status = PaymentStatus.FAILED.value
            return "failed"
        if kind == "payment_intent.canceled":
            payment.status = PaymentStatus.CANCELED.value
            return "canceled"
        return "ignored"

    # --- hooks ------------------------------------------------------------------------------

    def _pay_agency(self, eng: BillingEngagement, net_fen: int) -> None:
        if net_fen <= 0:
            return
        connected = self.session.get(ConnectedAccount, eng.agency_org_id)
        if connected is None:
            raise BillingError(N_("该中介机构尚未绑定在线收款账户，不能在线结算。"))
        try:
            transfer = self.client.v1.transfers.create(
                params={"amount": net_fen, "currency": self.currency,
                        "destination": connected.stripe_account_id,
                        "transfer_group": f"eng-{eng.id}",
                        "metadata": {"engagement_id": str(eng.id)}},
                options={"idempotency_key": f"eng-{eng.id}-release"},
            )
        except stripe.StripeError as error:
            raise _refused(error) from error
        eng.stripe_transfer_id = transfer.id

    def _after_release(self, eng: BillingEngagement, net_fen: int) -> None:
        # The transfer is the payout: the agency's connected account has the money.
        self._record_payout(eng, transfer=eng.stripe_transfer_id)

    def _after_cancel(self, eng: BillingEngagement) -> None:
        for payment in eng.payments:
            if payment.method != "stripe" or payment.status != PaymentStatus.PENDING.value:
                continue
            try:
                self.client.v1.payment_intents.cancel(
                    payment.reference,
                    options={"idempotency_key": f"eng-{eng.id}-cancel-{payment.reference}"})
            except stripe.StripeError:
                continue  # already final at Stripe: its webhook decides (a late success refunds)
            payment.status = PaymentStatus.CANCELED.value

    def _take_back_from_agency(self, eng: BillingEngagement, amount_fen: int) -> str:
        if amount_fen <= 0:
            return ledger.EXTERNAL
        if eng.stripe_transfer_id is None:
            return ledger.agency_key(eng.agency_org_id)
        reversals = self.session.scalar(sa.select(sa.func.count(LedgerTransaction.id)).where(
            LedgerTransaction.engagement_id == eng.id,
            LedgerTransaction.kind == TxnKind.REVERSAL.value)) or 0
        try:
            self.client.v1.transfers.reversals.create(
                eng.stripe_transfer_id, params={"amount": amount_fen},
                options={"idempotency_key": f"eng-{eng.id}-reversal-{reversals + 1}"})
        except stripe.StripeError as error:
            raise _refused(error) from error
        return ledger.EXTERNAL  # the money came back from the agency's connected account

    def _refund_one(self, eng: BillingEngagement, payment: Payment,
                    amount_fen: int) -> dict[str, Any]:
        if payment.method != "stripe":
            return {}  # an offline payment is returned offline
        try:
            refund = self.client.v1.refunds.create(
                params={"payment_intent": payment.reference, "amount": amount_fen},
                options={"idempotency_key":
                         f"eng-{eng.id}-refund-{payment.id}-{payment.refunded_fen}"})
        except stripe.StripeError as error:
            raise _refused(error) from error
        return {"stripe_refund": refund.id}
