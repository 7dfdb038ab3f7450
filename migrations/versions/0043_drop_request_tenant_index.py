"""selection_request: ix_selection_request_tenant_id dropped, (tenant_id, published_at) added

The single-column index on ``tenant_id`` is redundant: every query that narrows requests by
tenant (``tenant_id = …``, ``tenant_id IN (…)``, the foreign key's check when a division is
deleted) uses the leading column of ``ix_selection_request_tenant_state_published`` (0040) —
checked with EXPLAIN on SQLite and PostgreSQL over the province's data (docs/performance.md).

``ix_selection_request_tenant_published`` gives each tenant's published requests newest first
whatever their state: a city's notice list (its own and its counties') takes each tenant's
newest from it instead of sorting all of the division's requests.

Hand-checked from autogenerate: one index dropped, one added, no data to move.

Revision ID: 0043
Revises: 0042
Create Date: 2026-12-06 23:20:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0043'
down_revision = '0042'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_selection_request_tenant_id')
        batch_op.create_index('ix_selection_request_tenant_published',
                              ['tenant_id', 'published_at'], unique=False)


def downgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_selection_request_tenant_published')
        batch_op.create_index('ix_selection_request_tenant_id', ['tenant_id'], unique=False)
