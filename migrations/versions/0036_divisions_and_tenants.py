"""administrative divisions (行政区划) and tenants; regulators' kinds; a request's tenant

Hand-written.  A new ``division`` table (GB/T 2260 code, name, level, parent, whether the
platform serves it as a tenant).  A one-city database becomes the first tenant with nothing
lost: the province and the city are inserted from the app's ``PROVINCE`` and ``FIRST_TENANT``
settings (``MARKET_PROVINCE``, ``MARKET_FIRST_TENANT``; "code name"), every organisation
joins the city (``organisation.tenant_id``), every regulator becomes the service centre's
supervisor (``regulator_kind`` 'centre': it regulated everything before, and still does in its
city), every request gets its owner's tenant, and the settings changes stored so far become
the province's own (``setting_change.tenant_id`` NULL), which the city inherits: every number
reads as it did.  Sanctions so far stay province-wide (``sanction.local_tenant_id`` NULL).  The draw log is not touched (one log for the platform), so every bundle
verifies as before.

Downgrade refuses while there is more than one tenant or an organisation of the province's
own (their rows would silently merge into one city); otherwise it drops the columns and the
table.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 17:00:00

"""
from datetime import datetime, timezone

from alembic import op
import sqlalchemy as sa
import market.db  # custom column types (UTCDateTime)


# revision identifiers, used by Alembic.
revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None

division = sa.table('division', sa.column('id', sa.Integer), sa.column('code', sa.String),
                    sa.column('name', sa.String), sa.column('level', sa.String),
                    sa.column('parent_id', sa.Integer), sa.column('tenant', sa.Boolean),
                    sa.column('created_at', market.db.UTCDateTime(timezone=True)))
organisation = sa.table('organisation', sa.column('id', sa.Integer),
                        sa.column('kind', sa.String), sa.column('tenant_id', sa.Integer),
                        sa.column('regulator_kind', sa.String))
request = sa.table('selection_request', sa.column('tenant_id', sa.Integer))


def _configured(key, default):
    # The app's config when run by flask-migrate (MARKET_PROVINCE / MARKET_FIRST_TENANT), the
    # demo's otherwise (bare alembic).
    try:
        from flask import current_app
        text = str(current_app.config.get(key) or default)
    except RuntimeError:
        text = default
    code, _, name = text.strip().partition(' ')
    return code, name.strip()


def upgrade():
    op.create_table('division',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=6), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('tenant', sa.Boolean(), nullable=False),
    sa.Column('created_at', market.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("level <> 'province' or not tenant", name=op.f('ck_division_province_not_tenant')),
    sa.CheckConstraint("level in ('province','city','county')", name=op.f('ck_division_level')),
    sa.ForeignKeyConstraint(['parent_id'], ['division.id'], name=op.f('fk_division_parent_id_division')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_division')),
    sa.UniqueConstraint('code', name=op.f('uq_division_code'))
    )
    with op.batch_alter_table('division', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.create_index(batch_op.f('ix_division_parent_id'), ['parent_id'], unique=False)

    bind = op.get_bind()
    now = datetime.now(timezone.utc)
    pcode, pname = _configured('PROVINCE', '530000 云南省')
    ccode, cname = _configured('FIRST_TENANT', '539900 云川市')
    bind.execute(division.insert().values(code=pcode, name=pname, level='province',
                                          parent_id=None, tenant=False, created_at=now))
    province_id = bind.execute(sa.select(division.c.id).where(division.c.code == pcode)).scalar()
    level = 'city' if ccode.endswith('00') else 'county'
    bind.execute(division.insert().values(code=ccode, name=cname, level=level,
                                          parent_id=province_id, tenant=True, created_at=now))
    city_id = bind.execute(sa.select(division.c.id).where(division.c.code == ccode)).scalar()

    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('regulator_kind', sa.String(length=16), nullable=True))
    bind.execute(organisation.update().values(tenant_id=city_id))
    bind.execute(organisation.update().where(organisation.c.kind == 'regulator')
                 .values(regulator_kind='centre'))
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('tenant_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_organisation_tenant_id'), ['tenant_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_organisation_tenant_id_division'), 'division',
                                    ['tenant_id'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_organisation_regulator_kind'),
            "(kind = 'regulator') = (regulator_kind is not null) and (regulator_kind is null "
            "or regulator_kind in ('centre','industry','province'))")

    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
    bind.execute(request.update().values(tenant_id=city_id))
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.alter_column('tenant_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_index(batch_op.f('ix_selection_request_tenant_id'), ['tenant_id'],
                              unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_selection_request_tenant_id_division'),
                                    'division', ['tenant_id'], ['id'])

    with op.batch_alter_table('setting_change', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_setting_change_key_effective_from'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_setting_change_tenant_id_key_effective_from'),
                                          ['tenant_id', 'key', 'effective_from'])
        batch_op.create_foreign_key(batch_op.f('fk_setting_change_tenant_id_division'),
                                    'division', ['tenant_id'], ['id'])
    # Sanctions so far were the city's, and the city was everything: province-wide (NULL).
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.add_column(sa.Column('local_tenant_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_sanction_local_tenant_id_division'),
                                    'division', ['local_tenant_id'], ['id'])
    op.create_index('uq_setting_change_province_key', 'setting_change',
                    ['key', 'effective_from'], unique=True,
                    sqlite_where=sa.text('tenant_id IS NULL'),
                    postgresql_where=sa.text('tenant_id IS NULL'))


def downgrade():
    bind = op.get_bind()
    tenants = bind.execute(sa.select(sa.func.count()).select_from(division)
                           .where(division.c.tenant.is_(True))).scalar()
    provincial = bind.execute(
        sa.select(sa.func.count()).select_from(organisation)
        .join(division, division.c.id == organisation.c.tenant_id)
        .where(division.c.level == 'province')).scalar()
    if tenants > 1 or provincial:
        raise RuntimeError('more than one tenant, or organisations of the province: a one-city '
                           'schema cannot hold them; downgrading below 0035 is refused')
    op.drop_index('uq_setting_change_province_key', table_name='setting_change')
    with op.batch_alter_table('sanction', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_sanction_local_tenant_id_division'),
                                 type_='foreignkey')
        batch_op.drop_column('local_tenant_id')
    with op.batch_alter_table('setting_change', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_setting_change_tenant_id_division'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_setting_change_tenant_id_key_effective_from'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_setting_change_key_effective_from'),
                                          ['key', 'effective_from'])
        batch_op.drop_column('tenant_id')
    with op.batch_alter_table('selection_request', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_selection_request_tenant_id_division'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_selection_request_tenant_id'))
        batch_op.drop_column('tenant_id')
    with op.batch_alter_table('organisation', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_organisation_regulator_kind'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_organisation_tenant_id_division'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_organisation_tenant_id'))
        batch_op.drop_column('regulator_kind')
        batch_op.drop_column('tenant_id')
    with op.batch_alter_table('division', schema=None,
                              reflect_kwargs={'resolve_fks': False}) as batch_op:
        batch_op.drop_index(batch_op.f('ix_division_parent_id'))
    op.drop_table('division')
