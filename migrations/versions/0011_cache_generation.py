"""cache generation: a counter per cache scope, bumped by every transaction that changes what
the scope shows (market.pagecache)

Hand-written.  The directory's row starts at 0; the application also creates a missing row on
its first bump, for databases made with create_all.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-26 02:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        'cache_generation',
        sa.Column('scope', sa.String(length=32), nullable=False),
        sa.Column('counter', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('scope', name=op.f('pk_cache_generation')),
    )
    op.bulk_insert(table, [{'scope': 'directory', 'counter': 0}])


def downgrade():
    op.drop_table('cache_generation')
