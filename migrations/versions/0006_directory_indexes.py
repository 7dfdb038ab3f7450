"""directory indexes: listings carry their organisation's directory state

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 00:00:00.000000

For speed, ``listing.admitted`` and ``listing.region`` copy the organisation's state
(an admitted agency? which region?) so the directory filters, sorts and counts with a service
filter from one ``ix_listing_dir_*`` index, without joining every match to its organisation.
``ix_listing_service_fee`` / ``ix_listing_service_days`` are replaced by the ``dir`` indexes,
which start with the same columns.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('admitted', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
        batch_op.add_column(sa.Column('region', sa.String(length=100), nullable=True))

    # Existing listings take their organisation's current state.
    op.execute(
        "UPDATE listing SET "
        "admitted = (SELECT organisation.kind = 'agency' AND organisation.status = 'admitted' "
        "FROM organisation WHERE organisation.id = listing.organisation_id), "
        "region = (SELECT organisation.region FROM organisation "
        "WHERE organisation.id = listing.organisation_id)")

    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_listing_service_fee')
        batch_op.drop_index('ix_listing_service_days')
        batch_op.create_index('ix_listing_dir_fee', ['service_type_id', 'admitted', 'fee_low_fen', 'organisation_id', 'committed_days'], unique=False)
        batch_op.create_index('ix_listing_dir_days', ['service_type_id', 'admitted', 'committed_days', 'organisation_id', 'fee_low_fen'], unique=False)
        batch_op.create_index('ix_listing_dir_org', ['service_type_id', 'admitted', 'organisation_id', 'fee_low_fen', 'committed_days'], unique=False)
        batch_op.create_index('ix_listing_dir_region_fee', ['service_type_id', 'admitted', 'region', 'fee_low_fen', 'organisation_id', 'committed_days'], unique=False)


def downgrade():
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_listing_dir_region_fee')
        batch_op.drop_index('ix_listing_dir_org')
        batch_op.drop_index('ix_listing_dir_days')
        batch_op.drop_index('ix_listing_dir_fee')
        batch_op.create_index('ix_listing_service_days', ['service_type_id', 'committed_days', 'organisation_id'], unique=False)
        batch_op.create_index('ix_listing_service_fee', ['service_type_id', 'fee_low_fen', 'organisation_id'], unique=False)
        batch_op.drop_column('region')
        batch_op.drop_column('admitted')
