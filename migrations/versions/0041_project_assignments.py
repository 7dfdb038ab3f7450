"""projects assigned to an owner's delegates (项目分派给采购受托人); natural persons as owners

Hand-checked from autogenerate: one new table, four new columns on organisation (every
existing organisation is a unit: ``person`` false), no data to move (a delegate of an existing
owner starts with no project assigned; its administrator assigns them).  The digest's unique
constraint is added as a unique index, which SQLite adds without rebuilding the table.

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06 20:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

import market.db

# revision identifiers, used by Alembic.
revision = '0041'
down_revision = '0040'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('project_assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('membership_id', sa.Integer(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user_account.id'], name=op.f('fk_project_assignment_assigned_by_id_user_account')),
    sa.ForeignKeyConstraint(['membership_id'], ['membership.id'], name=op.f('fk_project_assignment_membership_id_membership'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], name=op.f('fk_project_assignment_project_id_project'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_assignment')),
    sa.UniqueConstraint('project_id', 'membership_id', name=op.f('uq_project_assignment_project_id_membership_id'))
    )
    with op.batch_alter_table('project_assignment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_project_assignment_membership_id'), ['membership_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_project_assignment_project_id'), ['project_id'], unique=False)

    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('person', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('person_name', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('id_number_sealed', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('id_number_digest', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_organisation_id_number_digest'), ['id_number_digest'], unique=True)


def downgrade():
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organisation_id_number_digest'))
        batch_op.drop_column('id_number_digest')
        batch_op.drop_column('id_number_sealed')
        batch_op.drop_column('person_name')
        batch_op.drop_column('person')

    with op.batch_alter_table('project_assignment', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_project_assignment_project_id'))
        batch_op.drop_index(batch_op.f('ix_project_assignment_membership_id'))

    op.drop_table('project_assignment')
