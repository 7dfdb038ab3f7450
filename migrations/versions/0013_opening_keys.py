"""opening keys: sealed quotes encrypted to the regulators' keys, not the platform's

Hand-written.  New tables for the regulators' opening keys (public halves only), the shares of
each quote's data key sealed to them, and the key holders' presentations at an opening; a
request says how its quotes are sealed.

Data: every sealed-bid request already published was sealed with the platform's data key
(``market.crypto``), so it is marked ``sealing = 'platform'`` and stays openable exactly as
before (its quotes open with the data key at the deadline; opened ones keep their published
amounts).  Drafts are sealed to opening keys when they are published.

Only columns are added to existing tables (no CHECK on ``sealing``): on SQLite anything more
rebuilds the table, which its foreign keys refuse once rows point at it.  A downgrade leaves
quotes sealed to opening keys that the older code cannot open.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-28 09:00:00

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('opening_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('retired_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('retired_by_id', sa.Integer(), nullable=True),
    sa.Column('retire_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['holder_id'], ['user_account.id'], name=op.f('fk_opening_key_holder_id_user_account')),
    sa.ForeignKeyConstraint(['retired_by_id'], ['user_account.id'], name=op.f('fk_opening_key_retired_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_key')),
    sa.UniqueConstraint('key_id', name=op.f('uq_opening_key_key_id'))
    )
    with op.batch_alter_table('opening_key', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_key_holder_id'), ['holder_id'], unique=False)

    op.create_table('bid_share',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bid_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('x', sa.Integer(), nullable=False),
    sa.Column('wrapped', sa.LargeBinary(), nullable=False),
    sa.Column('share_hash', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['bid_id'], ['bid.id'], name=op.f('fk_bid_share_bid_id_bid')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bid_share')),
    sa.UniqueConstraint('bid_id', 'key_id', name=op.f('uq_bid_share_bid_id_key_id'))
    )
    with op.batch_alter_table('bid_share', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_bid_share_bid_id'), ['bid_id'], unique=False)

    op.create_table('opening_presentation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.String(length=32), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('shares', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['selection_request.id'], name=op.f('fk_opening_presentation_request_id_selection_request')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_opening_presentation_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_opening_presentation')),
    sa.UniqueConstraint('request_id', 'round', 'key_id', name=op.f('uq_opening_presentation_request_id_round_key_id'))
    )
    with op.batch_alter_table('opening_presentation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_opening_presentation_request_id'), ['request_id'], unique=False)

    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('sealing', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('opening_threshold', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('opening_keys', sa.JSON(), nullable=True))

    # Quotes already received were sealed with the data key: they keep opening that way.
    request = sa.table('selection_request', sa.column('method', sa.String),
                       sa.column('state', sa.String), sa.column('sealing', sa.String))
    op.execute(request.update()
               .where(request.c.method == 'sealed_bid', request.c.state != 'draft')
               .values(sealing='platform'))


def downgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('opening_keys')
        batch_op.drop_column('opening_threshold')
        batch_op.drop_column('sealing')
    with op.batch_alter_table('opening_presentation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_presentation_request_id'))
    op.drop_table('opening_presentation')
    with op.batch_alter_table('bid_share', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bid_share_bid_id'))
    op.drop_table('bid_share')
    with op.batch_alter_table('opening_key', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_opening_key_holder_id'))
    op.drop_table('opening_key')
