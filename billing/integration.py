"""The market's side of billing: the backend chosen by settings, wired to the request's
database session, the audit log and the clock; the release of paid, accepted fees.

``offline`` is the default; setting ``MARKET_STRIPE_SECRET_KEY`` switches to ``stripe``.
``STRIPE_API_BASE`` points the client at a Stripe stand-in (tests); ``STRIPE_HTTP_CLIENT`` (an
object, tests only) replaces the HTTP client inside the same Stripe client.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import stripe
from flask import Flask, current_app

from billing import errors
from billing.errors import BillingError
from billing.models import BillingEngagement
from billing.service import LedgerBilling, OfflineBilling
from billing.stripe_backend import StripeBilling
from market import refusal, timeutil
from market.accounts import audit
from market.db import db
from market.domain.calendar import local_date

# A billing refusal rolls the market's request back like any operation's (market.refusal).
errors.on_refusal = refusal.note


def stripe_client(config: dict[str, Any]) -> stripe.StripeClient:
    options: dict[str, Any] = {"max_network_retries": 0}
    if config.get("STRIPE_API_BASE"):
        options["base_addresses"] = {"api": config["STRIPE_API_BASE"]}
    if config.get("STRIPE_HTTP_CLIENT") is not None:
        options["http_client"] = config["STRIPE_HTTP_CLIENT"]
    return stripe.StripeClient(str(config["STRIPE_SECRET_KEY"]), **options)


def backend(app: Flask | None = None) -> LedgerBilling:
    """The configured backend for this app, on the current session."""
    app = app or current_app
    config = app.config
    common: dict[str, Any] = {
        "audit": audit.record,
        "clock": timeutil.now,
        "local_date": local_date,
        "fee_basis_points": int(config.get("PLATFORM_FEE_BASIS_POINTS", 0)),
    }
    if config.get("STRIPE_SECRET_KEY"):
        client = app.extensions.get("billing.stripe_client")
        if client is None:
            client = app.extensions["billing.stripe_client"] = stripe_client(config)
        return StripeBilling(db.session, client=client,
                             currency=str(config.get("BILLING_CURRENCY", "cny")), **common)
    return OfflineBilling(db.session, **common)


def release_if_paid(engagement_id: int) -> bool:
    """Release the fee to the agency if the engagement is accepted and paid in full (offline:
    the owner records the transfer on the billing page first).  Idempotent; False if not yet
    (or if its contract was never confirmed: billing has no record of it then)."""
    if db.session.get(BillingEngagement, engagement_id) is None:
        return False
    billing = backend()
    summary = billing.summary(engagement_id)
    if not summary.accepted or summary.outstanding_fen > 0 or \
            summary.status in ("released", "paid_out", "cancelled"):
        return False
    try:
        billing.release(engagement_id)
    except BillingError as error:
        refusal.recovered(error)  # not yet releasable: what called this still commits
        return False
    return True


def release_paid() -> int:
    """Periodic (``flask clocks tick``): release every accepted fee paid in full since its
    acceptance, each in its own savepoint.  Returns how many were released."""
    released = 0
    for engagement_id in db.session.scalars(sa.select(BillingEngagement.id).where(
            BillingEngagement.accepted_at.is_not(None), BillingEngagement.released_at.is_(None),
            BillingEngagement.cancelled_at.is_(None)).order_by(BillingEngagement.id)).all():
        with db.session.begin_nested():
            if release_if_paid(engagement_id):
                released += 1
    return released
