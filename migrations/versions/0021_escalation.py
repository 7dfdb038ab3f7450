"""electronic supervision and 好差评: escalation steps (预警/黄牌/红牌), supervision orders
(督办), a rating's five-level 好差评 level and the corrections (整改) of poor ratings

Hand-checked from autogenerate (the rating level's check constraint added by hand): three new
tables and one nullable column, no data to move (ratings made before keep no level).  The unique constraint on
(subject_kind, subject_id, due_date, step) is what lets several instances of the periodic run
raise each step exactly once.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 09:34:12.248293

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
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
    sa.CheckConstraint("subject_kind in ('service','signing','review','case','tolerated','objection','complaint','correction')", name=op.f('ck_escalation_step_subject_kind')),
    sa.CheckConstraint('late_days >= 0', name=op.f('ck_escalation_step_late_days')),
    sa.ForeignKeyConstraint(['party_org_id'], ['organisation.id'], name=op.f('fk_escalation_step_party_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalation_step')),
    sa.UniqueConstraint('subject_kind', 'subject_id', 'due_date', 'step', name=op.f('uq_escalation_step_subject_kind_subject_id_due_date_step'))
    )
    with op.batch_alter_table('escalation_step', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
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
    op.create_table('rating_correction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('rating_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('opened_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answered_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_result', sa.String(length=20), nullable=True),
    sa.Column('follow_up_note', sa.Text(), nullable=True),
    sa.Column('followed_up_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('followed_up_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("follow_up_result is null or follow_up_result in ('satisfied','basically_satisfied','dissatisfied')", name=op.f('ck_rating_correction_follow_up_result')),
    sa.CheckConstraint('(answer is null) = (answered_at is null)', name=op.f('ck_rating_correction_answered')),
    sa.CheckConstraint('(follow_up_result is null) = (followed_up_at is null)', name=op.f('ck_rating_correction_followed_up')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_rating_correction_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_rating_correction_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['followed_up_by_id'], ['user_account.id'], name=op.f('fk_rating_correction_followed_up_by_id_user_account')),
    sa.ForeignKeyConstraint(['rating_id'], ['rating.id'], name=op.f('fk_rating_correction_rating_id_rating')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating_correction')),
    sa.UniqueConstraint('public_id', name=op.f('uq_rating_correction_public_id')),
    sa.UniqueConstraint('rating_id', name=op.f('uq_rating_correction_rating_id'))
    )
    with op.batch_alter_table('rating_correction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_correction_agency_org_id'), ['agency_org_id'], unique=False)

    with op.batch_alter_table('rating', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('level', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_rating_level'), "level is null or level in ('very_satisfied','satisfied',"
            "'basically_satisfied','dissatisfied','very_dissatisfied')")


def downgrade():
    with op.batch_alter_table('rating', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_rating_level'), type_='check')
        batch_op.drop_column('level')
    op.drop_table('rating_correction')
    op.drop_table('supervision_order')
    with op.batch_alter_table('escalation_step', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalation_step_raised_at'))
        batch_op.drop_index(batch_op.f('ix_escalation_step_party_org_id'))

    op.drop_table('escalation_step')
