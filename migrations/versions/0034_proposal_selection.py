"""proposal selection (方案择优 / 比选): the method, the scoring sheet, proposals and scores

Hand-written.  ``selection_request.method`` may be ``proposals`` (its CHECK is recreated; on
SQLite the table is rebuilt by batch mode, foreign keys off as env.py arranges);
``selection_request.scoring_sheet`` holds the sheet published with the notice; ``proposal``
(one per sealed quote of a proposal selection: the file's hash, its encrypted upload and, after
the opening, its plaintext upload), ``proposal_scorer`` (a panel member recorded by the owner)
and ``proposal_score`` (their points per proposal and criterion, in tenths).  Downgrade drops
them; it refuses while a request uses the method (its rows would break the old CHECK).

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-06 14:00:00

"""
import sqlalchemy as sa
from alembic import op

import market.db  # custom column types (UTCDateTime)

# revision identifiers, used by Alembic.
revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

OLD = "method in ('lottery','sealed_bid','credit_merit','direct')"
NEW = "method in ('lottery','sealed_bid','credit_merit','direct','proposals')"


def upgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('scoring_sheet', sa.JSON(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_selection_request_method'), type_='check')
        batch_op.create_check_constraint('method', NEW)

    op.create_table(
        'proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('bid_id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('file_sha256', sa.String(length=64), nullable=False),
        sa.Column('file_name', sa.String(length=255), nullable=False),
        sa.Column('content_type', sa.String(length=100), nullable=False),
        sa.Column('size', sa.BigInteger(), nullable=False),
        sa.Column('sealed_upload_id', sa.Integer(), nullable=False),
        sa.Column('opened_upload_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_proposal_bid_id_bid')),
        sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'],
                                name=op.f('fk_proposal_request_id_selection_request')),
        sa.ForeignKeyConstraint(['sealed_upload_id'], ['upload.id'],
                                name=op.f('fk_proposal_sealed_upload_id_upload')),
        sa.ForeignKeyConstraint(['opened_upload_id'], ['upload.id'],
                                name=op.f('fk_proposal_opened_upload_id_upload')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal')),
        sa.UniqueConstraint('bid_id', name=op.f('uq_proposal_bid_id')),
    )
    with op.batch_alter_table('proposal', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_request_id'), ['request_id'], unique=False)

    op.create_table(
        'proposal_scorer',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('round', sa.Integer(), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=60), nullable=False),
        sa.Column('recorded_by_id', sa.Integer(), nullable=False),
        sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'],
                                name=op.f('fk_proposal_scorer_request_id_selection_request')),
        sa.ForeignKeyConstraint(['recorded_by_id'], ['user_account.id'],
                                name=op.f('fk_proposal_scorer_recorded_by_id_user_account')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_scorer')),
        sa.UniqueConstraint('request_id', 'round', 'name',
                            name=op.f('uq_proposal_scorer_request_id_round_name')),
        sa.UniqueConstraint('request_id', 'round', 'position',
                            name=op.f('uq_proposal_scorer_request_id_round_position')),
    )
    with op.batch_alter_table('proposal_scorer', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_scorer_request_id'), ['request_id'],
                              unique=False)

    op.create_table(
        'proposal_score',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('scorer_id', sa.Integer(), nullable=False),
        sa.Column('bid_id', sa.Integer(), nullable=False),
        sa.Column('criterion', sa.Integer(), nullable=False),
        sa.Column('tenths', sa.Integer(), nullable=False),
        sa.CheckConstraint('tenths >= 0', name=op.f('ck_proposal_score_tenths')),
        sa.ForeignKeyConstraint(['scorer_id'], ['proposal_scorer.id'],
                                name=op.f('fk_proposal_score_scorer_id_proposal_scorer')),
        sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_proposal_score_bid_id_bid')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_score')),
        sa.UniqueConstraint('scorer_id', 'bid_id', 'criterion',
                            name=op.f('uq_proposal_score_scorer_id_bid_id_criterion')),
    )
    with op.batch_alter_table('proposal_score', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_score_scorer_id'), ['scorer_id'],
                              unique=False)


def downgrade():
    used = op.get_bind().execute(sa.text(
        "select count(*) from selection_request where method = 'proposals'")).scalar()
    if used:
        raise RuntimeError(f"{used} selection request(s) use proposal selection: "
                           "downgrading would break them")
    with op.batch_alter_table('proposal_score', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_score_scorer_id'))
    op.drop_table('proposal_score')
    with op.batch_alter_table('proposal_scorer', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_scorer_request_id'))
    op.drop_table('proposal_scorer')
    with op.batch_alter_table('proposal', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_request_id'))
    op.drop_table('proposal')
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_selection_request_method'), type_='check')
        batch_op.create_check_constraint('method', OLD)
        batch_op.drop_column('scoring_sheet')
