"""The ledger's rules, shared by both backends; the offline backend is this with no hooks.

Who may call what is the market's business (its views check roles and organisations); these
operations check the money: no payment for a cancelled engagement or above what is due, no
release before acceptance or before the fee is paid, no refund above what was paid.  Each one
writes ledger transactions and an audit event into the caller's session and never commits.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from billing import ledger
from billing.errors import N_, BillingError
from billing.interface import (
    AuditHook,
    Clock,
    DbSession,
    EngagementRef,
    EngagementSummary,
    LocalDate,
    OnlinePayment,
    Statement,
    StatementLine,
)
from billing.models import (
    BillingAccount,
    BillingEngagement,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentStatus,
    TxnKind,
)
from billing.money import format_fen


def utc_date(at: datetime) -> date:
    """The default :attr:`LedgerBilling.local_date`: the UTC calendar day."""
    return at.date()


class LedgerBilling:
    """Bookkeeping and rules; subclasses add what moves real money (see the ``_`` hooks)."""

    name = "ledger"

    def __init__(self, session: DbSession, *, audit: AuditHook, clock: Clock,
                 fee_basis_points: int = 0, local_date: LocalDate = utc_date) -> None:
        if not 0 <= fee_basis_points <= 10_000:
            raise ValueError("PLATFORM_FEE_BASIS_POINTS must be between 0 and 10000")
        self.session = session
        self.audit = audit
        self.clock = clock
        self.local_date = local_date
        self.fee_basis_points = fee_basis_points

    # --- helpers ------------------------------------------------------------------------------

    def _engagement(self, engagement_id: int, *, lock: bool = True) -> BillingEngagement:
        """The engagement's billing row, locked for the rest of the transaction unless only
        read: two payments or releases of one engagement must run one after the other, or both
        pass the "not yet paid / not yet released" checks and the fee is recorded twice."""
        eng = self._lock(engagement_id) if lock else self.session.get(
            BillingEngagement, engagement_id)
        if eng is None:
            raise BillingError(N_("没有这项委托的结算记录。"))
        return eng

    def _lock(self, engagement_id: int) -> BillingEngagement | None:
        # PostgreSQL: SELECT ... FOR UPDATE.  SQLite has no row locks: the first write of a
        # transaction takes the database's write lock, so the row is written to itself first.
        self.session.flush()
        table = BillingEngagement.__table__
        if self.session.get_bind().dialect.name == "sqlite":
            self.session.execute(sa.update(table).where(table.c.id == engagement_id)
                                 .values(id=table.c.id))
            stmt = sa.select(BillingEngagement).where(BillingEngagement.id == engagement_id)
        else:
            stmt = (sa.select(BillingEngagement).where(BillingEngagement.id == engagement_id)
                    .with_for_update())
        return self.session.scalars(
            stmt.execution_options(populate_existing=True)).one_or_none()

    def _post(self, kind: TxnKind, eng: BillingEngagement, amount_fen: int,
              entries: list[tuple[str, int]], **details: Any) -> LedgerTransaction:
        txn = ledger.post(self.session, kind.value, at=self.clock(), amount_fen=amount_fen,
                          entries=entries, engagement_id=eng.id, details=details)
        self.audit(f"billing:engagement:{kind.value}", f"engagement:{eng.id}",
                   {"transaction": txn.id, "amount_fen": amount_fen, **details})
        return txn

    def outstanding(self, engagement_id: int) -> int:
        return ledger.balance(self.session, ledger.contract_key(engagement_id))

    def held(self, engagement_id: int) -> int:
        return ledger.balance(self.session, ledger.held_key(engagement_id))

    def paid(self, engagement_id: int) -> int:
        return ledger.sum_by_kind(self.session, engagement_id, TxnKind.FUNDED.value)

    def refunded(self, engagement_id: int) -> int:
        return ledger.sum_by_kind(self.session, engagement_id, TxnKind.REFUNDED.value)

    def _check_payable(self, eng: BillingEngagement, amount_fen: int) -> None:
        if eng.cancelled_at is not None:
            raise BillingError(N_("委托已取消，不能再付款。"))
        outstanding = self.outstanding(eng.id)
        if outstanding <= 0:
            raise BillingError(N_("这项委托的费用已全额付清，无需重复付款。"))
        if amount_fen <= 0:
            raise BillingError(N_("金额必须大于零。"))
        if amount_fen > outstanding:
            raise BillingError(N_("付款金额 %(amount)s 元超过尚未支付的 %(outstanding)s 元。"),
                               amount=format_fen(amount_fen), outstanding=format_fen(outstanding))

    def _fund(self, eng: BillingEngagement, payment: Payment, amount_fen: int) -> None:
        """Money came in: it is held, and the owner's debt shrinks by what was still due.

        The payment joins the engagement's chain of credited payments (see :class:`Payment`):
        the database refuses it if another payment already started from the same total."""
        owed = max(0, min(amount_fen, self.outstanding(eng.id)))
        before = int(self.session.scalar(
            sa.select(sa.func.coalesce(sa.func.max(Payment.credited_after_fen), 0))
            .where(Payment.engagement_id == eng.id, Payment.id != payment.id)) or 0)
        txn = self._post(TxnKind.FUNDED, eng, amount_fen, [
            (ledger.EXTERNAL, -amount_fen), (ledger.held_key(eng.id), amount_fen),
            (ledger.contract_key(eng.id), -owed), (ledger.owner_key(eng.owner_org_id), owed),
        ], payment=payment.id, method=payment.method, reference=payment.reference)
        payment.status = PaymentStatus.SUCCEEDED.value
        payment.transaction_id = txn.id
        payment.credited_fen = owed
        if owed:
            payment.credited_before_fen = before
            payment.credited_after_fen = before + owed
            payment.previous_after_fen = before or None
        self.session.flush()

    # --- the interface ------------------------------------------------------------------------

    def open_engagement(self, ref: EngagementRef) -> None:
        """Market, at contract: the fee falls due from the owner (owner −fee, contract +fee)."""
        if ref.fee_fen <= 0:
            raise BillingError(N_("委托费用必须大于零。"))
        if self.session.get(BillingEngagement, ref.engagement_id) is not None:
            raise BillingError(N_("这项委托已开始结算。"))
        eng = BillingEngagement(
            id=ref.engagement_id, owner_org_id=ref.owner_org_id,
            agency_org_id=ref.agency_org_id, fee_fen=ref.fee_fen, opened_at=self.clock(),
            released_net_fen=0, platform_fee_fen=0,
        )
        self.session.add(eng)
        self.session.flush()
        self._post(TxnKind.DUE, eng, ref.fee_fen, [
            (ledger.owner_key(ref.owner_org_id), -ref.fee_fen),
            (ledger.contract_key(ref.engagement_id), ref.fee_fen),
        ])

    def record_offline_payment(self, engagement_id: int, *, reference: str, paid_on: date,
                               amount_fen: int) -> int:
        """Owner's finance user: a treasury or bank transfer with its reference; funds at once.
        ``paid_on`` is the day the money left: not after today, not before the contract was
        confirmed (the day the engagement's fee fell due), both in :attr:`local_date`'s zone."""
        eng = self._engagement(engagement_id)
        reference = reference.strip()
        if not reference:
            raise BillingError(N_("请填写付款凭证号（国库或银行转账流水号）。"), field="reference")
        today, contract_day = self.local_date(self.clock()), self.local_date(eng.opened_at)
        if paid_on > today:
            raise BillingError(N_("付款日期 %(date)s 晚于今天（%(today)s），请填写实际付款的日期。"),
                               field="paid_on", date=paid_on.isoformat(),
                               today=today.isoformat())
        if paid_on < contract_day:
            raise BillingError(N_("付款日期 %(date)s 早于合同确认日期（%(contract)s），"
                                  "这笔款项不是本委托的付款。"),
                               field="paid_on", date=paid_on.isoformat(),
                               contract=contract_day.isoformat())
        self._check_payable(eng, amount_fen)
        if self.session.scalar(sa.select(Payment.id).where(
                Payment.engagement_id == eng.id, Payment.reference == reference)):
            raise BillingError(N_("付款凭证号 %(reference)s 已登记过，不能重复登记。"),
                               field="reference", reference=reference)
        payment = Payment(engagement_id=eng.id, method="offline", reference=reference,
                          paid_on=paid_on, amount_fen=amount_fen, refunded_fen=0,
                          status=PaymentStatus.PENDING.value, created_at=self.clock(),
                          fee_fen=eng.fee_fen, credited_fen=0)
        self.session.add(payment)
        self.session.flush()
        self._fund(eng, payment, amount_fen)
        return payment.id

    def start_online_payment(self, engagement_id: int) -> OnlinePayment:
        self._engagement(engagement_id)
        raise BillingError(N_("本平台未启用在线支付，请线下转账后登记付款凭证。"))

    def mark_accepted(self, engagement_id: int) -> None:
        """Market, at acceptance (验收): from now on the funds may be released.  Idempotent."""
        eng = self._engagement(engagement_id)
        if eng.cancelled_at is not None:
            raise BillingError(N_("委托已取消，不能验收结算。"))
        if eng.accepted_at is None:
            eng.accepted_at = self.clock()
            self.audit("billing:engagement:accepted", f"engagement:{eng.id}", {})

    def release(self, engagement_id: int) -> None:
        """Market, after acceptance: held funds go to the agency, less the platform fee."""
        eng = self._engagement(engagement_id)
        if eng.cancelled_at is not None:
            raise BillingError(N_("委托已取消，不能结算给中介机构。"))
        if eng.accepted_at is None:
            raise BillingError(N_("委托尚未验收，不能结算给中介机构。"))
        if eng.released_at is not None:
            raise BillingError(N_("这项委托已经结算，不能重复结算。"))
        outstanding = self.outstanding(eng.id)
        if outstanding > 0:
            raise BillingError(N_("业主尚未足额付款（还差 %(outstanding)s 元），不能结算。"),
                               outstanding=format_fen(outstanding))
        held = self.held(eng.id)
        fee = held * self.fee_basis_points // 10_000
        net = held - fee
        self._pay_agency(eng, net)  # Stripe: the transfer, before anything is written
        agency = ledger.agency_key(eng.agency_org_id)
        self._post(TxnKind.RELEASED, eng, held, [(ledger.held_key(eng.id), -held), (agency, held)])
        if fee:
            self._post(TxnKind.PLATFORM_FEE, eng, fee, [(agency, -fee), (ledger.PLATFORM, fee)],
                       basis_points=self.fee_basis_points)
        eng.released_at = self.clock()
        eng.released_net_fen = net
        eng.platform_fee_fen = fee
        self._after_release(eng, net)

    def confirm_payout(self, engagement_id: int) -> None:
        """Agency: confirms it received the released money (offline payable settled)."""
        eng = self._engagement(engagement_id)
        if eng.released_at is None:
            raise BillingError(N_("尚未结算给中介机构，无需确认收款。"))
        if eng.paid_out_at is not None:
            raise BillingError(N_("已确认收款，无需重复确认。"))
        self._record_payout(eng, confirmed_by="agency")

    def _record_payout(self, eng: BillingEngagement, **details: Any) -> None:
        net = eng.released_net_fen
        if net > 0:
            self._post(TxnKind.PAYOUT, eng, net,
                       [(ledger.agency_key(eng.agency_org_id), -net), (ledger.EXTERNAL, net)],
                       **details)
        eng.paid_out_at = self.clock()

    def cancel(self, engagement_id: int) -> None:
        """Market: the engagement is cancelled; what the owner had not paid is no longer owed."""
        eng = self._engagement(engagement_id)
        if eng.cancelled_at is not None:
            raise BillingError(N_("委托已经取消。"))
        unpaid = self.outstanding(eng.id)
        if unpaid > 0:
            self._post(TxnKind.WRITTEN_OFF, eng, unpaid, [
                (ledger.contract_key(eng.id), -unpaid),
                (ledger.owner_key(eng.owner_org_id), unpaid),
            ])
        eng.cancelled_at = self.clock()
        self.audit("billing:engagement:cancelled", f"engagement:{eng.id}", {"unpaid_fen": unpaid})
        self._after_cancel(eng)

    def refund(self, engagement_id: int, amount_fen: int) -> None:
        """Market, on cancellation: return ``amount_fen`` to the owner.  Held funds go first;
        beyond them the release is reversed (agency's share, then the platform fee)."""
        eng = self._engagement(engagement_id)
        if eng.cancelled_at is None:
            raise BillingError(N_("只有已取消的委托才能退款。"))
        if amount_fen <= 0:
            raise BillingError(N_("金额必须大于零。"))
        refundable = self.paid(eng.id) - self.refunded(eng.id)
        if amount_fen > refundable:
            raise BillingError(N_("退款金额 %(amount)s 元超过已付未退的 %(refundable)s 元。"),
                               amount=format_fen(amount_fen), refundable=format_fen(refundable))
        need = amount_fen - self.held(eng.id)
        if need > 0:
            from_agency = min(need, eng.released_net_fen)
            from_platform = need - from_agency
            source = self._take_back_from_agency(eng, from_agency)
            self._post(TxnKind.REVERSAL, eng, need, [
                (ledger.held_key(eng.id), need), (source, -from_agency),
                (ledger.PLATFORM, -from_platform),
            ], from_agency_fen=from_agency, from_platform_fen=from_platform)
            eng.released_net_fen -= from_agency
            eng.platform_fee_fen -= from_platform
        self._refund_payments(eng, amount_fen, reason="cancellation")

    def _refund_payments(self, eng: BillingEngagement, amount_fen: int, *, reason: str,
                         only: Payment | None = None) -> None:
        remaining = amount_fen
        parts: list[dict[str, Any]] = []
        for payment in [only] if only is not None else eng.payments:
            if remaining == 0:
                break
            if payment.status != PaymentStatus.SUCCEEDED.value:
                continue
            part = min(remaining, payment.amount_fen - payment.refunded_fen)
            if part <= 0:
                continue
            parts.append({"payment": payment.id, "amount_fen": part,
                          **self._refund_one(eng, payment, part)})
            payment.refunded_fen += part
            remaining -= part
        if remaining:  # cannot happen: refundable was checked against the payments
            raise RuntimeError("refund larger than the payments")
        self._post(TxnKind.REFUNDED, eng, amount_fen,
                   [(ledger.held_key(eng.id), -amount_fen), (ledger.EXTERNAL, amount_fen)],
                   reason=reason, parts=parts)

    # --- hooks for backends that move money -------------------------------------------------

    def _pay_agency(self, eng: BillingEngagement, net_fen: int) -> None:
        """Offline: nothing moves now; the release is an agency payable until it confirms."""

    def _after_release(self, eng: BillingEngagement, net_fen: int) -> None:
        """Offline: the agency confirms the payout later (:meth:`confirm_payout`)."""

    def _after_cancel(self, eng: BillingEngagement) -> None:
        """Offline: nothing to stop."""

    def _take_back_from_agency(self, eng: BillingEngagement, amount_fen: int) -> str:
        """The account the reversed share is taken from.  Offline: the agency's payable (it
        goes negative, a debt of the agency, if it was already paid out)."""
        return ledger.agency_key(eng.agency_org_id)

    def _refund_one(self, eng: BillingEngagement, payment: Payment,
                    amount_fen: int) -> dict[str, Any]:
        """Offline: the treasury returns the money; the ledger records it."""
        return {}

    # --- reading --------------------------------------------------------------------------------

    def summary(self, engagement_id: int) -> EngagementSummary:
        eng = self._engagement(engagement_id, lock=False)
        return self.summaries([eng])[eng.id]

    def summaries(self, engagements: Sequence[BillingEngagement]) -> dict[int, EngagementSummary]:
        """{id: where its money stands} of a list of engagements, in two statements."""
        keys = {e.id: (ledger.contract_key(e.id), ledger.held_key(e.id)) for e in engagements}
        balances = ledger.balances_of(self.session, [k for pair in keys.values() for k in pair])
        kinds = (TxnKind.FUNDED.value, TxnKind.REFUNDED.value)
        sums = ledger.sums_by_kind(self.session, list(keys), kinds)
        return {e.id: _summary(e, outstanding=balances[keys[e.id][0]],
                               paid=sums[(e.id, kinds[0])], held=balances[keys[e.id][1]],
                               refunded=sums[(e.id, kinds[1])]) for e in engagements}

    def balance(self, account_key: str) -> int:
        return ledger.balance(self.session, account_key)

    def engagements_of(self, org_id: int | None) -> list[BillingEngagement]:
        """An organisation's engagements (owner or agency side); ``None``: all of them."""
        query = sa.select(BillingEngagement).order_by(BillingEngagement.id.desc())
        if org_id is not None:
            query = query.where(sa.or_(BillingEngagement.owner_org_id == org_id,
                                       BillingEngagement.agency_org_id == org_id))
        return list(self.session.scalars(query))

    def statement(self, org_id: int, only: Collection[int] | None = None) -> Statement:
        """The transactions of the organisation's engagements, with the change on its own
        account (owner or agency) and that account's balance.  ``only``: of those engagements
        only these, and the balance is theirs (the sum of their changes on the account)."""
        engagements = self.engagements_of(org_id)
        is_agency = any(e.agency_org_id == org_id for e in engagements)
        key = ledger.agency_key(org_id) if is_agency else ledger.owner_key(org_id)
        ids = [e.id for e in engagements if only is None or e.id in only]
        txns = list(self.session.scalars(
            sa.select(LedgerTransaction).where(LedgerTransaction.engagement_id.in_(ids))
            .order_by(LedgerTransaction.at, LedgerTransaction.id)))
        own = dict(self.session.execute(
            sa.select(LedgerEntry.transaction_id, LedgerEntry.amount_fen)
            .join(BillingAccount, LedgerEntry.account_id == BillingAccount.id)
            .where(BillingAccount.key == key)).all())
        lines = [StatementLine(transaction_id=t.id, at=t.at, engagement_id=t.engagement_id,
                               kind=t.kind, amount_fen=own.get(t.id, 0), headline_fen=t.amount_fen,
                               details=dict(t.details or {})) for t in txns]
        balance = (self.balance(key) if only is None
                   else sum(line.amount_fen for line in lines))
        return Statement(org_id=org_id, account_key=key, balance_fen=balance, lines=lines)


def _summary(eng: BillingEngagement, *, outstanding: int, paid: int, held: int,
             refunded: int) -> EngagementSummary:
    """Where the engagement's money stands, from its row and its four ledger figures."""
    if eng.cancelled_at is not None:
        status = "cancelled"
    elif eng.paid_out_at is not None:
        status = "paid_out"
    elif eng.released_at is not None:
        status = "released"
    elif outstanding == 0:
        status = "funded"
    elif paid > 0:
        status = "partly_paid"
    else:
        status = "awaiting_payment"
    return EngagementSummary(
        engagement_id=eng.id, owner_org_id=eng.owner_org_id,
        agency_org_id=eng.agency_org_id, fee_fen=eng.fee_fen, outstanding_fen=outstanding,
        paid_fen=paid, held_fen=held, refunded_fen=refunded,
        released_net_fen=eng.released_net_fen, platform_fee_fen=eng.platform_fee_fen,
        status=status, accepted=eng.accepted_at is not None,
    )


class OfflineBilling(LedgerBilling):
    """The default backend (线下结算): treasury or bank transfers recorded with their reference;
    the release at acceptance is an agency payable until the agency confirms receipt."""

    name = "offline"
