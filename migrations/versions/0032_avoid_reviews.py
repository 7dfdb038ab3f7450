"""a regulator's review of a long avoid list (回避名单审核)

Hand-checked from autogenerate: one new table, no data to move (requests already published
keep their lists; the review applies to publications from now on).

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 14:34:33.150500

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('avoid_review',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('agencies', sa.JSON(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('submitted_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.CheckConstraint("(state = 'pending') = (decided_at is null)", name=op.f('ck_avoid_review_decided')),
    sa.CheckConstraint("state in ('pending','approved','refused')", name=op.f('ck_avoid_review_state')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['user_account.id'], name=op.f('fk_avoid_review_decided_by_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_avoid_review_request_id_selection_request')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['user_account.id'], name=op.f('fk_avoid_review_submitted_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_avoid_review'))
    )
    with op.batch_alter_table('avoid_review', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_avoid_review_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('avoid_review', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_avoid_review_request_id'))

    op.drop_table('avoid_review')
