"""what the draw page shows of a lottery's pool and record, stored beside them

Hand-written.  ``lottery.pool_summary`` (the frozen pool's size and first 50 ids) and
``lottery.record_summary`` (the signed record's hash, k, winners, the ranking's length and its
first 50 rows with their tickets), so that the draw page no longer parses the whole record
(5 MB with 50,000 sign-ups) on every view; on SQLite the table is rebuilt with ``pool`` and
``record`` as its last columns (see upgrade).  An index on ``signup (lottery_id, at, id)`` for
the draw page's first 50 sign-ups.  The app writes them whenever it writes the pool or
the record; this migration fills them for the lotteries already there, one at a time, from a
table snapshot.  Downgrade drops the index and the two columns.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 09:45:00

"""
import hashlib
import json
import unicodedata

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None

ROWS = 50

lottery = sa.table(
    'lottery',
    sa.column('id', sa.Integer),
    sa.column('pool', sa.JSON),
    sa.column('record', sa.JSON),
    sa.column('pool_summary', sa.JSON),
    sa.column('record_summary', sa.JSON),
)


def _nfc(x):
    if isinstance(x, str):
        return unicodedata.normalize('NFC', x)
    if isinstance(x, dict):
        return {_nfc(k): _nfc(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_nfc(v) for v in x]
    return x


def _record_hash(record):
    # lottery-v1 §1 canonical JSON (NFC, sorted keys, compact, UTF-8), then SHA-256: the
    # record_hash of the draw event.
    text = json.dumps(_nfc(record), sort_keys=True, separators=(',', ':'), ensure_ascii=False)
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


ORDER = ('id', 'lottery_id', 'request_id', 'replaces', 'announcement', 'secret_sealed', 'state',
         'external_at', 'signature', 'drawn_at', 'void_reason', 'created_at', 'pool_summary',
         'record_summary', 'pool', 'record')


def upgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    # SQLite stores a row's columns in table order and reads any column after a 5 MB record by
    # walking its overflow pages: the table is rebuilt with pool and record last.  PostgreSQL
    # keeps large values out of line (TOAST) and only gains the two columns.
    with op.batch_alter_table('lottery', schema=None,
                              recreate='always' if sqlite else 'auto',
                              partial_reordering=[ORDER] if sqlite else None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('pool_summary', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('record_summary', sa.JSON(), nullable=True))
    with op.batch_alter_table('signup', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_signup_lottery_id_at', ['lottery_id', 'at', 'id'], unique=False)

    conn = op.get_bind()
    ids = conn.execute(sa.select(lottery.c.id).where(
        sa.or_(lottery.c.pool.isnot(None), lottery.c.record.isnot(None)))
        .order_by(lottery.c.id)).scalars().all()
    for lottery_pk in ids:
        pool, record = conn.execute(sa.select(lottery.c.pool, lottery.c.record)
                                    .where(lottery.c.id == lottery_pk)).one()
        values = {}
        if pool is not None:
            values['pool_summary'] = {'count': len(pool), 'head': list(pool[:ROWS])}
        if record is not None:
            ranking = record['ranking']
            values['record_summary'] = {
                'hash': _record_hash(record), 'k': record['k'],
                'winners': list(record['winners']), 'count': len(ranking),
                'ranking': [[a, record['tickets'][a]] for a in ranking[:ROWS]]}
        if values:
            conn.execute(lottery.update().where(lottery.c.id == lottery_pk).values(**values))


def downgrade():
    with op.batch_alter_table('signup', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_signup_lottery_id_at')
    with op.batch_alter_table('lottery', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('record_summary')
        batch_op.drop_column('pool_summary')
