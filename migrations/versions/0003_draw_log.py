"""draw log

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:13:07.108231

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('log_checkpoint',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_log_checkpoint'))
    )
    op.create_table('log_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('last_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_log_head'))
    )
    op.create_table('log_leaf',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('lottery_id', sa.String(length=128), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_log_leaf'))
    )
    with op.batch_alter_table('log_leaf', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_log_leaf_lottery_id'), ['lottery_id'], unique=False)
    op.create_table('log_node',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_log_node'))
    )
    op.execute("INSERT INTO log_head (id, size) VALUES (1, 0)")


def downgrade():
    op.drop_table('log_node')
    with op.batch_alter_table('log_leaf', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_log_leaf_lottery_id'))
    op.drop_table('log_leaf')
    op.drop_table('log_head')
    op.drop_table('log_checkpoint')
