"""billing ledger

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 23:18:27.311101

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('billing_webhook_event',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=64), nullable=False),
    sa.Column('received_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('outcome', sa.String(length=32), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_webhook_event'))
    )
    op.create_table('billing_connected_account',
    sa.Column('agency_org_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('stripe_account_id', sa.String(length=64), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_billing_connected_account_agency_org_id_organisation')),
    sa.PrimaryKeyConstraint('agency_org_id', name=op.f('pk_billing_connected_account')),
    sa.UniqueConstraint('stripe_account_id', name=op.f('uq_billing_connected_account_stripe_account_id'))
    )
    op.create_table('billing_engagement',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('opened_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_out_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('released_net_fen', sa.BigInteger(), nullable=False),
    sa.Column('platform_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('stripe_transfer_id', sa.String(length=64), nullable=True),
    sa.CheckConstraint('fee_fen > 0', name=op.f('ck_billing_engagement_fee_positive')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_billing_engagement_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_billing_engagement_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_engagement'))
    )
    with op.batch_alter_table('billing_engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_engagement_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_engagement_owner_org_id'), ['owner_org_id'], unique=False)
    op.create_table('billing_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('org_id', sa.Integer(), nullable=True),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('owner','contract','held','agency','platform','external')", name=op.f('ck_billing_account_kind')),
    sa.ForeignKeyConstraint(['engagement_id'], ['billing_engagement.id'], name=op.f('fk_billing_account_engagement_id_billing_engagement')),
    sa.ForeignKeyConstraint(['org_id'], ['organisation.id'], name=op.f('fk_billing_account_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_account')),
    sa.UniqueConstraint('key', name=op.f('uq_billing_account_key'))
    )
    with op.batch_alter_table('billing_account', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_account_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_account_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_account_org_id'), ['org_id'], unique=False)
    op.create_table('billing_transaction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['engagement_id'], ['billing_engagement.id'], name=op.f('fk_billing_transaction_engagement_id_billing_engagement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_transaction'))
    )
    with op.batch_alter_table('billing_transaction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_transaction_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_transaction_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_transaction_kind'), ['kind'], unique=False)
    op.create_table('billing_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=False),
    sa.Column('account_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen <> 0', name=op.f('ck_billing_entry_nonzero')),
    sa.ForeignKeyConstraint(['account_id'], ['billing_account.id'], name=op.f('fk_billing_entry_account_id_billing_account')),
    sa.ForeignKeyConstraint(['transaction_id'], ['billing_transaction.id'], name=op.f('fk_billing_entry_transaction_id_billing_transaction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_entry'))
    )
    with op.batch_alter_table('billing_entry', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_entry_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_billing_entry_transaction_id'), ['transaction_id'], unique=False)
    op.create_table('billing_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=100), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('transaction_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("method in ('offline','stripe')", name=op.f('ck_billing_payment_method')),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_billing_payment_amount_positive')),
    sa.ForeignKeyConstraint(['engagement_id'], ['billing_engagement.id'], name=op.f('fk_billing_payment_engagement_id_billing_engagement')),
    sa.ForeignKeyConstraint(['transaction_id'], ['billing_transaction.id'], name=op.f('fk_billing_payment_transaction_id_billing_transaction')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_billing_payment')),
    sa.UniqueConstraint('engagement_id', 'reference', name=op.f('uq_billing_payment_engagement_id_reference'))
    )
    with op.batch_alter_table('billing_payment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_billing_payment_engagement_id'), ['engagement_id'], unique=False)


def downgrade():
    with op.batch_alter_table('billing_payment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_payment_engagement_id'))
    op.drop_table('billing_payment')
    with op.batch_alter_table('billing_entry', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_entry_transaction_id'))
        batch_op.drop_index(batch_op.f('ix_billing_entry_account_id'))
    op.drop_table('billing_entry')
    with op.batch_alter_table('billing_transaction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_transaction_kind'))
        batch_op.drop_index(batch_op.f('ix_billing_transaction_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_billing_transaction_at'))
    op.drop_table('billing_transaction')
    with op.batch_alter_table('billing_account', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_account_org_id'))
        batch_op.drop_index(batch_op.f('ix_billing_account_kind'))
        batch_op.drop_index(batch_op.f('ix_billing_account_engagement_id'))
    op.drop_table('billing_account')
    with op.batch_alter_table('billing_engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_billing_engagement_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_billing_engagement_agency_org_id'))
    op.drop_table('billing_engagement')
    op.drop_table('billing_connected_account')
    op.drop_table('billing_webhook_event')
