"""service_type_regulator: each tenant's industry regulator of a service type (行业主管部门)

Hand-checked from autogenerate: one new table.  The data move keeps every existing mapping:
for each service type with a regulator (``service_type.regulator_id``), a row for that
regulator's own tenant.  ``service_type.regulator_id`` stays as the provincial default, read
only in its regulator's own tenant (market.catalogue.regulators).  Downgrade drops the table:
the defaults still hold what the rows copied from them.

Revision ID: 0045
Revises: 0044
Create Date: 2026-12-07 00:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0045'
down_revision = '0044'
branch_labels = None
depends_on = None

# snapshots of the tables as this revision reads them
_service_type = sa.table('service_type', sa.column('id', sa.Integer),
                         sa.column('regulator_id', sa.Integer))
_organisation = sa.table('organisation', sa.column('id', sa.Integer),
                         sa.column('tenant_id', sa.Integer))


def upgrade():
    table = op.create_table('service_type_regulator',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.Column('regulator_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['regulator_id'], ['organisation.id'], name=op.f('fk_service_type_regulator_regulator_id_organisation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], name=op.f('fk_service_type_regulator_service_type_id_service_type'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['division.id'], name=op.f('fk_service_type_regulator_tenant_id_division')),
    sa.PrimaryKeyConstraint('tenant_id', 'service_type_id', name=op.f('pk_service_type_regulator'))
    )
    with op.batch_alter_table('service_type_regulator', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_type_regulator_regulator_id'), ['regulator_id'], unique=False)
    rows = op.get_bind().execute(
        sa.select(_organisation.c.tenant_id, _service_type.c.id, _service_type.c.regulator_id)
        .join(_organisation, _organisation.c.id == _service_type.c.regulator_id)
        .where(_organisation.c.tenant_id.is_not(None))).all()
    if rows:
        op.bulk_insert(table, [{"tenant_id": t, "service_type_id": s, "regulator_id": r}
                               for t, s, r in rows])


def downgrade():
    with op.batch_alter_table('service_type_regulator', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_type_regulator_regulator_id'))

    op.drop_table('service_type_regulator')
