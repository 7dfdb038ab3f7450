"""Billing's tables: the double-entry ledger (总账) and what billing remembers about engagements.

They sit on the application's declarative base so one Alembic history covers them; this is the
only import billing's models take from the market.  Amounts are integer fen.  An account's
balance is the sum of its entries: positive means value sits in it (funds held, a payable to an
agency, revenue), negative means it owes or has given (an owner's unpaid fee, money that came in
from outside).  Every transaction's entries sum to zero, so all balances together always do.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class AccountKind(enum.StrEnum):
    """The ledger's accounts (科目)."""

    OWNER = "owner"  # per owner organisation: negative = fee still owed
    CONTRACT = "contract"  # per engagement: fee due under the contract, not yet paid
    HELD = "held"  # per engagement: funds held by the platform (托管资金)
    AGENCY = "agency"  # per agency organisation: released to it, not yet paid out
    PLATFORM = "platform"  # platform revenue (平台服务费)
    EXTERNAL = "external"  # the outside world: banks, treasury, Stripe (clearing)


class TxnKind(enum.StrEnum):
    """What a ledger transaction records (记账类型)."""

    DUE = "due"  # the fee falls due at contract
    FUNDED = "funded"  # the owner paid (offline reference or Stripe)
    RELEASED = "released"  # held funds released to the agency at acceptance
    PLATFORM_FEE = "platform_fee"  # the platform's share taken from the release
    PAYOUT = "payout"  # the agency received its money (confirmed, or a Stripe transfer)
    WRITTEN_OFF = "written_off"  # unpaid fee of a cancelled engagement is no longer owed
    REVERSAL = "reversal"  # released money taken back to refund the owner
    REFUNDED = "refunded"  # money returned to the owner


# Ledger transactions an engagement has at most one of (uq_billing_transaction_once).
ONCE_KINDS_SQL = "kind IN ('due', 'released', 'platform_fee', 'payout', 'written_off')"


class PaymentStatus(enum.StrEnum):
    PENDING = "pending"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


class BillingEngagement(db.Model):  # type: ignore[name-defined,misc]
    """Billing's record of one engagement (委托), keyed by the market's engagement id.

    Status is derived from the timestamps; the market tells billing when the engagement is
    accepted (``accepted_at``) or cancelled (``cancelled_at``).
    """

    __tablename__ = "billing_engagement"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_net_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    platform_fee_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    stripe_transfer_id: Mapped[str | None] = mapped_column(sa.String(64))

    payments: Mapped[list[Payment]] = relationship(
        back_populates="engagement", order_by="Payment.id",
        primaryjoin="BillingEngagement.id == Payment.engagement_id",
        foreign_keys="Payment.engagement_id",
    )

    __table_args__ = (
        sa.CheckConstraint("fee_fen > 0", name="fee_positive"),
        # What the release paid out (to the agency and the platform) never exceeds the fee.
        sa.CheckConstraint("released_net_fen >= 0 AND platform_fee_fen >= 0 AND "
                           "released_net_fen + platform_fee_fen <= fee_fen", name="released"),
        # The target of each payment's copy of the fee (billing_payment.fee_fen).
        sa.UniqueConstraint("id", "fee_fen"),
    )


class BillingAccount(db.Model):  # type: ignore[name-defined,misc]
    """One ledger account.  ``key`` names it: ``owner:12``, ``held:7``, ``platform``…"""

    __tablename__ = "billing_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("billing_engagement.id"), index=True
    )

    __table_args__ = (
        sa.CheckConstraint(
            "kind in ('owner','contract','held','agency','platform','external')", name="kind"
        ),
    )


class LedgerTransaction(db.Model):  # type: ignore[name-defined,misc]
    """A balanced set of entries (记账凭证); ``amount_fen`` is its headline amount."""

    __tablename__ = "billing_transaction"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    engagement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("billing_engagement.id"), index=True
    )
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)

    entries: Mapped[list[LedgerEntry]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id"
    )

    __table_args__ = (
        # These happen once in an engagement's life: a second release (or payout, platform
        # fee, due, write-off) is refused by the database, whoever writes it.
        sa.Index("uq_billing_transaction_once", "engagement_id", "kind", unique=True,
                 sqlite_where=sa.text(ONCE_KINDS_SQL), postgresql_where=sa.text(ONCE_KINDS_SQL)),
    )


