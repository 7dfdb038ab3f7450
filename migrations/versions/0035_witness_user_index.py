"""an index on witness.user_id: the dashboard's draw to-dos start from the person

Hand-checked from autogenerate: one new index, no data to move.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-06 17:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('witness', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_witness_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('witness', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_witness_user_id'))
