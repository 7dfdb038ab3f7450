"""Account operations.  Each adds to the current transaction and writes its audit event; the
request wrapper (:func:`market.accounts.auth.access`) commits once, and rolls everything back when one
of them refused (:mod:`market.refusal`).

Membership by invitation is in :mod:`market.accounts.invitations`, owner activation in
:mod:`market.accounts.activation`."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from market import timeutil
from market.accounts import audit, sessions, tenants
from market.accounts.models import (
    ID_PREFIX,
    ROLES_BY_KIND,
    Membership,
    Organisation,
    OrgKind,
    OrgStatus,
    RegulatorKind,
    Role,
    User,
)
from market.accounts.passwords import hash_password, verify_password
from market.db import db
from market.domain.names import clean_organisation_name, organisation_name_key
from market.i18n import N_
from market.refusal import Refused

T = TypeVar("T")


class AccountError(Refused):
    """A rule refused the change; ``field`` names the form field to show it next to."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def unique_write(write: Callable[[], T], *checks: Callable[[], object]) -> T:
    """Run ``write`` in a savepoint.  Two requests can pass the checks at once and both try
    to insert the same e-mail, name or credit code; the database's unique constraints refuse
    the second, and the ``checks``, run again, say which field to show it next to."""
    try:
        with db.session.begin_nested():
            return write()
    except IntegrityError:
        for check in checks:
            check()
        raise


def _placeholder() -> str:
    # Public ids are derived from the primary key, which exists only after the flush.
    return "tmp-" + uuid.uuid4().hex[:24]


def check_organisation_name(name: str, *, field: str = "org_name",
                            exclude_id: int | None = None) -> tuple[str, str]:
    """The name as shown and its key (market.domain.names), refused when empty or when
    another organisation holds a name that reads the same."""
    shown = clean_organisation_name(name)
    key = organisation_name_key(shown)
    if not key:
        raise AccountError(field, N_("请填写此项。"))
    holder = db.session.scalar(sa.select(Organisation.id).where(Organisation.name_key == key))
    if holder is not None and holder != exclude_id:
        raise AccountError(field, N_("已有单位使用这个名称（不区分大小写、全角半角和空格）。"
                                     "如是贵单位，请联系平台运营方。"))
    return shown, key


def check_credit_code(credit_code: str, *, exclude_id: int | None = None) -> None:
    holder = db.session.scalar(
        sa.select(Organisation.id).where(Organisation.credit_code == credit_code))
    if holder is not None and holder != exclude_id:
        raise AccountError("credit_code", N_("该统一社会信用代码已注册。"))


def create_organisation(
    kind: OrgKind, name: str, *, credit_code: str | None = None, region: str | None = None,
    status: OrgStatus | None = None, tenant_id: int | None = None,
    regulator_kind: RegulatorKind | None = None,
) -> Organisation:
    """Create an organisation with its permanent ASCII id (``AG-000123``); never reused.

    Called by registration, the operator's regulator form and the loaders.  An agency starts
    pending admission; other kinds start active unless ``status`` says otherwise.  It belongs
    to ``tenant_id`` (the home tenant when None, market.accounts.tenants); a regulator is of
    ``regulator_kind`` (the service centre's supervisor when None).  Refuses a name another
    organisation holds and a credit code already registered."""
    shown, key = check_organisation_name(name)
    if credit_code is not None:
        check_credit_code(credit_code)
    if status is None:
        status = OrgStatus.PENDING if kind == OrgKind.AGENCY else OrgStatus.ACTIVE
    org = Organisation(
        public_id=_placeholder(),
        kind=kind.value,
        name=shown,
        name_key=key,
        credit_code=credit_code,
        region=region,
        status=status.value,
        tenant_id=tenant_id if tenant_id is not None else tenants.home_tenant().id,
        regulator_kind=(regulator_kind or RegulatorKind.CENTRE).value
        if kind == OrgKind.REGULATOR else None,
        created_at=timeutil.now(),
    )
    db.session.add(org)
    db.session.flush()
    org.public_id = f"{ID_PREFIX[kind]}-{org.id:06d}"
    audit.record(
        "organisation:organisation:create",
        org.public_id,
        {"kind": kind.value, "name": org.name, "status": status.value,
         "tenant": org.tenant.code, "regulator_kind": org.regulator_kind},
        organisation_id=org.id,
    )
    return org


def check_new_email(email: str) -> str:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError("email", N_("该邮箱已被使用。"))
    return email


