"""department staff: a department is an organisation, and a case may be deemed accepted

Hand-written.  An approving department (审批部门) gets an organisation of its own (kind
``department``), linked one to one from ``department.organisation_id``; its members are the
department's staff (部门工作人员), who record the cases of the department's matters where no
approval system is linked.  ``approval_case.acceptance`` may be ``deemed``: 行政许可法 Art. 32
counts an application as accepted from its receipt when the department neither accepted it nor
gave the one-time 补正 notice within five days of receiving it: the new ``received_at`` (an
owner may open a case earlier, to prepare), the ``created_at`` of the cases an approval
system opened.

Downgrade refuses while a department organisation exists (its members would hold a role the
older schema does not know); it turns deemed acceptances into ``complete``.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 09:45:00

"""
from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

organisation = sa.table('organisation', sa.column('id', sa.Integer),
                        sa.column('kind', sa.String))
case = sa.table('approval_case', sa.column('acceptance', sa.String),
                sa.column('case_no', sa.String), sa.column('created_at', sa.DateTime),
                sa.column('received_at', sa.DateTime))


def upgrade():
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organisation_kind'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_organisation_kind'),
            "kind in ('owner','agency','regulator','operator','department')")
    with op.batch_alter_table('department', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_department_organisation_id'),
                                          ['organisation_id'])
        batch_op.create_foreign_key(batch_op.f('fk_department_organisation_id_organisation'),
                                    'organisation', ['organisation_id'], ['id'])
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('received_at', market.db.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_approval_case_acceptance'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_approval_case_acceptance'),
            "acceptance is null or acceptance in ('complete','tolerated','pledge','deemed')")
    # A case an approval system reported was opened by its ``applied`` event: received then.
    op.execute(case.update().where(case.c.case_no.isnot(None)).values(
        received_at=case.c.created_at))


def downgrade():
    bind = op.get_bind()
    found = bind.execute(sa.select(sa.func.count()).select_from(organisation).where(
        organisation.c.kind == 'department')).scalar()
    if found:
        raise RuntimeError('department organisations exist: remove their staff and the '
                           'organisations before downgrading below 0019')
    op.execute(case.update().where(case.c.acceptance == 'deemed').values(acceptance='complete'))
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_approval_case_acceptance'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_approval_case_acceptance'),
            "acceptance is null or acceptance in ('complete','tolerated','pledge')")
        batch_op.drop_column('received_at')
    with op.batch_alter_table('department', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_department_organisation_id_organisation'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_department_organisation_id'), type_='unique')
        batch_op.drop_column('organisation_id')
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organisation_kind'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_organisation_kind'),
            "kind in ('owner','agency','regulator','operator')")
