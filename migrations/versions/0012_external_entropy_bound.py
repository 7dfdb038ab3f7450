"""external randomness bound: the welfare-lottery draw schedule per year, an external value
waiting for its second entry, who confirmed a logged one, and reminders for one person

Hand-written.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa

import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'draw_schedule_year',
        sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('ssq_no_draw', sa.JSON(), nullable=False),
        sa.Column('fc3d_no_draw', sa.JSON(), nullable=False),
        sa.Column('confirmed', sa.Boolean(), nullable=False),
        sa.Column('source', sa.String(length=300), nullable=False),
        sa.Column('updated_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['updated_by'], ['user_account.id'],
                                name=op.f('fk_draw_schedule_year_updated_by_user_account')),
        sa.PrimaryKeyConstraint('year', name=op.f('pk_draw_schedule_year')),
    )
    op.create_table(
        'external_proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('lottery_pk', sa.Integer(), nullable=False),
        sa.Column('value', sa.String(length=200), nullable=False),
        sa.Column('signature', sa.String(length=200), nullable=True),
        sa.Column('official_date', sa.Date(), nullable=True),
        sa.Column('entered_by_id', sa.Integer(), nullable=False),
        sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'],
                                name=op.f('fk_external_proposal_entered_by_id_user_account')),
        sa.ForeignKeyConstraint(['lottery_pk'], ['lottery.id'],
                                name=op.f('fk_external_proposal_lottery_pk_lottery')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_external_proposal')),
        sa.UniqueConstraint('lottery_pk', name=op.f('uq_external_proposal_lottery_pk')),
    )
    with op.batch_alter_table('entropy_entry',
                              reflect_kwargs={'resolve_fks': False}) as batch:
        batch.add_column(sa.Column('confirmed_by_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_entropy_entry_confirmed_by_id_user_account'),
                                 'user_account', ['confirmed_by_id'], ['id'])
    with op.batch_alter_table('notification',
                              reflect_kwargs={'resolve_fks': False}) as batch:
        batch.add_column(sa.Column('user_id', sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f('fk_notification_user_id_user_account'),
                                 'user_account', ['user_id'], ['id'])
        batch.create_index(op.f('ix_notification_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notification',
                              reflect_kwargs={'resolve_fks': False}) as batch:
        batch.drop_index(op.f('ix_notification_user_id'))
        batch.drop_constraint(op.f('fk_notification_user_id_user_account'), type_='foreignkey')
        batch.drop_column('user_id')
    with op.batch_alter_table('entropy_entry',
                              reflect_kwargs={'resolve_fks': False}) as batch:
        batch.drop_constraint(op.f('fk_entropy_entry_confirmed_by_id_user_account'),
                              type_='foreignkey')
        batch.drop_column('confirmed_by_id')
    op.drop_table('external_proposal')
    op.drop_table('draw_schedule_year')
