"""a clock's tenant

Hand-written.  ``clock.tenant_id``: the tenant whose settings a clock is read under (its
warning lead time): an engagement's clock takes its request's tenant, an approval case's its
owner's.  Existing clocks are filled in from those rows; a clock with neither stays NULL and
reads the province's values, as every clock did before.

Revision ID: 0039
Revises: 0036
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0039'
down_revision = '0036'
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
    with op.batch_alter_table('clock', schema=None) as batch_op:
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
    with op.batch_alter_table('clock', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_clock_tenant_id_division'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_clock_tenant_id'))
        batch_op.drop_column('tenant_id')
