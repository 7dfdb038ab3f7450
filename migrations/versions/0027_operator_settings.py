"""operator settings, each change effective from a date; OpenID Connect identities

Hand-written.  ``setting_change``: one row per change of an operator-editable setting (the
numbers in ``market.config.DEFAULT_SETTINGS`` the settings page lists), its value in force
from ``effective_from`` (a Beijing date; ``effective_at``: that day's start, or the moment
of saving for a change made for today) until a later row of the same key.  No row: the
config's value applies, so an upgraded database behaves exactly as before.  A province's
tenants will add a nullable ``tenant_id`` and widen the unique constraint to
(tenant_id, key, effective_from).  ``oidc_identity``: a person's (issuer, subject) at the
OpenID Connect provider, linked to their account at their first login through it (per
person: no tenant column needed).  Downgrade drops both tables (and the history with them).

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa

import market.db


# revision identifiers, used by Alembic.
revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'setting_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=False),
        sa.Column('effective_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('reason', sa.String(length=500), nullable=False),
        sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'],
                                name=op.f('fk_setting_change_created_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_setting_change')),
        sa.UniqueConstraint('key', 'effective_from',
                            name=op.f('uq_setting_change_key_effective_from')),
    )
    op.create_table(
        'oidc_identity',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=255), nullable=False),
        sa.Column('subject', sa.String(length=255), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('last_login_at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], ondelete='CASCADE',
                                name=op.f('fk_oidc_identity_user_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_identity')),
        sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_oidc_identity_issuer_subject')),
    )
    op.create_index(op.f('ix_oidc_identity_user_id'), 'oidc_identity', ['user_id'])


def downgrade():
    op.drop_index(op.f('ix_oidc_identity_user_id'), table_name='oidc_identity')
    op.drop_table('oidc_identity')
    op.drop_table('setting_change')
