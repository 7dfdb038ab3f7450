"""what an upheld objection leads to, and the standard contract of each service type

Hand-written.  ``selection_request.on_upheld`` ('next': the next alternate of the published
ranking takes a voided award; 'redraw': the selection runs again), stated by the notice; the
requests already published keep what they did before ('redraw', the server default).
``service_type.contract_template`` (the standard contract, 合同范本, with placeholders; empty:
the catalogue's standard text) and ``service_type.deliverables`` (服务成果, empty for the types
already there); ``engagement.contract_text``, the standard contract as both sides confirmed it
(shown by the contract notice, 合同公告; NULL for contracts confirmed before, whose notice
shows the contract's terms without it).  No CHECK on ``on_upheld``: on SQLite adding one rebuilds the table, which its
foreign keys forbid once it holds rows.  Downgrade drops the four columns.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 14:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('on_upheld', sa.String(length=8), server_default='redraw',
                                      nullable=False))
    with op.batch_alter_table('engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('contract_text', sa.Text(), nullable=True))
    with op.batch_alter_table('service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('contract_template', sa.Text(), server_default='',
                                      nullable=False))
        batch_op.add_column(sa.Column('deliverables', sa.String(length=500), server_default='',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('deliverables')
        batch_op.drop_column('contract_template')
    with op.batch_alter_table('engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('contract_text')
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('on_upheld')
