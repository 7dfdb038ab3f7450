"""credit merit's long and short list, quotes as a discount rate, the abnormally low quote rule

Hand-written.  ``selection_request`` gains the terms the notice publishes: ``quote_kind``
('amount' or 'rate', 下浮率 off the base price), the abnormally low quote rule
(``low_share_bp``, ``low_action``), and credit merit's threshold and short-list size
(``credit_threshold``, ``shortlist_size``; NULL on requests published under the earlier
top-half rule, which keep it).  ``award`` gains the owner's written reason for a short-list
choice and an abnormally low quote's explanation; ``bid`` whether the opening found it
abnormally low.  The method stays the string ``credit_merit`` (no enum change).  No CHECK
constraints: on SQLite adding one rebuilds the table, which its foreign keys forbid once it
holds rows; the operations check the values.  Downgrade drops the columns.

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-06 13:45:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('quote_kind', sa.String(length=8), server_default='amount',
                                      nullable=False))
        batch_op.add_column(sa.Column('low_share_bp', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('low_action', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('credit_threshold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('shortlist_size', sa.Integer(), nullable=True))
    with op.batch_alter_table('award', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('choice_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('low_explanation', sa.String(length=2000), nullable=True))
    with op.batch_alter_table('bid', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('abnormally_low', sa.Boolean(), nullable=True))


def downgrade():
    with op.batch_alter_table('bid', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('abnormally_low')
    with op.batch_alter_table('award', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('low_explanation')
        batch_op.drop_column('choice_reason')
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('shortlist_size')
        batch_op.drop_column('credit_threshold')
        batch_op.drop_column('low_action')
        batch_op.drop_column('low_share_bp')
        batch_op.drop_column('quote_kind')
