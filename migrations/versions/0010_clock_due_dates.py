"""clock due dates: paused_days, due_date and the calendar revision they were computed under

Hand-written.  Existing rows keep ``calendar_revision`` NULL, which marks their stored fold as
stale: the application refolds them from their events (``market.engagements.clocks``) before
the dashboards read them, and :func:`~market.engagements.clocks.view` refolds in memory, so no
calendar code runs here.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 23:50:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('clock', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('paused_days', sa.Integer(), server_default='0',
                                      nullable=False))
        batch_op.add_column(sa.Column('due_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('calendar_revision', sa.Integer(), nullable=True))
        batch_op.create_index('ix_clock_phase_due_date', ['phase', 'due_date'], unique=False)
        batch_op.create_index('ix_clock_phase_last_at', ['phase', 'last_at'], unique=False)
        batch_op.create_index('ix_clock_calendar_revision', ['calendar_revision'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('clock', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_clock_calendar_revision')
        batch_op.drop_index('ix_clock_phase_last_at')
        batch_op.drop_index('ix_clock_phase_due_date')
        batch_op.drop_column('calendar_revision')
        batch_op.drop_column('due_date')
        batch_op.drop_column('paused_days')
