"""billing constraints: payments never settle more than the fee, once-only ledger
transactions (one release per engagement), releases within the fee

Hand-written.  Each payment gets a copy of its engagement's fee (under a foreign key) and, when
it settles part of the fee, the engagement's running total before and after it, chained to the
payment it follows (see billing.models.Payment).  Existing payments are filled from the ledger:
the part of each funding that reduced the contract account, in payment order.  A database in
which a payment race already settled more than the fee, or released twice, cannot take the new
constraints: the upgrade stops and names the engagements to correct first.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

ONCE_KINDS_SQL = "kind IN ('due', 'released', 'platform_fee', 'payout', 'written_off')"
CHAIN_SQL = (
    "(credited_fen = 0 AND credited_before_fen IS NULL AND credited_after_fen IS NULL"
    " AND previous_after_fen IS NULL)"
    " OR (credited_fen > 0 AND status = 'succeeded' AND credited_before_fen IS NOT NULL"
    " AND credited_after_fen IS NOT NULL AND credited_before_fen >= 0"
    " AND credited_after_fen = credited_before_fen + credited_fen"
    " AND credited_after_fen <= fee_fen"
    " AND ((credited_before_fen = 0 AND previous_after_fen IS NULL)"
    " OR (credited_before_fen > 0 AND previous_after_fen IS NOT NULL"
    " AND previous_after_fen = credited_before_fen)))"
)

# Snapshots of the tables as this revision knows them (never the live models).
engagement = sa.table('billing_engagement', sa.column('id', sa.Integer),
                      sa.column('fee_fen', sa.BigInteger))
payment = sa.table('billing_payment', sa.column('id', sa.Integer),
                   sa.column('engagement_id', sa.Integer), sa.column('status', sa.String),
                   sa.column('method', sa.String),
                   sa.column('amount_fen', sa.BigInteger),
                   sa.column('transaction_id', sa.Integer), sa.column('fee_fen', sa.BigInteger),
                   sa.column('credited_fen', sa.BigInteger),
                   sa.column('credited_before_fen', sa.BigInteger),
                   sa.column('credited_after_fen', sa.BigInteger),
                   sa.column('previous_after_fen', sa.BigInteger))
transaction = sa.table('billing_transaction', sa.column('id', sa.Integer),
                       sa.column('engagement_id', sa.Integer), sa.column('kind', sa.String))
entry = sa.table('billing_entry', sa.column('transaction_id', sa.Integer),
                 sa.column('account_id', sa.Integer), sa.column('amount_fen', sa.BigInteger))
account = sa.table('billing_account', sa.column('id', sa.Integer), sa.column('key', sa.String))


def _refuse_broken_data(conn):
    twice = conn.execute(
        sa.select(transaction.c.engagement_id, transaction.c.kind)
        .where(sa.text(ONCE_KINDS_SQL)).group_by(transaction.c.engagement_id,
                                                 transaction.c.kind)
        .having(sa.func.count() > 1)).all()
    if twice:
        raise RuntimeError(
            "billing: these engagements have a once-only ledger transaction twice (a release "
            "race before this upgrade); reverse the duplicates, then upgrade again: "
            + ", ".join(f"engagement {e} ({k})" for e, k in twice))


def _fill_payments(conn):
    fees = dict(conn.execute(sa.select(engagement.c.id, engagement.c.fee_fen)).all())
    # What each funding took off the contract account (the fee still owed), by transaction.
    contract_entries = conn.execute(
        sa.select(entry.c.transaction_id, account.c.key, entry.c.amount_fen)
        .join(account, account.c.id == entry.c.account_id)
        .where(account.c.key.like('contract:%'))).all()
    settled = {}
    for txn_id, key, amount in contract_entries:
        settled[(txn_id, key)] = settled.get((txn_id, key), 0) - amount
    totals = {}
    over = []
    rows = conn.execute(sa.select(payment.c.id, payment.c.engagement_id, payment.c.status,
                                  payment.c.method, payment.c.amount_fen,
                                  payment.c.transaction_id).order_by(payment.c.id)).all()
    for pid, eid, status, method, amount, txn_id in rows:
        credited = 0
        if status == 'succeeded' and txn_id is not None:
            credited = max(0, min(amount, settled.get((txn_id, f'contract:{eid}'), 0)))
        values = {'fee_fen': fees[eid], 'credited_fen': credited}
        if credited:
            before = totals.get(eid, 0)
            totals[eid] = before + credited
            if totals[eid] > fees[eid]:
                over.append(eid)
            values.update(credited_before_fen=before, credited_after_fen=before + credited,
                          previous_after_fen=before or None)
        if status == 'succeeded' and method == 'offline' and credited != amount:
            over.append(eid)  # an offline transfer recorded when the fee was already paid
        conn.execute(payment.update().where(payment.c.id == pid).values(**values))
    if over:
        raise RuntimeError(
            "billing: payments settled more than the fee of these engagements (a payment race "
            "before this upgrade); refund or reverse the extra payments, then upgrade again: "
            + ", ".join(f"engagement {e}" for e in sorted(set(over))))


def upgrade():
    conn = op.get_bind()
    _refuse_broken_data(conn)
    with op.batch_alter_table('billing_engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_billing_engagement_id_fee_fen'),
                                          ['id', 'fee_fen'])
        batch_op.create_check_constraint(
            batch_op.f('ck_billing_engagement_released'),
            'released_net_fen >= 0 AND platform_fee_fen >= 0 AND '
            'released_net_fen + platform_fee_fen <= fee_fen')
    with op.batch_alter_table('billing_payment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('fee_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('credited_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('credited_before_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('credited_after_fen', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('previous_after_fen', sa.BigInteger(), nullable=True))
    _fill_payments(conn)
    with op.batch_alter_table('billing_payment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('fee_fen', existing_type=sa.BigInteger(), nullable=False)
        batch_op.alter_column('credited_fen', existing_type=sa.BigInteger(), nullable=False)
        batch_op.create_check_constraint(batch_op.f('ck_billing_payment_credited_range'),
                                         'credited_fen >= 0 AND credited_fen <= amount_fen')
        batch_op.create_check_constraint(batch_op.f('ck_billing_payment_credited_chain'),
                                         CHAIN_SQL)
        batch_op.create_check_constraint(
            batch_op.f('ck_billing_payment_offline_settles'),
            "method <> 'offline' OR status <> 'succeeded' OR credited_fen = amount_fen")
        batch_op.create_unique_constraint(
            batch_op.f('uq_billing_payment_engagement_id_credited_before_fen'),
            ['engagement_id', 'credited_before_fen'])
        batch_op.create_unique_constraint(
            batch_op.f('uq_billing_payment_engagement_id_credited_after_fen'),
            ['engagement_id', 'credited_after_fen'])
        batch_op.create_foreign_key(
            'fk_billing_payment_previous_billing_payment', 'billing_payment',
            ['engagement_id', 'previous_after_fen'], ['engagement_id', 'credited_after_fen'])
        batch_op.create_foreign_key(
            'fk_billing_payment_fee_billing_engagement', 'billing_engagement',
            ['engagement_id', 'fee_fen'], ['id', 'fee_fen'])
    with op.batch_alter_table('billing_transaction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('uq_billing_transaction_once', ['engagement_id', 'kind'],
                              unique=True, sqlite_where=sa.text(ONCE_KINDS_SQL),
                              postgresql_where=sa.text(ONCE_KINDS_SQL))


def downgrade():
    with op.batch_alter_table('billing_transaction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('uq_billing_transaction_once')
    with op.batch_alter_table('billing_payment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint('fk_billing_payment_fee_billing_engagement',
                                 type_='foreignkey')
        batch_op.drop_constraint('fk_billing_payment_previous_billing_payment',
                                 type_='foreignkey')
        batch_op.drop_constraint(
            batch_op.f('uq_billing_payment_engagement_id_credited_after_fen'), type_='unique')
        batch_op.drop_constraint(
            batch_op.f('uq_billing_payment_engagement_id_credited_before_fen'), type_='unique')
        batch_op.drop_constraint(batch_op.f('ck_billing_payment_offline_settles'),
                                 type_='check')
        batch_op.drop_constraint(batch_op.f('ck_billing_payment_credited_chain'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_billing_payment_credited_range'), type_='check')
        batch_op.drop_column('previous_after_fen')
        batch_op.drop_column('credited_after_fen')
        batch_op.drop_column('credited_before_fen')
        batch_op.drop_column('credited_fen')
        batch_op.drop_column('fee_fen')
    with op.batch_alter_table('billing_engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_billing_engagement_released'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_billing_engagement_id_fee_fen'),
                                 type_='unique')
