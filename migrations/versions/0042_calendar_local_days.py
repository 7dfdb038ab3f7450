"""local days of a division's calendar (地方性节假日) and their revision counters

Hand-checked from autogenerate: two new tables, no data to move (no division has local days
until its operator enters them).

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06 23:30:00.000000

"""
import sqlalchemy as sa
from alembic import op

import market.db

# revision identifiers, used by Alembic.
revision = '0042'
down_revision = '0041'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('calendar_local_day',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('division_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('working', sa.Boolean(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['user_account.id'], name=op.f('fk_calendar_local_day_created_by_user_account')),
    sa.ForeignKeyConstraint(['division_id'], ['division.id'], name=op.f('fk_calendar_local_day_division_id_division')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_local_day')),
    sa.UniqueConstraint('division_id', 'day', name=op.f('uq_calendar_local_day_division_id_day'))
    )
    with op.batch_alter_table('calendar_local_day', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_local_day_division_id'), ['division_id'], unique=False)

    op.create_table('calendar_local_revision',
    sa.Column('division_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['division_id'], ['division.id'], name=op.f('fk_calendar_local_revision_division_id_division')),
    sa.PrimaryKeyConstraint('division_id', name=op.f('pk_calendar_local_revision'))
    )


def downgrade():
    op.drop_table('calendar_local_revision')
    with op.batch_alter_table('calendar_local_day', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_local_day_division_id'))
    op.drop_table('calendar_local_day')
