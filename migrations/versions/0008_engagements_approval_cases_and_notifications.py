"""engagements, approval cases and notifications

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 23:43:09.366480

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('approval_case',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('matter_id', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('limit_days', sa.Integer(), nullable=False),
    sa.Column('statutory_days', sa.Integer(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('clock_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("decision is null or decision in ('approved','refused')", name=op.f('ck_approval_case_decision')),
    sa.CheckConstraint("state in ('preparing','accepted','suspended','running','decided','withdrawn')", name=op.f('ck_approval_case_state')),
    sa.ForeignKeyConstraint(['clock_id'], ['clock.id'], name=op.f('fk_approval_case_clock_id_clock'), use_alter=True),
    sa.ForeignKeyConstraint(['matter_id'], ['approval_matter.id'], name=op.f('fk_approval_case_matter_id_approval_matter')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_approval_case_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_approval_case_project_id_project')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_case')),
    sa.UniqueConstraint('public_id', name=op.f('uq_approval_case_public_id'))
    )
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_case_matter_id'), ['matter_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_case_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_case_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_approval_case_state'), ['state'], unique=False)
    op.create_table('engagement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('service_days', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('signing_due', sa.Date(), nullable=False),
    sa.Column('contract_upload_id', sa.Integer(), nullable=True),
    sa.Column('contract_by_org_id', sa.Integer(), nullable=True),
    sa.Column('contract_uploaded_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('contract_confirmed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('contract_confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('accepted_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=500), nullable=True),
    sa.Column('days_used', sa.Integer(), nullable=True),
    sa.Column('on_time', sa.Boolean(), nullable=True),
    sa.CheckConstraint("state in ('signing','in_service','in_review','accepted','cancelled')", name=op.f('ck_engagement_state')),
    sa.CheckConstraint('fee_fen >= 0', name=op.f('ck_engagement_fee')),
    sa.CheckConstraint('service_days > 0', name=op.f('ck_engagement_service_days')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_engagement_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_engagement_award_id_award')),
    sa.ForeignKeyConstraint(['contract_by_org_id'], ['organisation.id'], name=op.f('fk_engagement_contract_by_org_id_organisation')),
    sa.ForeignKeyConstraint(['contract_confirmed_by_id'], ['user_account.id'], name=op.f('fk_engagement_contract_confirmed_by_id_user_account')),
    sa.ForeignKeyConstraint(['contract_upload_id'], ['upload.id'], name=op.f('fk_engagement_contract_upload_id_upload')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_engagement_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_engagement_project_id_project')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_engagement_request_id_selection_request')),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], name=op.f('fk_engagement_service_type_id_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_engagement')),
    sa.UniqueConstraint('award_id', name=op.f('uq_engagement_award_id')),
    sa.UniqueConstraint('public_id', name=op.f('uq_engagement_public_id'))
    )
    with op.batch_alter_table('engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_engagement_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_service_type_id'), ['service_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_engagement_state'), ['state'], unique=False)
    op.create_table('clock',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('limit_days', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('phase', sa.String(length=8), nullable=False),
    sa.Column('last_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=True),
    sa.Column('since', sa.Date(), nullable=True),
    sa.Column('pause_reason', sa.String(length=32), nullable=True),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.Column('paused_by_reason', sa.JSON(), nullable=False),
    sa.Column('extensions', sa.Integer(), nullable=False),
    sa.Column('stop_date', sa.Date(), nullable=True),
    sa.CheckConstraint("kind in ('signing','service','review','case')", name=op.f('ck_clock_kind')),
    sa.CheckConstraint("phase in ('idle','running','paused','stopped')", name=op.f('ck_clock_phase')),
    sa.CheckConstraint('limit_days >= 0', name=op.f('ck_clock_limit_days')),
    sa.ForeignKeyConstraint(['case_id'], ['approval_case.id'], name=op.f('fk_clock_case_id_approval_case')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_clock_engagement_id_engagement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock'))
    )
    with op.batch_alter_table('clock', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clock_engagement_id'), ['engagement_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_clock_kind'), ['kind'], unique=False)
        batch_op.create_index(batch_op.f('ix_clock_phase'), ['phase'], unique=False)
    op.create_table('materials_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('asked_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('answered_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answer', sa.Text(), nullable=True),
    sa.Column('answer_upload_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answer_upload_id'], ['upload.id'], name=op.f('fk_materials_request_answer_upload_id_upload')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['user_account.id'], name=op.f('fk_materials_request_answered_by_id_user_account')),
    sa.ForeignKeyConstraint(['asked_by_id'], ['user_account.id'], name=op.f('fk_materials_request_asked_by_id_user_account')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_materials_request_engagement_id_engagement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_materials_request'))
    )
    with op.batch_alter_table('materials_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_materials_request_engagement_id'), ['engagement_id'], unique=False)
    op.create_table('suspension',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('expected_days', sa.Integer(), nullable=False),
    sa.Column('expected_end', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('notice', sa.Text(), nullable=False),
    sa.Column('started_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_by', sa.String(length=32), nullable=True),
    sa.CheckConstraint("reason in ('intermediary','expert_review','correction','hearing')", name=op.f('ck_suspension_reason')),
    sa.CheckConstraint('expected_days > 0', name=op.f('ck_suspension_expected_days')),
    sa.ForeignKeyConstraint(['case_id'], ['approval_case.id'], name=op.f('fk_suspension_case_id_approval_case')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_suspension_engagement_id_engagement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_suspension'))
    )
    with op.batch_alter_table('suspension', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_suspension_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_suspension_engagement_id'), ['engagement_id'], unique=False)
    op.create_table('clock_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=32), nullable=True),
    sa.Column('days', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('by_user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('start','pause','resume','extend','stop')", name=op.f('ck_clock_event_kind')),
    sa.ForeignKeyConstraint(['by_user_id'], ['user_account.id'], name=op.f('fk_clock_event_by_user_id_user_account')),
    sa.ForeignKeyConstraint(['clock_id'], ['clock.id'], name=op.f('fk_clock_event_clock_id_clock')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_clock_event')),
    sa.UniqueConstraint('clock_id', 'seq', name=op.f('uq_clock_event_clock_id_seq'))
    )
    with op.batch_alter_table('clock_event', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_clock_event_clock_id'), ['clock_id'], unique=False)
    op.create_table('deliverable',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=1000), nullable=False),
    sa.Column('submitted_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('review_clock_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("decision in ('pending','accepted','returned','withdrawn')", name=op.f('ck_deliverable_decision')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_deliverable_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_deliverable_engagement_id_engagement')),
    sa.ForeignKeyConstraint(['review_clock_id'], ['clock.id'], name=op.f('fk_deliverable_review_clock_id_clock')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_deliverable_submitted_by_id_user_account')),
    sa.ForeignKeyConstraint(['upload_id'], ['upload.id'], name=op.f('fk_deliverable_upload_id_upload')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliverable')),
    sa.UniqueConstraint('engagement_id', 'version', name=op.f('uq_deliverable_engagement_id_version'))
    )
    with op.batch_alter_table('deliverable', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_deliverable_engagement_id'), ['engagement_id'], unique=False)
    op.create_table('notification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('link', sa.String(length=200), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('email_claimed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('emailed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('email_error', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['clock_id'], ['clock.id'], name=op.f('fk_notification_clock_id_clock')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_notification_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification')),
    sa.UniqueConstraint('key', name=op.f('uq_notification_key'))
    )
    with op.batch_alter_table('notification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_clock_id'), ['clock_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_organisation_id'), ['organisation_id'], unique=False)
    # approval_case and clock point at each other, so this key is added once both exist
    # (SQLite keeps it inline in CREATE TABLE; PostgreSQL needs the separate ALTER).
    if op.get_bind().dialect.name != "sqlite":
        op.create_foreign_key(op.f('fk_approval_case_clock_id_clock'), 'approval_case', 'clock',
                              ['clock_id'], ['id'])


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        op.drop_constraint(op.f('fk_approval_case_clock_id_clock'), 'approval_case',
                           type_='foreignkey')
    with op.batch_alter_table('notification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_notification_created_at'))
        batch_op.drop_index(batch_op.f('ix_notification_clock_id'))
    op.drop_table('notification')
    with op.batch_alter_table('deliverable', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deliverable_engagement_id'))
    op.drop_table('deliverable')
    with op.batch_alter_table('clock_event', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_event_clock_id'))
    op.drop_table('clock_event')
    with op.batch_alter_table('suspension', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suspension_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_suspension_case_id'))
    op.drop_table('suspension')
    with op.batch_alter_table('materials_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_materials_request_engagement_id'))
    op.drop_table('materials_request')
    with op.batch_alter_table('clock', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_clock_phase'))
        batch_op.drop_index(batch_op.f('ix_clock_kind'))
        batch_op.drop_index(batch_op.f('ix_clock_engagement_id'))
        batch_op.drop_index(batch_op.f('ix_clock_case_id'))
    op.drop_table('clock')
    with op.batch_alter_table('engagement', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engagement_state'))
        batch_op.drop_index(batch_op.f('ix_engagement_service_type_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_request_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_project_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_engagement_agency_org_id'))
    op.drop_table('engagement')
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_case_state'))
        batch_op.drop_index(batch_op.f('ix_approval_case_project_id'))
        batch_op.drop_index(batch_op.f('ix_approval_case_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_approval_case_matter_id'))
    op.drop_table('approval_case')
