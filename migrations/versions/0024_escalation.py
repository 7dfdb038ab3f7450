"""electronic supervision: escalation steps (预警/黄牌/红牌) and supervision orders (督办)

Hand-checked from autogenerate: two new tables, no data to move.  The unique constraint on
(subject_kind, subject_id, due_date, step) is what lets several instances of the periodic run
raise each step exactly once.

Revision ID: 0024
Revises: 0018
Create Date: 2026-12-06 09:34:12.248293

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0018'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('escalation_step',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('subject_link', sa.String(length=200), nullable=False),
    sa.Column('subject_title', sa.String(length=200), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=False),
    sa.Column('step', sa.String(length=8), nullable=False),
    sa.Column('party_kind', sa.String(length=16), nullable=False),
    sa.Column('party_org_id', sa.Integer(), nullable=True),
    sa.Column('party_name', sa.String(length=200), nullable=False),
    sa.Column('late_days', sa.Integer(), nullable=False),
    sa.Column('raised_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('told', sa.JSON(), nullable=False),
    sa.CheckConstraint("party_kind in ('agency','owner','department','regulator')", name=op.f('ck_escalation_step_party_kind')),
    sa.CheckConstraint("step in ('warning','yellow','red')", name=op.f('ck_escalation_step_step')),
    sa.CheckConstraint("subject_kind in ('service','signing','review','case','tolerated','objection','complaint')", name=op.f('ck_escalation_step_subject_kind')),
    sa.CheckConstraint('late_days >= 0', name=op.f('ck_escalation_step_late_days')),
    sa.ForeignKeyConstraint(['party_org_id'], ['organisation.id'], name=op.f('fk_escalation_step_party_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_step')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'due_date', 'step', name=op.f('uq_escalation_step_subject_kind_subject_id_due_date_step'))
    )
    with op.batch_alter_table('escalation_step', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalation_step_party_org_id'), ['party_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_escalation_step_raised_at'), ['raised_at'], unique=False)

    op.create_table('supervision_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('step_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('answer_due', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('(answer is null) = (answered_at is null)', name=op.f('ck_supervision_order_answered')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_supervision_order_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['step_id'], ['escalation_step.id'], name=op.f('fk_supervision_order_step_id_escalation_step')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_order')),
    sa.UniqueConstraint('public_id', name=op.f('uq_supervision_order_public_id')),
    sa.UniqueConstraint('step_id', name=op.f('uq_supervision_order_step_id'))
    )


def downgrade():
    op.drop_table('supervision_order')
    with op.batch_alter_table('escalation_step', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_step_raised_at'))
        batch_op.drop_index(batch_op.f('ix_escalation_step_party_org_id'))

    op.drop_table('escalation_step')
