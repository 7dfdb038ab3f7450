"""Refusals, with a message for the person (Chinese msgid, translated where shown)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

# Set by the market (billing.integration): told of every refusal as it is built, so that a
# refusal a view catches and shows still rolls the request back (market.refusal).  Billing's
# logic itself imports nothing from the market.
on_refusal: Callable[[BaseException], None] | None = None


def N_(message: str) -> str:
    """Mark ``message`` for extraction (``pybabel extract -k N_``); translated where shown.

    Billing's own twin of ``market.i18n.N_``, so its logic imports nothing from the market.
    """
    return message


class BillingError(Exception):
    """An operation refused; the ledger is unchanged.  ``message`` is an ``N_()`` msgid with
    ``%(name)s`` placeholders filled from ``params`` after translation; ``field`` names the
    input it is about (``reference``, ``paid_on``…), None for the amount or the whole."""

    def __init__(self, message: str, *, field: str | None = None, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.message = message
        self.field = field
        self.params = params
        if on_refusal is not None:
            on_refusal(self)
