"""an index on selection_request (tenant_id, state, published_at): a city's notices

The request lists filtered by a city or county (``/d/<code>/notices``, ``/notices?division=``,
``/api/requests?division=``) count the tenant's published requests: with the tenant's index
alone both databases read every row of the tenant (or of the table) to test the state; this
one answers the count from the index and gives the tenant's newest notices in order.

Hand-checked from autogenerate: one new index, no data to move.

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06 20:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0040'
down_revision = '0039'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_selection_request_tenant_state_published',
                              ['tenant_id', 'state', 'published_at'], unique=False)


def downgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_selection_request_tenant_state_published')
