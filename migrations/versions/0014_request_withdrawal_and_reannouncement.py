"""request withdrawal and re-announcement: who withdrew a request (撤销), when and the public
reason; an index on the re-announcement link (重新公告) that both notices follow

Hand-written.  Existing requests were never withdrawn, so the new columns start NULL.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 04:00:00

"""
from alembic import op
import sqlalchemy as sa

import market.db


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', market.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=500), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_selection_request_cancelled_by_id_user_account'), 'user_account',
            ['cancelled_by_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_selection_request_reannounces_id'),
                              ['reannounces_id'], unique=False)


def downgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_request_reannounces_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_selection_request_cancelled_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancelled_at')
