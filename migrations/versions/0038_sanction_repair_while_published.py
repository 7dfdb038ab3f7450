"""a sanction may be repaired while it is published, not only while it is in force

Hand-written.  Under 《信用修复管理办法》 (国家发展改革委令 2025 年第 36 号) a sanction stays
published after its term, until the longest publication period of its class has run, and a
credit repair (信用修复) is what ends that publication early.  The check on
``sanction.repaired_on`` therefore drops its upper bound (``repaired_on <= ends_on``); a
repair still takes effect after the sanction's first day.  No row changes.

Downgrade refuses while a repair takes effect after its sanction's end (the old check would
not hold); otherwise it restores the old check.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-06 20:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0038'
down_revision = '0037'
branch_labels = None
depends_on = None

sanction = sa.table('sanction', sa.column('repaired_on', sa.Date()),
                    sa.column('ends_on', sa.Date()))


def upgrade():
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_sanction_repaired_on'), type_='check')
        batch_op.create_check_constraint(
            'repaired_on', 'repaired_on is null or repaired_on > starts_on')


def downgrade():
    bind = op.get_bind()
    late = bind.execute(sa.select(sa.func.count()).select_from(sanction).where(
        sanction.c.repaired_on > sanction.c.ends_on)).scalar()
    if late:
        raise RuntimeError('a credit repair takes effect after its sanction has ended: the '
                           'earlier check cannot hold it; downgrading below 0038 is refused')
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_sanction_repaired_on'), type_='check')
        batch_op.create_check_constraint(
            'repaired_on', 'repaired_on is null or (repaired_on > starts_on and '
            'repaired_on <= ends_on)')
