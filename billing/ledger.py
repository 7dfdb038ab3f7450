"""The double-entry ledger: accounts, balanced transactions, balances (总账).

Pure bookkeeping over a SQLAlchemy session; the business rules live in :mod:`billing.service`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from billing.interface import DbSession
from billing.models import AccountKind, BillingAccount, LedgerEntry, LedgerTransaction

PLATFORM = "platform"
EXTERNAL = "external"


def owner_key(org_id: int) -> str:
    return f"owner:{org_id}"


def agency_key(org_id: int) -> str:
    return f"agency:{org_id}"


def contract_key(engagement_id: int) -> str:
    return f"contract:{engagement_id}"


def held_key(engagement_id: int) -> str:
    return f"held:{engagement_id}"


def _kind_of(key: str) -> tuple[AccountKind, int | None]:
    name, _, number = key.partition(":")
    return AccountKind(name), (int(number) if number else None)


def account(session: DbSession, key: str) -> BillingAccount:
    """The account named ``key``, created on first use."""
    found: BillingAccount | None = session.scalar(sa.select(BillingAccount).where(BillingAccount.key == key))
    if found is not None:
        return found
    kind, number = _kind_of(key)
    acc = BillingAccount(
        key=key,
        kind=kind.value,
        org_id=number if kind in (AccountKind.OWNER, AccountKind.AGENCY) else None,
        engagement_id=number if kind in (AccountKind.CONTRACT, AccountKind.HELD) else None,
    )
    session.add(acc)
    session.flush()
    return acc


def post(
    session: DbSession,
    kind: str,
    *,
    at: datetime,
    amount_fen: int,
    entries: Iterable[tuple[str, int]],
    engagement_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> LedgerTransaction:
    """Write one transaction.  Zero amounts are dropped; the rest must sum to zero."""
    lines = [(key, amount) for key, amount in entries if amount != 0]
    if len(lines) < 2 or sum(amount for _, amount in lines) != 0:
        raise ValueError(f"unbalanced ledger transaction {kind}: {lines}")
    txn = LedgerTransaction(
        kind=kind, engagement_id=engagement_id, amount_fen=amount_fen, at=at,
        details=details or {},
    )
    session.add(txn)
    session.flush()
    for key, amount in lines:
        session.add(LedgerEntry(transaction_id=txn.id, account_id=account(session, key).id,
                                amount_fen=amount))
    session.flush()
    return txn


def balance(session: DbSession, key: str) -> int:
    """The sum of the account's entries; 0 for an account never used."""
    total = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
        .join(BillingAccount, LedgerEntry.account_id == BillingAccount.id)
        .where(BillingAccount.key == key)
    )
    return int(total or 0)


def balances(session: DbSession) -> dict[str, int]:
    """Every account's balance."""
    rows = session.execute(
        sa.select(BillingAccount.key, sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
        .outerjoin(LedgerEntry, LedgerEntry.account_id == BillingAccount.id)
        .group_by(BillingAccount.key)
    )
    return {key: int(total) for key, total in rows}


def total(session: DbSession) -> int:
    """The sum of every entry: zero, always (the ledger's invariant)."""
    return int(session.scalar(sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0)))
               or 0)


def unbalanced_transactions(session: DbSession) -> list[int]:
    """Ids of transactions whose entries do not sum to zero (should be none)."""
    rows = session.scalars(
        sa.select(LedgerEntry.transaction_id)
        .group_by(LedgerEntry.transaction_id)
        .having(sa.func.sum(LedgerEntry.amount_fen) != 0)
    )
    return list(rows)


def sum_by_kind(session: DbSession, engagement_id: int, kind: str) -> int:
    """The headline amounts of one engagement's transactions of one kind."""
    value = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(LedgerTransaction.amount_fen), 0)).where(
            LedgerTransaction.engagement_id == engagement_id, LedgerTransaction.kind == kind
        )
    )
    return int(value or 0)
