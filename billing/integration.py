"""The market's side of billing: the backend chosen by settings, wired to the request's
database session, the audit log and the clock.

``offline`` is the default; setting ``MARKET_STRIPE_SECRET_KEY`` switches to ``stripe``.
``STRIPE_API_BASE`` points the client at a Stripe stand-in (tests); ``STRIPE_HTTP_CLIENT`` (an
object, tests only) replaces the HTTP client inside the same Stripe client.
"""

from __future__ import annotations

from typing import Any

import stripe
from flask import Flask, current_app

from billing import errors
from billing.service import LedgerBilling, OfflineBilling
from billing.stripe_backend import StripeBilling
from market import refusal

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
    from market import timeutil
    from market.accounts import audit
    from market.db import db
    from market.domain.calendar import local_date

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
