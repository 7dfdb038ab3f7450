"""operator settings, each change effective from a date

Hand-written.  ``setting_change``: one row per change of an operator-editable setting (the
numbers in ``market.config.DEFAULT_SETTINGS`` the settings page lists), its value in force
from ``effective_from`` (a Beijing date) until a later row of the same key.  No row: the
config's value applies, so an upgraded database behaves exactly as before.  A province's
tenants will add a nullable ``tenant_id`` and widen the unique constraint to
(tenant_id, key, effective_from).  Downgrade drops the table (and the history with it).

Revision ID: 0027
Revises: 0022
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import market.db


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setting_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_setting_change_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_change')),
        sa.UniqueConstraint('key', 'effective_from',
                            name=op.f('uq_setting_change_key_effective_from')),
    )


def downgrade():
    op.drop_table('setting_change')
