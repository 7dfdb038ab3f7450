"""department.tenant_id: an approving department belongs to a tenant

A department's staff (部门工作人员) are invited by the operator of the department's tenant
only; until now a department nobody had staffed had no tenant, was offered to every
operator, and the first to staff it took it.  The column makes the tenant explicit, set by
the provincial operator.  Existing rows take, where staffed, the tenant of their staff's
organisation (what the first staffing decided); the others the province's row: nobody
decided they are any city's, and the province keeps the shared catalogue, so its operator
assigns them (docs/tenancy.md says why not the first city).

Hand-checked from autogenerate: one column with its foreign key and index, the backfill, then
NOT NULL.

Revision ID: 0048
Revises: 0047
Create Date: 2026-12-07 05:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0048'
down_revision = '0047'
branch_labels = None
depends_on = None

# Snapshots of the tables as this migration knows them (never the live models).
department = sa.table('department', sa.column('id', sa.Integer),
                      sa.column('organisation_id', sa.Integer),
                      sa.column('tenant_id', sa.Integer))
organisation = sa.table('organisation', sa.column('id', sa.Integer),
                        sa.column('tenant_id', sa.Integer))
division = sa.table('division', sa.column('id', sa.Integer), sa.column('level', sa.String))


def upgrade():
    with op.batch_alter_table('department', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
    bind = op.get_bind()
    bind.execute(department.update().where(department.c.organisation_id.is_not(None)).values(
        tenant_id=sa.select(organisation.c.tenant_id)
        .where(organisation.c.id == department.c.organisation_id).scalar_subquery()))
    unassigned = bind.execute(sa.select(sa.func.count()).select_from(department)
                              .where(department.c.tenant_id.is_(None))).scalar()
    if unassigned:
        province = bind.execute(sa.select(division.c.id).where(division.c.level == 'province')
                                .order_by(division.c.id).limit(1)).scalar()
        if province is None:  # migration 0036 inserts it; a hand edit could have removed it
            raise RuntimeError('departments without staff and no province in the division '
                               'table: add the province (flask tenants add), then upgrade again')
        bind.execute(department.update().where(department.c.tenant_id.is_(None))
                     .values(tenant_id=province))
    with op.batch_alter_table('department', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('tenant_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_department_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_department_tenant_id_division'), 'division',
                                    ['tenant_id'], ['id'])


def downgrade():
    with op.batch_alter_table('department', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_department_tenant_id_division'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_department_tenant_id'))
        batch_op.drop_column('tenant_id')
