"""selection_request: a draft has no publication date (check ``draft_unpublished``)

A request is published exactly when it leaves the draft state, and publishing sets its date
in the same step: the public lists (the notice list, ``/api/requests``) and their counts then
find published requests by ``published_at IS NOT NULL`` alone, from the publication indexes,
without reading each row's state.  The check makes the database hold the invariant those
lists rest on.

A database with a draft that carries a date is refused with the requests named (nothing in
the application writes one; a hand edit or an import could): set the date back to empty or
the state to what the request really is, then upgrade again.

Hand-checked from autogenerate: one check constraint, no data to move.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-07 02:40:00.000000

"""
import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = '0047'
down_revision = '0046'
branch_labels = None
depends_on = None

# A snapshot of the table as this migration knows it (never the live model).
selection_request = sa.table('selection_request', sa.column('public_id', sa.String),
                             sa.column('state', sa.String),
                             sa.column('published_at', sa.DateTime))


def _refuse_dated_drafts(conn):
    dated = conn.execute(
        sa.select(selection_request.c.public_id)
        .where(selection_request.c.state == 'draft',
               selection_request.c.published_at.is_not(None))
        .order_by(selection_request.c.public_id)).scalars().all()
    if dated:
        raise RuntimeError(
            "selection_request: these drafts carry a publication date; clear the date (or set "
            "the state the request really has), then upgrade again: " + ", ".join(dated))


def upgrade():
    _refuse_dated_drafts(op.get_bind())
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_check_constraint(batch_op.f('ck_selection_request_draft_unpublished'),
                                         "state <> 'draft' OR published_at IS NULL")


def downgrade():
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_selection_request_draft_unpublished'),
                                 type_='check')
