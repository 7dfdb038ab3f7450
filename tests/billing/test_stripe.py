"""The Stripe backend against localstripe (payments, declines, 3-D Secure, refunds, signed
webhooks delivered by localstripe to the app on loopback).

Transfers and their reversals go through the fake Connect client in ``fake_connect.py``:
localstripe has no Connect and ignores idempotency keys, so the keys are checked on what the
client sent.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from typing import Any

import pytest
import requests
import stripe

from billing.errors import BillingError
from billing.models import Payment, WebhookEvent
from market.db import db
from tests.billing.conftest import (
    WEBHOOK_SECRET,
    StripeSite,
    assert_ledger_balanced,
    create_parties,
    ledger_snapshot,
    link_agency,
    open_engagement,
    pay_as_browser,
    with_backend,
)


def _start(site: StripeSite, fee: int = 800_00) -> tuple[int, Any]:
    parties = create_parties(site.app)
    link_agency(site.app, parties.agency)
    eid = open_engagement(site.app, parties, fee)
    return eid, with_backend(site.app, lambda b: b.start_online_payment(eid))


def _signed(payload: bytes, secret: str = WEBHOOK_SECRET, at: int | None = None) -> str:
    at = int(time.time()) if at is None else at
    mac = hmac.new(secret.encode(), b"%d.%s" % (at, payload), hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def _event(event_id: str, kind: str, intent_id: str, amount: int) -> bytes:
    return json.dumps({"id": event_id, "object": "event", "type": kind, "api_version": "2017-08-15",
                       "created": int(time.time()),
                       "data": {"object": {"id": intent_id, "object": "payment_intent",
                                           "amount": amount, "metadata": {}}}}).encode()


def _post(site: StripeSite, payload: bytes, signature: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    try:
        return session.post(site.url + "/billing/stripe/webhook", data=payload,
                            headers={"Stripe-Signature": signature,
                                     "Content-Type": "application/json"})
    finally:
        session.close()


def test_stripe_payment_intent_carries_the_engagement(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    sent = stripe_site.http.by_path("/v1/payment_intents")[0]
    assert sent.params["transfer_group"] == f"eng-{eid}"
    assert sent.params["metadata[engagement_id]"] == str(eid)
    assert sent.params["amount"] == "80000" and sent.params["currency"] == "cny"
    assert sent.idempotency_key == f"eng-{eid}-pay-1"
    # Asking again while it is still open reuses the same PaymentIntent.
    again = with_backend(stripe_site.app, lambda b: b.start_online_payment(eid))
    assert again.client_secret == started.client_secret


def test_stripe_funded_only_by_the_signed_webhook(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    intent = pay_as_browser(stripe_site, started.client_secret, "pm_card_visa")
    assert intent.status == "succeeded"
    # The browser's answer changed nothing: localstripe's webhook comes a second later.
    summary = with_backend(stripe_site.app, lambda b: b.summary(eid))
    assert summary.paid_fen == 0
    assert stripe_site.wait_for_payment(started.payment_id) == "succeeded"
    assert with_backend(stripe_site.app, lambda b: b.summary(eid)).status == "funded"
    assert_ledger_balanced(stripe_site.app)


def test_stripe_declined_card_leaves_the_ledger_unchanged(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    before = ledger_snapshot(stripe_site.app)
    with pytest.raises(stripe.CardError):
        pay_as_browser(stripe_site, started.client_secret, "pm_card_chargeCustomerFail")
    assert stripe_site.wait_for_payment(started.payment_id) == "failed"
    assert ledger_snapshot(stripe_site.app) == before


def test_stripe_3d_secure_funds_after_authentication(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    card = stripe_site.client.v1.payment_methods.create(params={
        "type": "card", "card": {"number": "4000000000003220", "exp_month": 12,
                                 "exp_year": 2030, "cvc": "123"}})
    intent = pay_as_browser(stripe_site, started.client_secret, card.id)
    assert intent.status == "requires_action"
    time.sleep(1.5)  # nothing arrives while authentication is pending
    assert with_backend(stripe_site.app, lambda b: b.summary(eid)).paid_fen == 0
    session = requests.Session()
    session.trust_env = False
    response = session.post(
        f"{stripe_site.localstripe}/v1/payment_intents/{intent.id}/_authenticate",
        data={"client_secret": started.client_secret, "success": "true"},
        auth=("sk_test_market", ""))
    session.close()
    assert response.status_code == 200, response.text
    assert stripe_site.wait_for_payment(started.payment_id) == "succeeded"
    assert with_backend(stripe_site.app, lambda b: b.summary(eid)).paid_fen == 800_00


def test_stripe_manual_capture_at_localstripe_funds_on_capture(stripe_site: StripeSite) -> None:
    """Capture as localstripe does it: the succeeded webhook comes with the capture."""
    eid, started = _start(stripe_site)
    client = stripe_site.client
    intent = client.v1.payment_intents.create(params={
        "amount": 800_00, "currency": "cny", "capture_method": "manual",
        "payment_method": "pm_card_visa", "metadata": {"engagement_id": str(eid)}})
    with stripe_site.app.app_context():  # as if our backend had started this one
        payment = db.session.get(Payment, started.payment_id)
        assert payment is not None
        payment.reference = intent.id
        db.session.commit()
    assert client.v1.payment_intents.confirm(intent.id).status == "requires_capture"
    time.sleep(1.5)
    assert with_backend(stripe_site.app, lambda b: b.summary(eid)).paid_fen == 0
    assert client.v1.payment_intents.capture(intent.id).status == "succeeded"
    assert stripe_site.wait_for_payment(started.payment_id) == "succeeded"


def test_stripe_release_transfers_with_a_fixed_key(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    pay_as_browser(stripe_site, started.client_secret, "pm_card_visa")
    stripe_site.wait_for_payment(started.payment_id)
    with_backend(stripe_site.app, lambda b: b.mark_accepted(eid))
    with_backend(stripe_site.app, lambda b: b.release(eid))
    transfer = stripe_site.http.by_path("/v1/transfers")[0]
    assert transfer.idempotency_key == f"eng-{eid}-release"
    assert transfer.params["transfer_group"] == f"eng-{eid}"
    assert transfer.params["amount"] == "80000"
    assert with_backend(stripe_site.app, lambda b: b.summary(eid)).status == "paid_out"


def test_stripe_failed_transfer_leaves_the_ledger_unchanged(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    pay_as_browser(stripe_site, started.client_secret, "pm_card_visa")
    stripe_site.wait_for_payment(started.payment_id)
    with_backend(stripe_site.app, lambda b: b.mark_accepted(eid))
    stripe_site.http.fail_transfers = True
    before = ledger_snapshot(stripe_site.app)
    with pytest.raises(BillingError, match="支付平台拒绝"):
        with_backend(stripe_site.app, lambda b: b.release(eid))
    assert ledger_snapshot(stripe_site.app) == before


def test_stripe_cancellation_refunds_at_localstripe(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    pay_as_browser(stripe_site, started.client_secret, "pm_card_visa")
    stripe_site.wait_for_payment(started.payment_id)
    with_backend(stripe_site.app, lambda b: b.cancel(eid))
    with_backend(stripe_site.app, lambda b: b.refund(eid, 300_00))
    intent_id = started.client_secret.split("_secret_")[0]
    refunds = stripe_site.client.v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.amount for r in refunds.data] == [300_00]
    sent = stripe_site.http.by_path("/v1/refunds")[0]
    assert sent.idempotency_key == f"eng-{eid}-refund-{started.payment_id}-0"
    assert_ledger_balanced(stripe_site.app)


def test_stripe_cancellation_cancels_an_open_payment(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    with_backend(stripe_site.app, lambda b: b.cancel(eid))
    intent_id = started.client_secret.split("_secret_")[0]
    assert stripe_site.client.v1.payment_intents.retrieve(intent_id).status == "canceled"


def test_stripe_forged_or_stale_signature_is_refused(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    intent_id = started.client_secret.split("_secret_")[0]
    payload = _event("evt_forged", "payment_intent.succeeded", intent_id, 800_00)
    before = ledger_snapshot(stripe_site.app)
    assert _post(stripe_site, payload, _signed(payload, "whsec_wrong")).status_code == 400
    stale = _signed(payload, at=int(time.time()) - 301)
    assert _post(stripe_site, payload, stale).status_code == 400
    assert _post(stripe_site, payload, "").status_code == 400
    tampered = payload.replace(b"80000", b"90000")
    assert _post(stripe_site, tampered, _signed(payload)).status_code == 400
    assert ledger_snapshot(stripe_site.app) == before
    with stripe_site.app.app_context():
        assert db.session.get(WebhookEvent, "evt_forged") is None


def test_stripe_replayed_and_late_events_change_nothing(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    intent_id = started.client_secret.split("_secret_")[0]
    ok = _event("evt_ok_1", "payment_intent.succeeded", intent_id, 800_00)
    response = _post(stripe_site, ok, _signed(ok))
    assert response.json()["outcome"] == "funded"
    after = ledger_snapshot(stripe_site.app)
    assert _post(stripe_site, ok, _signed(ok)).json()["outcome"] == "replayed"
    late = _event("evt_failed_late", "payment_intent.payment_failed", intent_id, 800_00)
    assert _post(stripe_site, late, _signed(late)).json()["outcome"] == "already_succeeded"
    unknown = _event("evt_other", "payment_intent.succeeded", "pi_not_ours", 800_00)
    assert _post(stripe_site, unknown, _signed(unknown)).json()["outcome"] == "ignored"
    assert ledger_snapshot(stripe_site.app) == after


def test_stripe_success_for_a_cancelled_engagement_is_refunded(stripe_site: StripeSite) -> None:
    eid, started = _start(stripe_site)
    intent_id = started.client_secret.split("_secret_")[0]
    with stripe_site.app.app_context():  # the cancel did not reach Stripe in time
        from billing.models import BillingEngagement
        from market import timeutil

        eng = db.session.get(BillingEngagement, eid)
        assert eng is not None
        eng.cancelled_at = timeutil.now()
        db.session.commit()
    pay_as_browser(stripe_site, started.client_secret, "pm_card_visa")
    assert stripe_site.wait_for_payment(started.payment_id) == "succeeded"
    summary = with_backend(stripe_site.app, lambda b: b.summary(eid))
    assert (summary.paid_fen, summary.refunded_fen, summary.held_fen) == (800_00, 800_00, 0)
    refunds = stripe_site.client.v1.refunds.list(params={"payment_intent": intent_id})
    assert [r.amount for r in refunds.data] == [800_00]
    assert_ledger_balanced(stripe_site.app)


def test_stripe_release_needs_a_connected_account(stripe_site: StripeSite) -> None:
    parties = create_parties(stripe_site.app)
    eid = open_engagement(stripe_site.app, parties, 100_00)
    started = with_backend(stripe_site.app, lambda b: b.start_online_payment(eid))
    pay_as_browser(stripe_site, started.client_secret, "pm_card_visa")
    stripe_site.wait_for_payment(started.payment_id)
    with_backend(stripe_site.app, lambda b: b.mark_accepted(eid))
    with pytest.raises(BillingError, match="尚未绑定在线收款账户"):
        with_backend(stripe_site.app, lambda b: b.release(eid))
    link_agency(stripe_site.app, parties.agency)
    with_backend(stripe_site.app, lambda b: b.release(eid))


def test_the_guard_refuses_the_internet() -> None:
    import socket

    with pytest.raises(AssertionError, match="must not reach"):
        socket.create_connection(("192.0.2.1", 443), timeout=0.1)
