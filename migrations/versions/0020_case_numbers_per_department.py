"""case numbers (办件编号) per department: unique with the department that gave them

Hand-written.  Each approval department numbers its own cases, so two departments may both
have a case 2026-0001.  ``approval_case.department_id`` records the department whose number
``case_no`` is: for the cases numbered so far, the department of the case's matter.  The
unique constraint on ``case_no`` alone becomes one on (department_id, case_no); a case with a
number must name its department.  Downgrade refuses while two departments share a number
(the old constraint could not hold).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    case = sa.table('approval_case', sa.column('id', sa.Integer),
                    sa.column('matter_id', sa.Integer), sa.column('case_no', sa.String),
                    sa.column('department_id', sa.Integer))
    matter = sa.table('approval_matter', sa.column('id', sa.Integer),
                      sa.column('department_id', sa.Integer))
    op.execute(case.update().where(case.c.case_no.is_not(None)).values(
        department_id=sa.select(matter.c.department_id)
        .where(matter.c.id == case.c.matter_id).scalar_subquery()))
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_approval_case_case_no'), type_='unique')
        batch_op.create_foreign_key(batch_op.f('fk_approval_case_department_id_department'),
                                    'department', ['department_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_approval_case_department_id_case_no'),
                                          ['department_id', 'case_no'])
        batch_op.create_check_constraint(batch_op.f('ck_approval_case_case_no_department'),
                                         'case_no is null or department_id is not null')


def downgrade():
    case = sa.table('approval_case', sa.column('case_no', sa.String))
    shared = op.get_bind().execute(
        sa.select(case.c.case_no).where(case.c.case_no.is_not(None))
        .group_by(case.c.case_no).having(sa.func.count() > 1).limit(1)).scalar()
    if shared is not None:
        raise RuntimeError(f'case number {shared} is used by more than one department; '
                           'renumber before downgrading')
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_approval_case_case_no_department'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_approval_case_department_id_case_no'),
                                 type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_approval_case_department_id_department'),
                                 type_='foreignkey')
        batch_op.create_unique_constraint(batch_op.f('uq_approval_case_case_no'), ['case_no'])
        batch_op.drop_column('department_id')
