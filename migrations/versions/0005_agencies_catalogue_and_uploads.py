"""agencies catalogue and uploads

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 23:32:10.751746

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('approval_matter',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('statutory_days', sa.Integer(), nullable=False),
    sa.Column('committed_days', sa.Integer(), nullable=False),
    sa.CheckConstraint('committed_days > 0 AND committed_days <= statutory_days', name=op.f('ck_approval_matter_limits')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_matter')),
    sa.UniqueConstraint('code', name=op.f('uq_approval_matter_code'))
    )
    op.create_table('practitioner',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('certificate_type', sa.String(length=100), nullable=False),
    sa.Column('certificate_number', sa.String(length=100), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status in ('pending','approved','rejected','superseded')", name=op.f('ck_practitioner_status')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_practitioner_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['replaces_id'], ['practitioner.id'], name=op.f('fk_practitioner_replaces_id_practitioner')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_practitioner_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_practitioner_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_practitioner'))
    )
    with op.batch_alter_table('practitioner', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_practitioner_org_status', ['organisation_id', 'status'], unique=False)
    op.create_table('upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('original_name', sa.String(length=255), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_upload_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_upload_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upload'))
    )
    with op.batch_alter_table('upload', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_upload_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_upload_sha256'), ['sha256'], unique=False)
    op.create_table('admission_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('previous_id', sa.Integer(), nullable=True),
    sa.Column('legal_name', sa.String(length=200), nullable=False),
    sa.Column('credit_code', sa.String(length=18), nullable=False),
    sa.Column('region', sa.String(length=100), nullable=False),
    sa.Column('legal_representative', sa.String(length=100), nullable=False),
    sa.Column('authorised_representative', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('licence_upload_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('review_due_on', sa.Date(), nullable=False),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('reasons', sa.Text(), nullable=True),
    sa.CheckConstraint("status in ('pending','approved','rejected','superseded')", name=op.f('ck_admission_application_status')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_admission_application_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['licence_upload_id'], ['upload.id'], name=op.f('fk_admission_application_licence_upload_id_upload')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_admission_application_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['previous_id'], ['admission_application.id'], name=op.f('fk_admission_application_previous_id_admission_application')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_admission_application_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admission_application'))
    )
    with op.batch_alter_table('admission_application', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_admission_application_organisation_id'), ['organisation_id'], unique=False)
        batch_op.create_index('ix_admission_application_status_due', ['status', 'review_due_on'], unique=False)
    op.create_table('agency_profile',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('legal_representative', sa.String(length=100), nullable=False),
    sa.Column('authorised_representative', sa.String(length=100), nullable=False),
    sa.Column('contact_phone', sa.String(length=32), nullable=False),
    sa.Column('contact_email', sa.String(length=254), nullable=False),
    sa.Column('licence_upload_id', sa.Integer(), nullable=True),
    sa.Column('admitted_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('min_fee_fen', sa.BigInteger(), nullable=True),
    sa.Column('min_days', sa.Integer(), nullable=True),
    sa.Column('orders', sa.Integer(), nullable=False),
    sa.Column('on_time_rate_bp', sa.Integer(), nullable=True),
    sa.Column('average_days_ratio_bp', sa.Integer(), nullable=True),
    sa.Column('rating_centi', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['licence_upload_id'], ['upload.id'], name=op.f('fk_agency_profile_licence_upload_id_upload')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_agency_profile_organisation_id_organisation')),
    sa.PrimaryKeyConstraint('organisation_id', name=op.f('pk_agency_profile'))
    )
    with op.batch_alter_table('agency_profile', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_agency_profile_min_days'), ['min_days'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_profile_min_fee_fen'), ['min_fee_fen'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_profile_on_time_rate_bp'), ['on_time_rate_bp'], unique=False)
        batch_op.create_index(batch_op.f('ix_agency_profile_rating_centi'), ['rating_centi'], unique=False)
    op.create_table('approval_matter_service_type',
    sa.Column('approval_matter_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['approval_matter_id'], ['approval_matter.id'], name=op.f('fk_approval_matter_service_type_approval_matter_id_approval_matter'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], name=op.f('fk_approval_matter_service_type_service_type_id_service_type'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('approval_matter_id', 'service_type_id', name=op.f('pk_approval_matter_service_type'))
    )
    with op.batch_alter_table('approval_matter_service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_approval_matter_service_type_service_type_id'), ['service_type_id'], unique=False)
    op.create_table('listing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('fee_low_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_kind', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=True),
    sa.Column('minimum_fen', sa.BigInteger(), nullable=True),
    sa.Column('maximum_fen', sa.BigInteger(), nullable=True),
    sa.Column('committed_days', sa.Integer(), nullable=False),
    sa.Column('effective_from', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("fee_kind in ('fixed','rate','range')", name=op.f('ck_listing_fee_kind')),
    sa.CheckConstraint('committed_days > 0', name=op.f('ck_listing_committed_days')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_listing_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], name=op.f('fk_listing_service_type_id_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing')),
    sa.UniqueConstraint('organisation_id', 'service_type_id', name=op.f('uq_listing_organisation_id_service_type_id'))
    )
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_listing_fee', ['fee_low_fen', 'organisation_id'], unique=False)
        batch_op.create_index('ix_listing_service_days', ['service_type_id', 'committed_days', 'organisation_id'], unique=False)
        batch_op.create_index('ix_listing_service_fee', ['service_type_id', 'fee_low_fen', 'organisation_id'], unique=False)
    op.create_table('qualification',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('replaces_id', sa.Integer(), nullable=True),
    sa.Column('qualification_type', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=20), nullable=False),
    sa.Column('number', sa.String(length=100), nullable=False),
    sa.Column('issuer', sa.String(length=200), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('scan_upload_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.CheckConstraint("status in ('pending','approved','rejected','superseded')", name=op.f('ck_qualification_status')),
    sa.CheckConstraint('valid_until >= valid_from', name=op.f('ck_qualification_validity')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_qualification_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['replaces_id'], ['qualification.id'], name=op.f('fk_qualification_replaces_id_qualification')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['user_account.id'], name=op.f('fk_qualification_reviewed_by_id_user_account')),
    sa.ForeignKeyConstraint(['scan_upload_id'], ['upload.id'], name=op.f('fk_qualification_scan_upload_id_upload')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_qualification_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qualification'))
    )
    with op.batch_alter_table('qualification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_qualification_level_until', ['level', 'valid_until', 'organisation_id'], unique=False)
        batch_op.create_index('ix_qualification_org_status', ['organisation_id', 'status'], unique=False)
    op.create_table('listing_version',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('fee_kind', sa.String(length=8), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('rate_bp', sa.Integer(), nullable=True),
    sa.Column('minimum_fen', sa.BigInteger(), nullable=True),
    sa.Column('maximum_fen', sa.BigInteger(), nullable=True),
    sa.Column('committed_days', sa.Integer(), nullable=False),
    sa.Column('effective_from', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('committed_days > 0', name=op.f('ck_listing_version_committed_days')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_listing_version_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['listing_id'], ['listing.id'], name=op.f('fk_listing_version_listing_id_listing')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_version')),
    sa.UniqueConstraint('listing_id', 'version', name=op.f('uq_listing_version_listing_id_version'))
    )
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_organisation_kind_status_region', ['kind', 'status', 'region'], unique=False)
    with op.batch_alter_table('service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('qualification_types', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('practitioner_types', sa.JSON(), nullable=False, server_default='[]'))


def downgrade():
    with op.batch_alter_table('service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('practitioner_types')
        batch_op.drop_column('qualification_types')
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_organisation_kind_status_region')
    op.drop_table('listing_version')
    with op.batch_alter_table('qualification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_qualification_org_status')
        batch_op.drop_index('ix_qualification_level_until')
    op.drop_table('qualification')
    with op.batch_alter_table('listing', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_listing_service_fee')
        batch_op.drop_index('ix_listing_service_days')
        batch_op.drop_index('ix_listing_fee')
    op.drop_table('listing')
    with op.batch_alter_table('approval_matter_service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_approval_matter_service_type_service_type_id'))
    op.drop_table('approval_matter_service_type')
    with op.batch_alter_table('agency_profile', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agency_profile_rating_centi'))
        batch_op.drop_index(batch_op.f('ix_agency_profile_on_time_rate_bp'))
        batch_op.drop_index(batch_op.f('ix_agency_profile_min_fee_fen'))
        batch_op.drop_index(batch_op.f('ix_agency_profile_min_days'))
    op.drop_table('agency_profile')
    with op.batch_alter_table('admission_application', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_admission_application_status_due')
        batch_op.drop_index(batch_op.f('ix_admission_application_organisation_id'))
    op.drop_table('admission_application')
    with op.batch_alter_table('upload', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_upload_sha256'))
        batch_op.drop_index(batch_op.f('ix_upload_organisation_id'))
    op.drop_table('upload')
    with op.batch_alter_table('practitioner', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_practitioner_org_status')
    op.drop_table('practitioner')
    op.drop_table('approval_matter')
