"""departments with codes, matters' preconditions, machine clients and the webhook outbox

Hand-written (from autogenerate, checked).  Approving departments (审批部门) become rows with a
code: one per distinct trimmed name of the matters' free-text department, the code derived
from the name alone (``DEPT-`` and ten hex digits of its SHA-256, the same rule as
``market.domain.codes.derived_department_code``; tests/integration check they agree), the name
kept; each matter points at its department.  Every (matter, service type) becomes an
acceptance condition (``need = 'precondition'``), which is what the catalogue meant until
now.  Then the machine clients (OAuth 2.0) with their tokens, and the webhook endpoints,
messages, deliveries and attempts.  Downgrade puts the department names back as free text.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 06:00:00

"""
import hashlib
import unicodedata

from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

UNKNOWN = '（未填写审批部门）'

# Table snapshots for the data steps.
department = sa.table('department', sa.column('id', sa.Integer), sa.column('code', sa.String),
                      sa.column('name', sa.String))
matter = sa.table('approval_matter', sa.column('id', sa.Integer),
                  sa.column('department', sa.String), sa.column('department_id', sa.Integer))


def derived_department_code(name):
    key = unicodedata.normalize('NFC', name.strip()).encode()
    return 'DEPT-' + hashlib.sha256(key).hexdigest()[:10].upper()