def create_user(name: str, email: str, password: str, phone: str | None = None) -> User:
    """A new account (账户); refuses an e-mail address that already has one."""
    email = check_new_email(email)
    now = timeutil.now()
    user = User(
        account_id=_placeholder(),
        email=email,
        name=name.strip(),
        phone=phone or None,
        password_hash=hash_password(password),
        active=True,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    user.account_id = f"U-{user.id:06d}"
    return user


def add_membership(user: User, org: Organisation, role: Role) -> Membership:
    """Give ``user`` a role in ``org``.  Only for an account that agreed (an accepted
    invitation, registration) or that the caller has just created (the loaders)."""
    if role not in ROLES_BY_KIND[OrgKind(org.kind)]:
        raise AccountError("role", N_("该角色不属于此类单位。"))
    if any(m.organisation_id == org.id for m in user.memberships):
        raise AccountError("email", N_("此人已是本单位成员。"))
    m = Membership(user=user, organisation=org, role=role.value, created_at=timeutil.now())
    db.session.add(m)
    db.session.flush()
    audit.record(
        "organisation:membership:add",
        user.account_id,
        {"organisation": org.public_id, "role": role.value},
        organisation_id=org.id,
    )
    return m


def register(
    *,
    kind: OrgKind,
    org_name: str,
    credit_code: str,
    region: str,
    name: str,
    email: str,
    password: str,
    phone: str | None = None,
    division: str | None = None,
) -> User:
    """Self-registration of an owner or an agency and its first administrator, in the tenant
    whose division code is ``division`` (the home tenant when None): an owner belongs there,
    an agency applies there (and is admitted once for the whole province).

    Anyone may call it.  Everything is checked before anything is written.  An agency starts
    pending admission (待入驻审核); an owner starts pending activation (待核验) by the
    operator, and cannot publish until then."""
    if kind not in (OrgKind.OWNER, OrgKind.AGENCY):
        raise AccountError("kind", N_("只有项目业主和中介机构可以自行注册。"))
    tenant = tenants.by_code(division) if division else tenants.home_tenant()
    if tenant is None or not tenant.tenant:
        raise AccountError("division", N_("请选择本平台开通的市或县（区）。"))
    checks = (lambda: check_new_email(email), lambda: check_organisation_name(org_name),
              lambda: check_credit_code(credit_code))
    for check in checks:
        check()

    def write() -> tuple[User, Organisation]:
        user = create_user(name, email, password, phone)
        org = create_organisation(kind, org_name, credit_code=credit_code, region=region,
                                  status=OrgStatus.PENDING, tenant_id=tenant.id)
        admin = Role.OWNER_ADMIN if kind == OrgKind.OWNER else Role.AGENCY_ADMIN
        add_membership(user, org, admin)
        return user, org

    user, org = unique_write(write, *checks)
    audit.record("user:account:register", user.account_id, {"organisation": org.public_id},
                 user_id=user.id, organisation_id=org.id)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The user if the password is right and the account active, else None — the same answer
    (and about the same time) for an unknown e-mail and a wrong password."""
    user = find_user(email)
    ok = verify_password(user.password_hash if user else None, password)
    if user is None or not ok or not user.active:
        return None
    return user


def change_password(user: User, current: str, new: str) -> None:
    """The user changes their own password; every session of the account ends (the caller
    starts a new one for the browser that made the change)."""
    if not verify_password(user.password_hash, current):
        raise AccountError("current", N_("当前密码不正确。"))
    user.password_hash = hash_password(new)
    user.password_changed_at = timeutil.now()
    ended = sessions.end_all(user)
    audit.record("user:account:password-change", user.account_id, {"sessions_ended": ended},
                 user_id=user.id)


def add_member(org: Organisation, *, name: str, email: str, role: Role, password: str) -> User:
    """Loaders and tests only (flask demo load, fixtures): a new account with a role in
    ``org``.  Refuses an e-mail that already has an account: nobody is put into an
    organisation without agreeing (the web invites, market.accounts.invitations)."""
    user = create_user(name, email, password)
    add_membership(user, org, role)
    return user


def regulator_organisation(org_name: str, *, tenant_id: int | None = None,
                           kind: RegulatorKind | None = None) -> Organisation:
    """The regulator organisation of that name, created when missing (in ``tenant_id``, of
    ``kind``); refuses a name that another kind of organisation, or another tenant's
    regulator, holds."""
    key = organisation_name_key(clean_organisation_name(org_name))
    org = db.session.scalar(sa.select(Organisation).where(
        Organisation.kind == OrgKind.REGULATOR.value, Organisation.name_key == key))
    if org is not None and tenant_id is not None and org.tenant_id != tenant_id:
        raise AccountError("org_name", N_("该监管单位属于其他地区，请由当地运营方邀请。"))
    return org if org is not None else create_organisation(
        OrgKind.REGULATOR, org_name, tenant_id=tenant_id, regulator_kind=kind)


def create_regulator(*, org_name: str, name: str, email: str, password: str) -> User:
    """Loaders only: a regulator account in the regulator organisation of that name (the
    operator's page invites instead)."""
    return add_member(regulator_organisation(org_name), name=name, email=email,
                      role=Role.REGULATOR, password=password)
