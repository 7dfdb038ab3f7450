"""The small interface the market calls (结算接口), and the plain values it passes.

Engagements are the market's; billing knows one only by an :class:`EngagementRef` (the
engagement id, the owner and agency organisation ids and the fee), given once at contract.
Every operation adds to the caller's database transaction and never commits: the request that
calls it commits once, with the audit events billing wrote through its ``audit`` hook.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session, scoped_session

# audit(tag, target, details) — the market passes ``market.accounts.audit.record``.
AuditHook = Callable[[str, str, dict[str, Any]], object]
Clock = Callable[[], datetime]
# The calendar day of a time where the money moves (the market: Asia/Shanghai); bounds the
# date a payment may carry.
LocalDate = Callable[[datetime], date]
# A plain session, or Flask-SQLAlchemy's request-scoped one.
DbSession = Session | scoped_session[Any]


@dataclass(frozen=True)
class EngagementRef:
    """What billing needs to know about an engagement (委托) when its contract is signed."""

    engagement_id: int
    owner_org_id: int
    agency_org_id: int
    fee_fen: int


@dataclass(frozen=True)
class OnlinePayment:
    """A started online payment: the browser confirms it with ``client_secret``."""

    payment_id: int
    client_secret: str
    amount_fen: int


@dataclass(frozen=True)
class EngagementSummary:
    """Where an engagement's money stands, read from the ledger."""

    engagement_id: int
    owner_org_id: int
    agency_org_id: int
    fee_fen: int
    outstanding_fen: int  # still due from the owner
    paid_fen: int  # received from the owner, all payments
    held_fen: int  # held by the platform now
    refunded_fen: int
    released_net_fen: int  # released to the agency, after the platform fee
    platform_fee_fen: int
    status: str  # awaiting_payment | partly_paid | funded | released | paid_out | cancelled
    accepted: bool


@dataclass(frozen=True)
class StatementLine:
    transaction_id: int
    at: datetime
    engagement_id: int | None
    kind: str
    amount_fen: int  # the change on the organisation's own account (may be 0 for owners)
    headline_fen: int  # the transaction's amount
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Statement:
    """An organisation's statement (对账单): its engagements' transactions and its balance."""

    org_id: int
    account_key: str
    balance_fen: int
    lines: list[StatementLine]


class BillingBackend(Protocol):
    """What the market may ask of billing.  Refusals raise :class:`billing.errors.BillingError`
    and leave the ledger unchanged."""

    name: str

    def open_engagement(self, ref: EngagementRef) -> None:
        """At contract: the fee falls due from the owner."""

    def record_offline_payment(
        self, engagement_id: int, *, reference: str, paid_on: date, amount_fen: int
    ) -> int:
        """The owner's finance user records a treasury or bank transfer; returns the payment id."""

    def start_online_payment(self, engagement_id: int) -> OnlinePayment:
        """Start paying what is outstanding online (Stripe only)."""

    def mark_accepted(self, engagement_id: int) -> None:
        """The market says the engagement's deliverable is accepted (验收); release may follow."""

    def release(self, engagement_id: int) -> None:
        """At acceptance: release the held funds to the agency, less the platform fee."""

    def cancel(self, engagement_id: int) -> None:
        """The engagement is cancelled: what is unpaid is no longer owed; no more payments."""

    def refund(self, engagement_id: int, amount_fen: int) -> None:
        """Return ``amount_fen`` of what was paid to the owner (taken back from the agency if
        already released)."""

    def confirm_payout(self, engagement_id: int) -> None:
        """The agency confirms it received the released money (offline)."""

    def summary(self, engagement_id: int) -> EngagementSummary: ...

    def summaries(self, engagements: Sequence[Any]) -> dict[int, EngagementSummary]:
        """:meth:`summary` of each of a list of engagements (billing rows), read at once."""

    def statement(self, org_id: int, only: Collection[int] | None = None) -> Statement:
        """The organisation's statement; ``only``: of these of its engagements only, with
        their balance (an owner's delegate, 采购受托人, sees its assigned projects')."""

    def balance(self, account_key: str) -> int: ...
