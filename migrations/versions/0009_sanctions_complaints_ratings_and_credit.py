"""sanctions, complaints, ratings and credit

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 23:43:09.366480

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('filer_org_id', sa.Integer(), nullable=False),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('against_org_id', sa.Integer(), nullable=True),
    sa.Column('subject_kind', sa.String(length=16), nullable=False),
    sa.Column('subject_id', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('filed_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('review_started_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handler_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.Text(), nullable=True),
    sa.CheckConstraint("state in ('received','under_review','upheld','rejected')", name=op.f('ck_complaint_state')),
    sa.CheckConstraint("subject_kind in ('engagement','request')", name=op.f('ck_complaint_subject_kind')),
    sa.ForeignKeyConstraint(['against_org_id'], ['organisation.id'], name=op.f('fk_complaint_against_org_id_organisation')),
    sa.ForeignKeyConstraint(['filed_by_id'], ['user_account.id'], name=op.f('fk_complaint_filed_by_id_user_account')),
    sa.ForeignKeyConstraint(['filer_org_id'], ['organisation.id'], name=op.f('fk_complaint_filer_org_id_organisation')),
    sa.ForeignKeyConstraint(['handler_id'], ['user_account.id'], name=op.f('fk_complaint_handler_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint')),
    sa.UniqueConstraint('public_id', name=op.f('uq_complaint_public_id'))
    )
    with op.batch_alter_table('complaint', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_against_org_id'), ['against_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_filer_org_id'), ['filer_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_complaint_state'), ['state'], unique=False)
    op.create_table('credit_record',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('parts', sa.JSON(), nullable=False),
    sa.Column('computed_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('score >= 0 and score <= 100', name=op.f('ck_credit_record_score')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_credit_record_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_credit_record'))
    )
    with op.batch_alter_table('credit_record', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_record_score'), ['score'], unique=False)
    op.create_table('sanction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.String(length=1000), nullable=False),
    sa.Column('legal_basis', sa.String(length=500), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('issued_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('regulator_org_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('warning','suspension','blacklist')", name=op.f('ck_sanction_kind')),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_sanction_dates')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_sanction_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['issued_by_id'], ['user_account.id'], name=op.f('fk_sanction_issued_by_id_user_account')),
    sa.ForeignKeyConstraint(['regulator_org_id'], ['organisation.id'], name=op.f('fk_sanction_regulator_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sanction'))
    )
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_sanction_agency_org_id'), ['agency_org_id'], unique=False)
    op.create_table('complaint_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('complaint_id', sa.Integer(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['complaint_id'], ['complaint.id'], name=op.f('fk_complaint_attachment_complaint_id_complaint')),
    sa.ForeignKeyConstraint(['upload_id'], ['upload.id'], name=op.f('fk_complaint_attachment_upload_id_upload')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_complaint_attachment'))
    )
    with op.batch_alter_table('complaint_attachment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_complaint_attachment_complaint_id'), ['complaint_id'], unique=False)
    op.create_table('rating',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('quality', sa.Integer(), nullable=False),
    sa.Column('timeliness', sa.Integer(), nullable=False),
    sa.Column('attitude', sa.Integer(), nullable=False),
    sa.Column('fees', sa.Integer(), nullable=False),
    sa.Column('integrity', sa.Integer(), nullable=False),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('rated_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('rated_by_id', sa.Integer(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('replied_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replied_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('attitude between 1 and 5', name=op.f('ck_rating_attitude')),
    sa.CheckConstraint('fees between 1 and 5', name=op.f('ck_rating_fees')),
    sa.CheckConstraint('integrity between 1 and 5', name=op.f('ck_rating_integrity')),
    sa.CheckConstraint('quality between 1 and 5', name=op.f('ck_rating_quality')),
    sa.CheckConstraint('timeliness between 1 and 5', name=op.f('ck_rating_timeliness')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_rating_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_rating_engagement_id_engagement')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_rating_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['rated_by_id'], ['user_account.id'], name=op.f('fk_rating_rated_by_id_user_account')),
    sa.ForeignKeyConstraint(['replied_by_id'], ['user_account.id'], name=op.f('fk_rating_replied_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rating')),
    sa.UniqueConstraint('engagement_id', name=op.f('uq_rating_engagement_id'))
    )
    with op.batch_alter_table('rating', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_rating_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rating_owner_org_id'), ['owner_org_id'], unique=False)


def downgrade():
    with op.batch_alter_table('rating', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rating_owner_org_id'))
        batch_op.drop_index(batch_op.f('ix_rating_agency_org_id'))
    op.drop_table('rating')
    with op.batch_alter_table('complaint_attachment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_attachment_complaint_id'))
    op.drop_table('complaint_attachment')
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sanction_agency_org_id'))
    op.drop_table('sanction')
    with op.batch_alter_table('credit_record', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credit_record_score'))
    op.drop_table('credit_record')
    with op.batch_alter_table('complaint', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_complaint_state'))
        batch_op.drop_index(batch_op.f('ix_complaint_filer_org_id'))
        batch_op.drop_index(batch_op.f('ix_complaint_against_org_id'))
    op.drop_table('complaint')
