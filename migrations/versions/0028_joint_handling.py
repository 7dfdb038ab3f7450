"""joint handling of an approval case (统一办理、联合办理、集中办理, 行政许可法 Arts. 26 and 42)

Hand-written.  ``approval_case.joint``: the case is handled jointly by several departments,
so it is decided within 45 working days (extended by at most 15).  Every case already there
was handled by one department (the platform had no way to say otherwise): false.  Downgrade
drops the column.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 14:10:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028'
down_revision = '0027'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('joint', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_column('joint')
