"""好差评 after a return, hidden ratings, credit repair (信用修复) and owners' breaches
(业主失信记录)

Hand-checked from autogenerate.  ``rating``: the unique engagement becomes unique
(engagement, deliverable_version) so an engagement can be rated at its acceptance (version 0,
what every existing rating is: the server default fills it) and at each return; the operator's
hiding (reason required with the date, checked together).  ``sanction``: the repair decision's
date, number and reason (all or none; the repair date inside the sanction's period).  A new
table ``owner_breach``.  No data to move.

Revision ID: 0026
Revises: 0023
Create Date: 2026-12-06 13:55:00

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0026'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('owner_breach',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('owner_org_id', sa.Integer(), nullable=False),
    sa.Column('engagement_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('facts', sa.String(length=2000), nullable=False),
    sa.Column('evidence', sa.String(length=1000), nullable=False),
    sa.Column('evidence_upload_id', sa.Integer(), nullable=False),
    sa.Column('recorded_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('regulator_org_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("kind in ('unpaid_fees','other')", name=op.f('ck_owner_breach_kind')),
    sa.ForeignKeyConstraint(['engagement_id'], ['engagement.id'], name=op.f('fk_owner_breach_engagement_id_engagement')),
    sa.ForeignKeyConstraint(['evidence_upload_id'], ['upload.id'], name=op.f('fk_owner_breach_evidence_upload_id_upload')),
    sa.ForeignKeyConstraint(['owner_org_id'], ['organisation.id'], name=op.f('fk_owner_breach_owner_org_id_organisation')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'], name=op.f('fk_owner_breach_recorded_by_id_user_account')),
    sa.ForeignKeyConstraint(['regulator_org_id'], ['organisation.id'], name=op.f('fk_owner_breach_regulator_org_id_organisation')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_owner_breach')),
    sa.UniqueConstraint('public_id', name=op.f('uq_owner_breach_public_id'))
    )
    with op.batch_alter_table('owner_breach', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_owner_breach_owner_org_id'), ['owner_org_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_owner_breach_recorded_at'), ['recorded_at'], unique=False)

    with op.batch_alter_table('rating', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('deliverable_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('hidden_at', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('hidden_by_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(op.f('uq_rating_engagement_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_rating_engagement_id_deliverable_version'), ['engagement_id', 'deliverable_version'])
        batch_op.create_foreign_key(batch_op.f('fk_rating_hidden_by_id_user_account'), 'user_account', ['hidden_by_id'], ['id'])
        batch_op.create_check_constraint('deliverable_version', 'deliverable_version >= 0')
        batch_op.create_check_constraint('hidden', '(hidden_at is null) = (hidden_reason is null)')

    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('repaired_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('repair_decision', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('repair_reason', sa.String(length=1000), nullable=True))
        batch_op.add_column(sa.Column('repaired_at', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('repaired_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sanction_repaired_by_id_user_account'), 'user_account', ['repaired_by_id'], ['id'])
        batch_op.create_check_constraint(
            'repaired', "(repaired_on is null) = (repaired_at is null) and "
            "(repaired_on is null) = (repair_reason is null) and "
            "(repaired_on is null) = (repair_decision is null)")
        batch_op.create_check_constraint(
            'repaired_on', 'repaired_on is null or (repaired_on > starts_on and '
            'repaired_on <= ends_on)')


def downgrade():
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_sanction_repaired_on'), type_='check')
        batch_op.drop_constraint(op.f('ck_sanction_repaired'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_sanction_repaired_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('repaired_by_id')
        batch_op.drop_column('repaired_at')
        batch_op.drop_column('repair_reason')
        batch_op.drop_column('repair_decision')
        batch_op.drop_column('repaired_on')

    with op.batch_alter_table('rating', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(op.f('ck_rating_hidden'), type_='check')
        batch_op.drop_constraint(op.f('ck_rating_deliverable_version'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_rating_hidden_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_rating_engagement_id_deliverable_version'), type_='unique')
        batch_op.create_unique_constraint(op.f('uq_rating_engagement_id'), ['engagement_id'])
        batch_op.drop_column('hidden_by_id')
        batch_op.drop_column('hidden_reason')
        batch_op.drop_column('hidden_at')
        batch_op.drop_column('deliverable_version')

    with op.batch_alter_table('owner_breach', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_owner_breach_recorded_at'))
        batch_op.drop_index(batch_op.f('ix_owner_breach_owner_org_id'))
    op.drop_table('owner_breach')
