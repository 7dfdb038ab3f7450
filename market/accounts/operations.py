"""Account operations.  Each adds to the current transaction and writes its audit event; the
request wrapper (:func:`market.auth.access`) commits once."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from market import audit, timeutil
from market.accounts.models import (
    ID_PREFIX,
    Membership,
    Organisation,
    OrgKind,
    OrgStatus,
    Role,
    User,
)
from market.accounts.passwords import hash_password, verify_password
from market.db import db
from market.i18n import N_
from market.refusal import Refused


class AccountError(Refused):
    """A rule refused the change; ``field`` names the form field to show it next to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email == normalise_email(email)))


def _placeholder() -> str:
    # Public ids are derived from the primary key, which exists only after the flush.
    return "tmp-" + uuid.uuid4().hex[:24]


def create_organisation(
    kind: OrgKind, name: str, *, credit_code: str | None = None, region: str | None = None
) -> Organisation:
    """Create an organisation with its permanent ASCII id (``AG-000123``); never reused."""
    if credit_code is not None and db.session.scalar(
        sa.select(Organisation.id).where(Organisation.credit_code == credit_code)
    ):
        raise AccountError("credit_code", N_("该统一社会信用代码已注册。"))
    status = OrgStatus.PENDING if kind == OrgKind.AGENCY else OrgStatus.ACTIVE
    org = Organisation(
        public_id=_placeholder(),
        kind=kind.value,
        name=name.strip(),
        credit_code=credit_code,
        region=region,
        status=status.value,
        created_at=timeutil.now(),
    )
    db.session.add(org)
    db.session.flush()
    org.public_id = f"{ID_PREFIX[kind]}-{org.id:06d}"
    audit.record(
        "organisation:organisation:create",
        org.public_id,
        {"kind": kind.value, "name": org.name, "status": status.value},
        organisation_id=org.id,
    )
    return org


def create_user(name: str, email: str, password: str, phone: str | None = None) -> User:
    email = normalise_email(email)
    if find_user(email) is not None:
        raise AccountError("email", N_("该邮箱已被使用。"))
    now = timeutil.now()
    user = User(
        account_id=_placeholder(),
        email=email,
        name=name.strip(),
        phone=phone or None,
        password_hash=hash_password(password),
        active=True,
        session_version=0,
        created_at=now,
        password_changed_at=now,
    )
    db.session.add(user)
    db.session.flush()
    user.account_id = f"U-{user.id:06d}"
    return user


def add_membership(user: User, org: Organisation, role: Role) -> Membership:
    if role not in _roles_for(org):
        raise AccountError("role", N_("该角色不属于此类单位。"))
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


def _roles_for(org: Organisation) -> tuple[Role, ...]:
    from market.accounts.models import ROLES_BY_KIND

    return ROLES_BY_KIND[OrgKind(org.kind)]


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
) -> User:
    """Self-registration of an owner or an agency and its first administrator.

    Anyone may call it.  An agency starts pending admission (待入驻审核).
    """
    if kind not in (OrgKind.OWNER, OrgKind.AGENCY):
        raise AccountError("kind", N_("只有项目业主和中介机构可以自行注册。"))
    user = create_user(name, email, password, phone)
    org = create_organisation(kind, org_name, credit_code=credit_code, region=region)
    admin = Role.OWNER_ADMIN if kind == OrgKind.OWNER else Role.AGENCY_ADMIN
    add_membership(user, org, admin)
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
    """The user changes their own password; other sessions of the account end."""
    if not verify_password(user.password_hash, current):
        raise AccountError("current", N_("当前密码不正确。"))
    user.password_hash = hash_password(new)
    user.password_changed_at = timeutil.now()
    user.session_version = (user.session_version or 0) + 1
    audit.record("user:account:password-change", user.account_id, user_id=user.id)


def add_member(org: Organisation, *, name: str, email: str, role: Role, password: str) -> User:
    """An organisation's administrator adds a colleague.  An existing account (same e-mail) is
    given the new membership instead of a second account."""
    user = find_user(email)
    if user is None:
        user = create_user(name, email, password)
    elif any(m.organisation_id == org.id for m in user.memberships):
        raise AccountError("email", N_("此人已是本单位成员。"))
    add_membership(user, org, role)
    return user


def create_regulator(*, org_name: str, name: str, email: str, password: str) -> User:
    """Operators create regulator accounts; a regulator organisation is reused by name."""
    org = db.session.scalar(
        sa.select(Organisation).where(
            Organisation.kind == OrgKind.REGULATOR.value, Organisation.name == org_name.strip()
        )
    )
    if org is None:
        org = create_organisation(OrgKind.REGULATOR, org_name)
    return add_member(org, name=name, email=email, role=Role.REGULATOR, password=password)
