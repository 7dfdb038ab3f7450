"""relations between agencies and other units (关联关系)

Hand-checked from autogenerate: one new table, no data to move.  The other unit is named by
its credit code (a unit not on the platform can be named); one row per agency, unit and kind.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 14:17:36.975952

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0031'
down_revision = '0030'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('agency_relation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('other_credit_code', sa.String(length=18), nullable=False),
    sa.Column('other_name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint("kind in ('legal_representative','controlling','parent_subsidiary','shared_contact','other')", name=op.f('ck_agency_relation_kind')),
    sa.CheckConstraint("source in ('declared','operator','regulator')", name=op.f('ck_agency_relation_source')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_agency_relation_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_agency_relation_recorded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agency_relation')),
    sa.UniqueConstraint('organisation_id', 'other_credit_code', 'kind', name=op.f('uq_agency_relation_organisation_id_other_credit_code_kind'))
    )
    with op.batch_alter_table('agency_relation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_relation_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_relation_other_credit_code'), ['other_credit_code'], unique=False)



def downgrade():
    with op.batch_alter_table('agency_relation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_relation_other_credit_code'))
        batch_op.drop_index(batch_op.f('ix_agency_relation_organisation_id'))

    op.drop_table('agency_relation')
