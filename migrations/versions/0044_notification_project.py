"""the project a notification (通知) is about, so that an owner's delegate sees its own

Hand-checked from autogenerate: one nullable column with its index and foreign key.  The
reminders already written are given their project from the page they link to (an engagement's,
an approval case's, a request's: every reminder an owner is sent about a project links to one
of them); the rest stay about no project (an organisation's activation or refusal, agencies'
and regulators' reminders) and every member of the organisation keeps seeing them.  Plain SQL
on the tables as they stand at this revision, no live models.

Revision ID: 0044
Revises: 0043
Create Date: 2026-12-06 23:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0044'
down_revision = '0043'
branch_labels = None
depends_on = None

# (link prefix, table whose public id follows it); each table has a project_id
LINKED = (('/engagements/', 'engagement'), ('/approvals/', 'approval_case'),
          ('/notices/', 'selection_request'), ('/owner/requests/', 'selection_request'))


def upgrade():
    with op.batch_alter_table('notification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('project_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_notification_project_id'), ['project_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_notification_project_id_project'), 'project', ['project_id'], ['id'])

    for prefix, table in LINKED:
        op.execute(sa.text(
            f"UPDATE notification SET project_id = (SELECT t.project_id FROM {table} t "  # noqa: S608  # fixed names above
            "WHERE notification.link = :prefix || t.public_id) "
            "WHERE project_id IS NULL AND link LIKE :pattern").bindparams(
            prefix=prefix, pattern=prefix + '%'))


def downgrade():
    with op.batch_alter_table('notification', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_notification_project_id_project'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_notification_project_id'))
        batch_op.drop_column('project_id')
