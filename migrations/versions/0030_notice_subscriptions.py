"""agencies' subscriptions to new notices (公告订阅), and the SMS copy of a notification

Hand-checked from autogenerate: one new table (one subscription per agency) and four nullable
columns on ``notification`` (the phone an SMS copy goes to, and its claim, sending and error,
like the e-mail's); no data to move.

Revision ID: 0030
Revises: 0028
Create Date: 2026-12-06 13:41:03.468051

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0030'
down_revision = '0028'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('subscription',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('service_codes', sa.JSON(), nullable=False),
    sa.Column('regions', sa.JSON(), nullable=False),
    sa.Column('daily', sa.Boolean(), nullable=False),
    sa.Column('sms_phone', sa.String(length=32), nullable=True),
    sa.Column('updated_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('digest_until', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_subscription_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_subscription')),
    sa.UniqueConstraint('organisation_id', name=op.f('uq_subscription_organisation_id'))
    )
    with op.batch_alter_table('notification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('sms_phone', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('sms_claimed_at', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('smsed_at', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sms_error', sa.String(length=500), nullable=True))



def downgrade():
    with op.batch_alter_table('notification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('sms_error')
        batch_op.drop_column('smsed_at')
        batch_op.drop_column('sms_claimed_at')
        batch_op.drop_column('sms_phone')

    op.drop_table('subscription')