def upgrade():
    op.create_table('department',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_department')),
    sa.UniqueConstraint('code', name=op.f('uq_department_code')),
    sa.UniqueConstraint('name', name=op.f('uq_department_name'))
    )
    op.create_table('webhook_message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=40), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('project_code', sa.String(length=40), nullable=False),
    sa.Column('occurred_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_message')),
    sa.UniqueConstraint('public_id', name=op.f('uq_webhook_message_public_id'))
    )
    op.create_table('api_client',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.String(length=48), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('scopes', sa.String(length=200), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('revoked_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_api_client_created_by_id_user_account')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_api_client_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_client')),
    sa.UniqueConstraint('client_id', name=op.f('uq_api_client_client_id'))
    )
    with op.batch_alter_table('api_client', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_client_department_id'), ['department_id'], unique=False)

    op.create_table('api_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('scope', sa.String(length=200), nullable=False),
    sa.Column('issued_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_api_token_client_id_api_client'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_token_token_hash'))
    )
    with op.batch_alter_table('api_token', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_api_token_client_id'), ['client_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_api_token_expires_at'), ['expires_at'], unique=False)

    op.create_table('webhook_endpoint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('public_id', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=False),
    sa.Column('events', sa.JSON(), nullable=False),
    sa.Column('secret_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('removed_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_webhook_endpoint_client_id_api_client')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_endpoint')),
    sa.UniqueConstraint('public_id', name=op.f('uq_webhook_endpoint_public_id'))
    )
    with op.batch_alter_table('webhook_endpoint', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_endpoint_client_id'), ['client_id'], unique=False)

    op.create_table('webhook_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('endpoint_id', sa.Integer(), nullable=False),
    sa.Column('project_code', sa.String(length=40), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('first_attempt_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_attempt_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('replay_requested_at', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('claim', sa.String(length=32), nullable=True),
    sa.Column('claimed_until', market.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("state in ('pending','delivered','failed','cancelled')", name=op.f('ck_webhook_delivery_state')),
    sa.ForeignKeyConstraint(['endpoint_id'], ['webhook_endpoint.id'], name=op.f('fk_webhook_delivery_endpoint_id_webhook_endpoint')),
    sa.ForeignKeyConstraint(['message_id'], ['webhook_message.id'], name=op.f('fk_webhook_delivery_message_id_webhook_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_delivery'))
    )
    with op.batch_alter_table('webhook_delivery', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index('ix_webhook_delivery_due', ['state', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_webhook_delivery_message_id'), ['message_id'], unique=False)
        batch_op.create_index('ix_webhook_delivery_stream', ['endpoint_id', 'project_code', 'state', 'id'], unique=False)

    op.create_table('webhook_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delivery_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('replay', sa.Boolean(), nullable=False),
    sa.Column('started_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('duration_ms', sa.Integer(), nullable=False),
    sa.Column('status_code', sa.Integer(), nullable=True),
    sa.Column('error', sa.String(length=200), nullable=True),
    sa.Column('response_excerpt', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['delivery_id'], ['webhook_delivery.id'], name=op.f('fk_webhook_attempt_delivery_id_webhook_delivery')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_webhook_attempt'))
    )
    with op.batch_alter_table('webhook_attempt', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_webhook_attempt_delivery_id'), ['delivery_id'], unique=False)

    # Departments from the matters' free text: one per distinct trimmed name, its code derived
    # from the name alone (derived_department_code), the name kept.
    with op.batch_alter_table('approval_matter', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('department_id', sa.Integer(), nullable=True))
    bind = op.get_bind()
    names = sorted({(name or '').strip() for (name,) in bind.execute(
        sa.select(matter.c.department))} - {''})
    for name in names:
        bind.execute(department.insert().values(code=derived_department_code(name), name=name))
    ids = {name: i for i, name in bind.execute(sa.select(department.c.id, department.c.name))}
    for matter_id, name in bind.execute(sa.select(matter.c.id, matter.c.department)).all():
        name = (name or '').strip()
        if not name:  # the form never allowed an empty department; keep such a row usable
            name = UNKNOWN
            if name not in ids:
                bind.execute(department.insert().values(code='DEPT-UNKNOWN', name=name))
                ids[name] = bind.execute(sa.select(department.c.id).where(
                    department.c.name == name)).scalar_one()
        bind.execute(matter.update().where(matter.c.id == matter_id).values(
            department_id=ids[name]))
    with op.batch_alter_table('approval_matter', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('department_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_approval_matter_department_id'), ['department_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_approval_matter_department_id_department'), 'department', ['department_id'], ['id'])
        batch_op.drop_column('department')

    # Every report a matter needs was an acceptance condition (受理条件) until now.
    with op.batch_alter_table('approval_matter_service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('need', sa.String(length=16), server_default='precondition', nullable=False))
        batch_op.create_check_constraint(batch_op.f('ck_approval_matter_service_type_need'),
                                         "need in ('precondition','in_process')")

    # Cases driven by the approval system: its case number, the order of events, 补正 before
    # 受理, how the case was accepted (容缺受理 / 告知承诺), special procedures with every
    # reason of 行政许可法 Art. 45, and the events as received (idempotency by event id).
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('case_no', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_event_at', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('correction_since', market.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acceptance', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('tolerated_until', sa.Date(), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_approval_case_case_no'), ['case_no'])
        batch_op.create_check_constraint(
            batch_op.f('ck_approval_case_acceptance'),
            "acceptance is null or acceptance in ('complete','tolerated','pledge')")
    with op.batch_alter_table('suspension', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_suspension_reason'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_suspension_reason'), "reason in ('intermediary','expert_review','correction','hearing','tendering','auction','inspection','testing','quarantine','appraisal')")
    op.create_table('case_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('event_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('body_hash', sa.String(length=64), nullable=False),
    sa.Column('body', sa.JSON(), nullable=False),
    sa.Column('status', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['approval_case.id'], name=op.f('fk_case_event_case_id_approval_case')),
    sa.ForeignKeyConstraint(['client_id'], ['api_client.id'], name=op.f('fk_case_event_client_id_api_client')),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_case_event_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_event')),
    sa.UniqueConstraint('client_id', 'event_id', name=op.f('uq_case_event_client_id_event_id'))
    )
    with op.batch_alter_table('case_event', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_event_case_id'), ['case_id'], unique=False)


def downgrade():
    with op.batch_alter_table('case_event', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_event_case_id'))
    op.drop_table('case_event')
    # Special procedures other than the old four have no place in the old schema.
    op.execute("DELETE FROM suspension WHERE reason NOT IN ('intermediary','expert_review','correction','hearing')")
    with op.batch_alter_table('suspension', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_suspension_reason'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_suspension_reason'), "reason in ('intermediary','expert_review','correction','hearing')")
    with op.batch_alter_table('approval_case', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_approval_case_acceptance'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_approval_case_case_no'), type_='unique')
        batch_op.drop_column('tolerated_until')
        batch_op.drop_column('acceptance')
        batch_op.drop_column('correction_since')
        batch_op.drop_column('last_event_at')
        batch_op.drop_column('case_no')

    with op.batch_alter_table('approval_matter_service_type', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_approval_matter_service_type_need'), type_='check')
        batch_op.drop_column('need')

    # The department's name goes back into the free-text column.
    with op.batch_alter_table('approval_matter', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('department', sa.String(length=200), nullable=True))
    bind = op.get_bind()
    names = dict(bind.execute(sa.select(department.c.id, department.c.name)).all())
    for matter_id, department_id in bind.execute(sa.select(matter.c.id, matter.c.department_id)).all():
        bind.execute(matter.update().where(matter.c.id == matter_id).values(
            department=names[department_id]))
    with op.batch_alter_table('approval_matter', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('department', existing_type=sa.String(length=200), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_approval_matter_department_id_department'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_approval_matter_department_id'))
        batch_op.drop_column('department_id')

    with op.batch_alter_table('webhook_attempt', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_attempt_delivery_id'))

    op.drop_table('webhook_attempt')
    with op.batch_alter_table('webhook_delivery', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index('ix_webhook_delivery_stream')
        batch_op.drop_index(batch_op.f('ix_webhook_delivery_message_id'))
        batch_op.drop_index('ix_webhook_delivery_due')

    op.drop_table('webhook_delivery')
    with op.batch_alter_table('webhook_endpoint', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_webhook_endpoint_client_id'))

    op.drop_table('webhook_endpoint')
    with op.batch_alter_table('api_token', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_token_expires_at'))
        batch_op.drop_index(batch_op.f('ix_api_token_client_id'))

    op.drop_table('api_token')
    with op.batch_alter_table('api_client', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_api_client_department_id'))

    op.drop_table('api_client')
    op.drop_table('webhook_message')
    op.drop_table('department')