class LedgerEntry(db.Model):  # type: ignore[name-defined,misc]
    """One line of a transaction: a signed amount on one account (分录)."""

    __tablename__ = "billing_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(
        sa.ForeignKey("billing_transaction.id"), index=True
    )
    account_id: Mapped[int] = mapped_column(sa.ForeignKey("billing_account.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")
    account: Mapped[BillingAccount] = relationship()

    __table_args__ = (sa.CheckConstraint("amount_fen <> 0", name="nonzero"),)


class Payment(db.Model):  # type: ignore[name-defined,misc]
    """A payment by the owner: an offline transfer with its reference, or a PaymentIntent.

    Payments never settle more than the fee, and the database holds that even against a write
    that bypasses this code (two racing requests, a hand-written ``INSERT``): each payment that
    settles part of the fee (``credited_fen`` > 0; a Stripe payment that came in when nothing
    was owed settles nothing and is refunded) carries the engagement's running total before and
    after it.  The first starts at 0, every other one starts where another ended
    (``previous_after_fen`` references it), no two start or end at the same total, and the
    total after each one is at most the fee, which the row copies under a foreign key to the
    engagement.  So the credited payments form one chain from 0 and their sum is at most the
    fee; an offline payment settles all it brought.  Two payments racing from the same total
    cannot both be stored.
    """

    __tablename__ = "billing_payment"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("billing_engagement.id"), index=True
    )
    method: Mapped[str] = mapped_column(sa.String(16))  # offline | stripe
    # Offline: the treasury or bank transfer number.  Stripe: the PaymentIntent id.
    reference: Mapped[str] = mapped_column(sa.String(100))
    paid_on: Mapped[date | None] = mapped_column(sa.Date)
    amount_fen: Mapped[int] = mapped_column(sa.BigInteger)
    refunded_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    status: Mapped[str] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    transaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("billing_transaction.id"))
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger)  # the engagement's fee (see above)
    credited_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    credited_before_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    credited_after_fen: Mapped[int | None] = mapped_column(sa.BigInteger)
    previous_after_fen: Mapped[int | None] = mapped_column(sa.BigInteger)

    engagement: Mapped[BillingEngagement] = relationship(
        back_populates="payments", primaryjoin="BillingEngagement.id == Payment.engagement_id",
        foreign_keys=[engagement_id])

    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "reference"),
        sa.CheckConstraint("amount_fen > 0", name="amount_positive"),
        sa.CheckConstraint("method in ('offline','stripe')", name="method"),
        sa.CheckConstraint("credited_fen >= 0 AND credited_fen <= amount_fen",
                           name="credited_range"),
        sa.CheckConstraint(
            "(credited_fen = 0 AND credited_before_fen IS NULL AND credited_after_fen IS NULL"
            " AND previous_after_fen IS NULL)"
            " OR (credited_fen > 0 AND status = 'succeeded' AND credited_before_fen IS NOT NULL"
            " AND credited_after_fen IS NOT NULL AND credited_before_fen >= 0"
            " AND credited_after_fen = credited_before_fen + credited_fen"
            " AND credited_after_fen <= fee_fen"
            " AND ((credited_before_fen = 0 AND previous_after_fen IS NULL)"
            " OR (credited_before_fen > 0 AND previous_after_fen IS NOT NULL"
            " AND previous_after_fen = credited_before_fen)))",
            name="credited_chain"),
        # An offline transfer is recorded only for what is still owed, so all of it settles
        # the fee; a Stripe payment that arrives when nothing is owed is refunded instead.
        sa.CheckConstraint("method <> 'offline' OR status <> 'succeeded'"
                           " OR credited_fen = amount_fen", name="offline_settles"),
        sa.UniqueConstraint("engagement_id", "credited_before_fen"),
        sa.UniqueConstraint("engagement_id", "credited_after_fen"),
        sa.ForeignKeyConstraint(
            ["engagement_id", "previous_after_fen"],
            ["billing_payment.engagement_id", "billing_payment.credited_after_fen"],
            name="fk_billing_payment_previous_billing_payment"),
        sa.ForeignKeyConstraint(
            ["engagement_id", "fee_fen"],
            ["billing_engagement.id", "billing_engagement.fee_fen"],
            name="fk_billing_payment_fee_billing_engagement"),
    )


class ConnectedAccount(db.Model):  # type: ignore[name-defined,misc]
    """An agency's Stripe connected account (收款账户), keyed by the agency organisation."""

    __tablename__ = "billing_connected_account"

    agency_org_id: Mapped[int] = mapped_column(
        sa.ForeignKey("organisation.id"), primary_key=True, autoincrement=False
    )
    stripe_account_id: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class WebhookEvent(db.Model):  # type: ignore[name-defined,misc]
    """A Stripe event already handled: each id once, so a replay changes nothing."""

    __tablename__ = "billing_webhook_event"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    type: Mapped[str] = mapped_column(sa.String(64))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    outcome: Mapped[str] = mapped_column(sa.String(32))
