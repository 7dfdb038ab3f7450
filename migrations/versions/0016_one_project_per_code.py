"""one project per investment project code (投资项目代码): a unique index on project.code

Hand-written.  A database that already holds two or more projects under one code keeps the
first registered (lowest id) as it is.  Each later one gets ``#<its id>`` appended to its code,
a value the project form never accepts, so it cannot meet a real code again and it shows on the
owner's project list, the notices and the API which projects need their code checked; an audit
event ``system:project:code-duplicate`` keeps the code it had and the project it duplicated.
Nothing else moves: requests, engagements and approval cases stay with their project.
Downgrade drops the index and puts those codes back from the audit events.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-02 10:00:00

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)
from market import timeutil


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

TAG = 'system:project:code-duplicate'
CODE_LENGTH = 32

project = sa.table(
    'project',
    sa.column('id', sa.Integer()),
    sa.column('public_id', sa.String()),
    sa.column('owner_org_id', sa.Integer()),
    sa.column('code', sa.String()),
)
audit_event = sa.table(
    'audit_event',
    sa.column('id', sa.Integer()),
    sa.column('at', market.db.UTCDateTime()),
    sa.column('user_id', sa.Integer()),
    sa.column('organisation_id', sa.Integer()),
    sa.column('tag', sa.String()),
    sa.column('target', sa.String()),
    sa.column('details', sa.JSON()),
)


def upgrade():
    conn = op.get_bind()
    duplicated = (sa.select(project.c.code).group_by(project.c.code)
                  .having(sa.func.count() > 1))
    rows = conn.execute(
        sa.select(project.c.id, project.c.public_id, project.c.owner_org_id, project.c.code)
        .where(project.c.code.in_(duplicated)).order_by(project.c.code, project.c.id)).all()
    kept: dict[str, str] = {}
    now = timeutil.now()
    for row_id, public_id, owner_org_id, code in rows:
        if code not in kept:
            kept[code] = public_id
            continue
        suffix = f'#{row_id}'
        marked = code[:CODE_LENGTH - len(suffix)] + suffix
        conn.execute(project.update().where(project.c.id == row_id).values(code=marked))
        conn.execute(audit_event.insert().values(
            at=now, user_id=None, organisation_id=owner_org_id, tag=TAG, target=public_id,
            details={'code': code, 'marked': marked, 'duplicates': kept[code]}))
    op.create_index('ix_project_code', 'project', ['code'], unique=True)


def downgrade():
    op.drop_index('ix_project_code', table_name='project')
    conn = op.get_bind()
    events = conn.execute(sa.select(audit_event.c.id, audit_event.c.target,
                                    audit_event.c.details)
                          .where(audit_event.c.tag == TAG)).all()
    for event_id, public_id, details in events:
        conn.execute(project.update().where(project.c.public_id == public_id)
                     .values(code=details['code']))
        conn.execute(audit_event.delete().where(audit_event.c.id == event_id))
