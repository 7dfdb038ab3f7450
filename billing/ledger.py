"""The double-entry ledger: accounts, balanced transactions, balances (总账).

Pure bookkeeping over a SQLAlchemy session; the business rules live in :mod:`billing.service`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from billing.interface import DbSession
from billing.models import AccountKind, BillingAccount, LedgerEntry, LedgerTransaction

PLATFORM = "platform"
EXTERNAL = "external"


# The ledger's reads, built once with the account, engagement or kind as bound parameters: a
# page or a check asks them for every engagement it shows, and building a statement each time
# cost more CPU than the database's answer.
_BALANCE = (sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
            .join(BillingAccount, LedgerEntry.account_id == BillingAccount.id)
            .where(BillingAccount.key == sa.bindparam("key")))
_SUM_BY_KIND = (sa.select(sa.func.coalesce(sa.func.sum(LedgerTransaction.amount_fen), 0))
                .where(LedgerTransaction.engagement_id == sa.bindparam("engagement_id"),
                       LedgerTransaction.kind == sa.bindparam("kind")))
_ACCOUNT = sa.select(BillingAccount).where(BillingAccount.key == sa.bindparam("key"))
_BALANCES = (sa.select(BillingAccount.key, sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
             .outerjoin(LedgerEntry, LedgerEntry.account_id == BillingAccount.id)
             .group_by(BillingAccount.key))
# The same two reads for a whole list of accounts or engagements (a page of engagements).
_BALANCES_OF = (sa.select(BillingAccount.key, sa.func.sum(LedgerEntry.amount_fen))
                .join(LedgerEntry, LedgerEntry.account_id == BillingAccount.id)
                .where(BillingAccount.key.in_(sa.bindparam("keys", expanding=True)))
                .group_by(BillingAccount.key))
_SUMS_BY_KIND = (sa.select(LedgerTransaction.engagement_id, LedgerTransaction.kind,
                           sa.func.sum(LedgerTransaction.amount_fen))
                 .where(LedgerTransaction.engagement_id.in_(sa.bindparam("ids", expanding=True)),
                        LedgerTransaction.kind.in_(sa.bindparam("kinds", expanding=True)))
                 .group_by(LedgerTransaction.engagement_id, LedgerTransaction.kind))
_TOTAL = sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_fen), 0))
_UNBALANCED = (sa.select(LedgerEntry.transaction_id)
               .group_by(LedgerEntry.transaction_id)
               .having(sa.func.sum(LedgerEntry.amount_fen) != 0))


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
    found: BillingAccount | None = session.scalar(_ACCOUNT, {"key": key})
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
    return int(session.scalar(_BALANCE, {"key": key}) or 0)


def balances_of(session: DbSession, keys: Collection[str]) -> dict[str, int]:
    """:func:`balance` of each of ``keys``, in one statement."""
    found = {key: 0 for key in keys}
    if found:
        found.update((key, int(total or 0))
                     for key, total in session.execute(_BALANCES_OF, {"keys": list(found)}))
    return found


def balances(session: DbSession) -> dict[str, int]:
    """Every account's balance."""
    return {key: int(total) for key, total in session.execute(_BALANCES)}


def total(session: DbSession) -> int:
    """The sum of every entry: zero, always (the ledger's invariant)."""
    return int(session.scalar(_TOTAL) or 0)


def unbalanced_transactions(session: DbSession) -> list[int]:
    """Ids of transactions whose entries do not sum to zero (should be none)."""
    return list(session.scalars(_UNBALANCED))


def sum_by_kind(session: DbSession, engagement_id: int, kind: str) -> int:
    """The headline amounts of one engagement's transactions of one kind."""
    return int(session.scalar(_SUM_BY_KIND, {"engagement_id": engagement_id, "kind": kind}) or 0)


def sums_by_kind(session: DbSession, engagement_ids: Collection[int],
                 kinds: Collection[str]) -> dict[tuple[int, str], int]:
    """:func:`sum_by_kind` of each engagement and kind, in one statement (0 where none)."""
    found = {(i, kind): 0 for i in engagement_ids for kind in kinds}
    if found:
        for i, kind, total in session.execute(
                _SUMS_BY_KIND, {"ids": list(engagement_ids), "kinds": list(kinds)}):
            if i is not None:  # never: the IN above matches no NULL
                found[(i, kind)] = int(total or 0)
    return found
