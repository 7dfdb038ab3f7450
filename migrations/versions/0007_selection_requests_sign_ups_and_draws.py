"""selection requests sign-ups and draws

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 23:43:09.366480

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bid_log_checkpoint',
    sa.Column('size', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('root', sa.LargeBinary(length=32), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('size', name=op.f('pk_bid_log_checkpoint'))
    )
    op.create_table('bid_log_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('last_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_log_head'))
    )
    op.create_table('bid_log_leaf',
    sa.Column('seq', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('request_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_bid_log_leaf'))
    )
    with op.batch_alter_table('bid_log_leaf', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_log_leaf_request_id'), ['request_id'], unique=False)
    op.create_table('bid_log_node',
    sa.Column('level', sa.SmallInteger(), autoincrement=False, nullable=False),
    sa.Column('index', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('hash', sa.LargeBinary(length=32), nullable=False),
    sa.PrimaryKeyConstraint('level', 'index', name=op.f('pk_bid_log_node'))
    )
    op.create_table('project',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('fund_source', sa.String(length=16), nullable=False),
    sa.Column('investment_fen', sa.BigInteger(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("fund_source in ('fiscal','social')", name=op.f('ck_project_fund_source')),
    sa.CheckConstraint('investment_fen >= 0', name=op.f('ck_project_investment')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_project_owner_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project')),
    sa.UniqueConstraint('public_id', name=op.f('uq_project_public_id'))
    )
    with op.batch_alter_table('project', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_owner_org_id'), ['owner_org_id'], unique=False)
    op.create_table('selection_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('service_type_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('qualification_type', sa.String(length=100), nullable=True),
    sa.Column('qualification_level', sa.String(length=20), nullable=True),
    sa.Column('practitioners', sa.JSON(), nullable=False),
    sa.Column('price_kind', sa.String(length=8), nullable=False),
    sa.Column('price_fen', sa.BigInteger(), nullable=True),
    sa.Column('cap_fen', sa.BigInteger(), nullable=True),
    sa.Column('floor_fen', sa.BigInteger(), nullable=True),
    sa.Column('service_days', sa.Integer(), nullable=False),
    sa.Column('signing_days', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=16), nullable=False),
    sa.Column('signup_closes_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('external_kind', sa.String(length=8), nullable=False),
    sa.Column('external_label', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('published_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('failed_reason', sa.String(length=200), nullable=True),
    sa.Column('reannounces_id', sa.Integer(), nullable=True),
    sa.Column('direct_agency_org_id', sa.Integer(), nullable=True),
    sa.Column('bid_round', sa.Integer(), nullable=False),
    sa.Column('opened_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('opening_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("method in ('lottery','sealed_bid','credit_merit','direct')", name=op.f('ck_selection_request_method')),
    sa.CheckConstraint("price_kind in ('fixed','cap')", name=op.f('ck_selection_request_price_kind')),
    sa.CheckConstraint("state in ('draft','open','closed','selected','failed','cancelled')", name=op.f('ck_selection_request_state')),
    sa.CheckConstraint('service_days > 0', name=op.f('ck_selection_request_service_days')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_selection_request_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['direct_agency_org_id'], ['organisation.id'], name=op.f('fk_selection_request_direct_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_selection_request_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_selection_request_project_id_project')),
    sa.ForeignKeyConstraint(['reannounces_id'], ['selection_request.id'], name=op.f('fk_selection_request_reannounces_id_selection_request')),
    sa.ForeignKeyConstraint(['service_type_id'], ['service_type.id'], name=op.f('fk_selection_request_service_type_id_service_type')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_selection_request')),
    sa.UniqueConstraint('public_id', name=op.f('uq_selection_request_public_id'))
    )
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_selection_request_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_request_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_request_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_request_service_type_id'), ['service_type_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_selection_request_state'), ['state'], unique=False)
    op.create_table('amendment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_amendment_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_amendment_request_id_selection_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_amendment'))
    )
    with op.batch_alter_table('amendment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_amendment_request_id'), ['request_id'], unique=False)
    op.create_table('avoid_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_avoid_entry_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_avoid_entry_request_id_selection_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_avoid_entry'))
    )
    with op.batch_alter_table('avoid_entry', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_avoid_entry_request_id'), ['request_id'], unique=False)
    op.create_table('award',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('lottery_id', sa.String(length=64), nullable=True),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('rank', sa.Integer(), nullable=False),
    sa.Column('fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('service_days', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('offered_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decline_reason', sa.String(length=500), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('replaced_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state in ('offered','confirmed','declined','timed_out','voided')", name=op.f('ck_award_state')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_award_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['replaced_by_id'], ['award.id'], name=op.f('fk_award_replaced_by_id_award')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_award_request_id_selection_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_award'))
    )
    with op.batch_alter_table('award', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_award_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_award_state'), ['state'], unique=False)
    op.create_table('bid',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sealed', sa.LargeBinary(), nullable=False),
    sa.Column('commitment', sa.String(length=64), nullable=False),
    sa.Column('log_seq', sa.BigInteger(), nullable=False),
    sa.Column('receipt', sa.JSON(), nullable=False),
    sa.Column('replaced_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('nonce', sa.String(length=64), nullable=True),
    sa.Column('valid', sa.Boolean(), nullable=True),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_bid_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_bid_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_bid_request_id_selection_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid')),
    sa.UniqueConstraint('commitment', name=op.f('uq_bid_commitment'))
    )
    with op.batch_alter_table('bid', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bid_request_id'), ['request_id'], unique=False)
    op.create_table('lottery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lottery_id', sa.String(length=64), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('replaces', sa.String(length=64), nullable=True),
    sa.Column('announcement', sa.JSON(), nullable=False),
    sa.Column('secret_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('state', sa.String(length=8), nullable=False),
    sa.Column('pool', sa.JSON(), nullable=True),
    sa.Column('external_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('record', sa.JSON(), nullable=True),
    sa.Column('signature', sa.String(length=100), nullable=True),
    sa.Column('drawn_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state in ('open','frozen','drawn','void')", name=op.f('ck_lottery_state')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_lottery_request_id_selection_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_lottery')),
    sa.UniqueConstraint('lottery_id', name=op.f('uq_lottery_lottery_id'))
    )
    with op.batch_alter_table('lottery', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_lottery_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_lottery_state'), ['state'], unique=False)
    op.create_table('signup',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('lottery_id', sa.String(length=64), nullable=True),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('withdraw_reason', sa.String(length=500), nullable=True),
    sa.Column('excluded_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('exclude_reason', sa.String(length=500), nullable=True),
    sa.Column('log_seq', sa.BigInteger(), nullable=True),
    sa.Column('receipt', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_signup_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_signup_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_signup_request_id_selection_request')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_signup')),
    sa.UniqueConstraint('request_id', 'agency_org_id', 'lottery_id', name=op.f('uq_signup_request_id_agency_org_id_lottery_id'))
    )
    with op.batch_alter_table('signup', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_signup_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signup_lottery_id'), ['lottery_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_signup_request_id'), ['request_id'], unique=False)
    op.create_table('witness',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_witness_request_id_selection_request')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_witness_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_witness')),
    sa.UniqueConstraint('request_id', 'position', name=op.f('uq_witness_request_id_position')),
    sa.UniqueConstraint('request_id', 'user_id', name=op.f('uq_witness_request_id_user_id'))
    )
    with op.batch_alter_table('witness', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_witness_request_id'), ['request_id'], unique=False)
    op.create_table('entropy_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('lottery_pk', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user_account.id'], name=op.f('fk_entropy_entry_entered_by_id_user_account')),
    sa.ForeignKeyConstraint(['lottery_pk'], ['lottery.id'], name=op.f('fk_entropy_entry_lottery_pk_lottery')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_entropy_entry')),
    sa.UniqueConstraint('lottery_pk', 'position', name=op.f('uq_entropy_entry_lottery_pk_position'))
    )
    with op.batch_alter_table('entropy_entry', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_entropy_entry_lottery_pk'), ['lottery_pk'], unique=False)
    op.create_table('objection',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('agency_org_id', sa.Integer(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('upload_id', sa.Integer(), nullable=True),
    sa.Column('filed_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint("state in ('pending','upheld','rejected')", name=op.f('ck_objection_state')),
    sa.ForeignKeyConstraint(['agency_org_id'], ['organisation.id'], name=op.f('fk_objection_agency_org_id_organisation')),
    sa.ForeignKeyConstraint(['award_id'], ['award.id'], name=op.f('fk_objection_award_id_award')),
    sa.ForeignKeyConstraint(['by_id'], ['user_account.id'], name=op.f('fk_objection_by_id_user_account')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_objection_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_objection_request_id_selection_request')),
    sa.ForeignKeyConstraint(['upload_id'], ['upload.id'], name=op.f('fk_objection_upload_id_upload')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_objection'))
    )
    with op.batch_alter_table('objection', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_objection_agency_org_id'), ['agency_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_objection_state'), ['state'], unique=False)


def downgrade():
    with op.batch_alter_table('objection', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_objection_state'))
        batch_op.drop_index(batch_op.f('ix_objection_request_id'))
        batch_op.drop_index(batch_op.f('ix_objection_agency_org_id'))
    op.drop_table('objection')
    with op.batch_alter_table('entropy_entry', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_entropy_entry_lottery_pk'))
    op.drop_table('entropy_entry')
    with op.batch_alter_table('witness', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_witness_request_id'))
    op.drop_table('witness')
    with op.batch_alter_table('signup', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signup_request_id'))
        batch_op.drop_index(batch_op.f('ix_signup_lottery_id'))
        batch_op.drop_index(batch_op.f('ix_signup_agency_org_id'))
    op.drop_table('signup')
    with op.batch_alter_table('lottery', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_lottery_state'))
        batch_op.drop_index(batch_op.f('ix_lottery_request_id'))
    op.drop_table('lottery')
    with op.batch_alter_table('bid', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_request_id'))
        batch_op.drop_index(batch_op.f('ix_bid_agency_org_id'))
    op.drop_table('bid')
    with op.batch_alter_table('award', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_award_state'))
        batch_op.drop_index(batch_op.f('ix_award_request_id'))
        batch_op.drop_index(batch_op.f('ix_award_agency_org_id'))
    op.drop_table('award')
    with op.batch_alter_table('avoid_entry', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_avoid_entry_request_id'))
    op.drop_table('avoid_entry')
    with op.batch_alter_table('amendment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_amendment_request_id'))
    op.drop_table('amendment')
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_selection_request_state'))
        batch_op.drop_index(batch_op.f('ix_selection_request_service_type_id'))
        batch_op.drop_index(batch_op.f('ix_selection_request_published_at'))
        batch_op.drop_index(batch_op.f('ix_selection_request_project_id'))
        batch_op.drop_index(batch_op.f('ix_selection_request_owner_org_id'))
    op.drop_table('selection_request')
    with op.batch_alter_table('project', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_owner_org_id'))
    op.drop_table('project')
    op.drop_table('bid_log_node')
    with op.batch_alter_table('bid_log_leaf', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_log_leaf_request_id'))
    op.drop_table('bid_log_leaf')
    op.drop_table('bid_log_head')
    op.drop_table('bid_log_checkpoint')
