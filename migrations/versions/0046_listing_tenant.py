"""listing.tenant_id: the directory filters agencies by division

Each listing already copies its organisation's directory state (``admitted``, ``region``,
migration 0006); it now copies the organisation's tenant too (where the agency was admitted),
so the directory's division filter (``/agencies?division=``, ``/api/agencies?division=``)
stays a query on ``listing`` alone with a service filter, read from
``ix_listing_dir_tenant_fee`` like the region filter from ``ix_listing_dir_region_fee``.
Existing listings take their organisation's tenant.

Hand-checked from autogenerate: one column with its foreign key, one index, the backfill.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07 00:15:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0046'
down_revision = '0045'
branch_labels = None
depends_on = None

# Snapshots of the tables as this migration knows them (never the live models).
listing = sa.table('listing', sa.column('id', sa.Integer),
                   sa.column('organisation_id', sa.Integer), sa.column('tenant_id', sa.Integer))
organisation = sa.table('organisation', sa.column('id', sa.Integer),
                        sa.column('tenant_id', sa.Integer))


def upgrade():
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_listing_tenant_id_division'), 'division',
                                    ['tenant_id'], ['id'])
    op.get_bind().execute(listing.update().values(tenant_id=(
        sa.select(organisation.c.tenant_id)
        .where(organisation.c.id == listing.c.organisation_id).scalar_subquery())))
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_listing_dir_tenant_fee',
                              ['service_type_id', 'admitted', 'tenant_id', 'fee_low_fen',
                               'organisation_id', 'committed_days'], unique=False)


def downgrade():
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_listing_dir_tenant_fee')
        batch_op.drop_constraint(batch_op.f('fk_listing_tenant_id_division'),
                                 type_='foreignkey')
        batch_op.drop_column('tenant_id')
