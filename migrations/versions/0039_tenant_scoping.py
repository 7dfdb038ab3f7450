"""a clock's tenant; a tenant's catalogue choices

Hand-written.  ``clock.tenant_id``: the tenant whose settings a clock is read under (its
warning lead time): an engagement's clock takes its request's tenant, an approval case's its
owner's.  Existing clocks are filled in from those rows; a clock with neither stays NULL and
reads the province's values, as every clock did before.

``unused_service_type`` and ``unused_approval_matter``: the shared catalogue's items a tenant
does not use (目录选用).  Empty: every tenant uses the whole catalogue, as before.

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0038'
branch_labels = None
depends_on = None

clock = sa.table('clock', sa.column('id', sa.Integer), sa.column('tenant_id', sa.Integer),
                 sa.column('engagement_id', sa.Integer), sa.column('case_id', sa.Integer))
engagement = sa.table('engagement', sa.column('id', sa.Integer),
                      sa.column('request_id', sa.Integer))
request = sa.table('selection_request', sa.column('id', sa.Integer),
                   sa.column('tenant_id', sa.Integer))
case = sa.table('approval_case', sa.column('id', sa.Integer),
                sa.column('owner_org_id', sa.Integer))
organisation = sa.table('organisation', sa.column('id', sa.Integer),
                        sa.column('tenant_id', sa.Integer))


def upgrade():
    op.create_table('unused_service_type',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], name=op.f('fk_unused_service_type_service_type_id_service_type'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['division.id'], name=op.f('fk_unused_service_type_tenant_id_division')),
    sa.PrimaryKeyConstraint('tenant_id', 'service_type_id', name=op.f('pk_unused_service_type'))
    )
    with op.batch_alter_table('unused_service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_unused_service_type_service_type_id'), ['service_type_id'], unique=False)
    op.create_table('unused_approval_matter',
    sa.Column('tenant_id', sa.Integer(), nullable=False),
    sa.Column('approval_matter_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approval_matter_id'], ['approval_matter.id'], name=op.f('fk_unused_approval_matter_approval_matter_id_approval_matter'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['tenant_id'], ['division.id'], name=op.f('fk_unused_approval_matter_tenant_id_division')),
    sa.PrimaryKeyConstraint('tenant_id', 'approval_matter_id', name=op.f('pk_unused_approval_matter'))
    )
    with op.batch_alter_table('unused_approval_matter', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_unused_approval_matter_approval_matter_id'), ['approval_matter_id'], unique=False)

    with op.batch_alter_table('clock', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_clock_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_clock_tenant_id_division'), 'division',
                                    ['tenant_id'], ['id'])
    bind = op.get_bind()
    by_engagement = (sa.select(request.c.tenant_id)
                     .select_from(engagement.join(request, request.c.id == engagement.c.request_id))
                     .where(engagement.c.id == clock.c.engagement_id).scalar_subquery())
    bind.execute(clock.update().where(clock.c.engagement_id.is_not(None))
                 .values(tenant_id=by_engagement))
    by_case = (sa.select(organisation.c.tenant_id)
               .select_from(case.join(organisation, organisation.c.id == case.c.owner_org_id))
               .where(case.c.id == clock.c.case_id).scalar_subquery())
    bind.execute(clock.update().where(clock.c.engagement_id.is_(None),
                                      clock.c.case_id.is_not(None))
                 .values(tenant_id=by_case))


def downgrade():
    with op.batch_alter_table('clock', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clock_tenant_id_division'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_clock_tenant_id'))
        batch_op.drop_column('tenant_id')
    with op.batch_alter_table('unused_approval_matter', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unused_approval_matter_approval_matter_id'))
    op.drop_table('unused_approval_matter')
    with op.batch_alter_table('unused_service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unused_service_type_service_type_id'))
    op.drop_table('unused_service_type')
