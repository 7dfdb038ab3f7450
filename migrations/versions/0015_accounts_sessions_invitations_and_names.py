"""accounts: server-side sessions, invitations, unique organisation names, owner refusal reason

Hand-written.

* ``user_session``: one row per logged-in browser (market.accounts.sessions); the cookie only
  names it, so logging out deletes it for good.  ``user_account.session_version`` goes: ending
  the rows is how a password change ends the other sessions now.  Everyone is logged out by
  this upgrade (their cookies name no row).
* ``invitation``: membership by invitation that the invitee accepts.
* ``organisation.name_key``: the name's comparison key, unique.  Existing rows get the key of
  their name; when two existing organisations already share one, the older keeps it and the
  others get NULL (they keep their names; a rename by the operator sorts them out).
* ``organisation.status_reason``: why the operator refused an owner's registration.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-27 10:00:00

"""
import unicodedata

from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def _name_key(name):
    # A copy of market.domain.names.organisation_name_key as it stood for this revision.
    text = unicodedata.normalize("NFKC", name).casefold()
    kept = "".join(ch for ch in text
                   if not ch.isspace() and unicodedata.category(ch) not in ("Cf", "Cc"))
    return unicodedata.normalize("NFKC", kept)[:200]


organisation = sa.table(
    'organisation',
    sa.column('id', sa.Integer()),
    sa.column('name', sa.String()),
    sa.column('name_key', sa.String()),
)


def upgrade():
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('status_reason', sa.String(length=500), nullable=True))

    connection = op.get_bind()
    taken = set()
    for row in connection.execute(
            sa.select(organisation.c.id, organisation.c.name).order_by(organisation.c.id)):
        key = _name_key(row.name)
        if not key or key in taken:
            continue
        taken.add(key)
        connection.execute(organisation.update().where(organisation.c.id == row.id)
                           .values(name_key=key))

    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_unique_constraint(batch_op.f('uq_organisation_name_key'), ['name_key'])

    with op.batch_alter_table('user_account', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('session_version')

    op.create_table('user_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_user_session_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_user_session_token_hash'))
    )
    with op.batch_alter_table('user_session', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)

    op.create_table('invitation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("state in ('pending','accepted','declined','revoked')", name=op.f('ck_invitation_state')),
    sa.ForeignKeyConstraint(['invited_by_id'], ['user_account.id'], name=op.f('fk_invitation_invited_by_id_user_account')),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'], name=op.f('fk_invitation_organisation_id_organisation')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_invitation_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation'))
    )
    with op.batch_alter_table('invitation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_organisation_id'), ['organisation_id'], unique=False)


def downgrade():
    with op.batch_alter_table('invitation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_organisation_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_email'))
    op.drop_table('invitation')
    with op.batch_alter_table('user_session', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))
    op.drop_table('user_session')
    with op.batch_alter_table('user_account', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_organisation_name_key'), type_='unique')
        batch_op.drop_column('status_reason')
        batch_op.drop_column('name_key')
