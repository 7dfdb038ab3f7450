"""Users, organisations and the roles people hold in them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class OrgKind(enum.StrEnum):
    """The kinds of organisation (单位类型).  An approving department (审批部门) is an
    organisation too, linked one to one to its ``catalogue.Department`` row: its staff act for
    it as every other member acts for their organisation (the organisation switcher, the
    access rules, invitations), and a person may hold a role there beside another."""

    OWNER = "owner"  # 项目业主
    AGENCY = "agency"  # 中介机构
    REGULATOR = "regulator"  # 监管
    OPERATOR = "operator"  # 运营
    DEPARTMENT = "department"  # 审批部门


class Role(enum.StrEnum):
    """A person's role inside one organisation (成员角色)."""

    OWNER_ADMIN = "owner_admin"  # 采购管理人
    OWNER_DELEGATE = "owner_delegate"  # 采购受托人
    AGENCY_ADMIN = "agency_admin"  # 业务授权人
    AGENCY_STAFF = "agency_staff"  # 中介机构经办人
    REGULATOR = "regulator"  # 监管人员
    OPERATOR = "operator"  # 运营人员
    DEPARTMENT_STAFF = "department_staff"  # 部门工作人员


ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.OWNER: (Role.OWNER_ADMIN, Role.OWNER_DELEGATE),
    OrgKind.AGENCY: (Role.AGENCY_ADMIN, Role.AGENCY_STAFF),
    OrgKind.REGULATOR: (Role.REGULATOR,),
    OrgKind.OPERATOR: (Role.OPERATOR,),
    OrgKind.DEPARTMENT: (Role.DEPARTMENT_STAFF,),
}


class OrgStatus(enum.StrEnum):
    """Where an organisation stands.  An agency is pending admission (待入驻审核) until a
    reviewer admits or rejects it; a self-registered owner is pending activation (待核验) until
    the operator activates it (active) or refuses it (rejected); regulators and operators are
    active from creation."""

    ACTIVE = "active"
    PENDING = "pending"  # 待入驻审核 / 待核验
    ADMITTED = "admitted"  # 已入驻
    REJECTED = "rejected"  # 未通过


ID_PREFIX: dict[OrgKind, str] = {
    OrgKind.OWNER: "OW",
    OrgKind.AGENCY: "AG",
    OrgKind.REGULATOR: "RG",
    OrgKind.OPERATOR: "OP",
    OrgKind.DEPARTMENT: "DP",
}


class DivisionLevel(enum.StrEnum):
    """The level of an administrative division (行政区划层级)."""

    PROVINCE = "province"  # 省
    CITY = "city"  # 市
    COUNTY = "county"  # 县（区）


class Division(db.Model):  # type: ignore[name-defined,misc]
    """An administrative division (行政区划) with its GB/T 2260 six-digit code: the province
    at the root, its cities, their counties.  A city or county the platform serves is a
    tenant (``tenant``): its operators, owners, departments, regulators and requests belong to
    it.  The province's own organisations (the provincial operator and regulator) belong to
    the province's row, which is never a tenant.  Agencies are on one register for the whole
    province (一地入驻、全省通行); their row here is where they applied and were admitted."""

    __tablename__ = "division"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(6), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    level: Mapped[str] = mapped_column(sa.String(16))
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("division.id"), index=True)
    tenant: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    parent: Mapped[Division | None] = relationship(remote_side=[id])

    __table_args__ = (
        sa.CheckConstraint("level in ('province','city','county')", name="level"),
        sa.CheckConstraint("level <> 'province' or not tenant", name="province_not_tenant"),
    )


class RegulatorKind(enum.StrEnum):
    """Which regulator (监管类别) an organisation of kind ``regulator`` is; what its scope
    covers is :mod:`market.accounts.scope`'s to say."""

    CENTRE = "centre"  # 服务中心监督: every service type of its tenant
    INDUSTRY = "industry"  # 行业主管部门: the service types the catalogue maps to it
    PROVINCE = "province"  # 省级监管: every tenant


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    """An organisation (单位).  ``public_id`` is the ASCII id used in the draw log and the API."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    # market.domain.names.organisation_name_key(name): unique, so no two organisations have
    # names a reader cannot tell apart.  NULL when the organisation no longer holds its name
    # (a refused owner registration).  Unique across the province, not per tenant: agencies
    # are on one provincial register, and a name shown in one city must not read as another
    # city's unit.
    name_key: Mapped[str | None] = mapped_column(sa.String(200), unique=True)
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    region: Mapped[str | None] = mapped_column(sa.String(100))
    # The tenant it belongs to (行政区划): for an agency, where it applied and was admitted
    # (it takes part everywhere); for the province's own units, the province.
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"), index=True)
    # Regulators only (RegulatorKind); NULL for every other kind.
    regulator_kind: Mapped[str | None] = mapped_column(sa.String(16))
    status: Mapped[str] = mapped_column(sa.String(16), default=OrgStatus.ACTIVE)
    # Why the operator refused an owner's registration, shown to its members.
    status_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # A natural person (自然人) as an owner rather than a unit.  Its ``name`` is the masked
    # name (market.domain.identity.mask_name: 张**) that every page, notice, the API and the
    # OCDS export show, with no ``name_key`` (masked names are not unique) and no credit code;
    # the person's own name is ``person_name``, shown only to the person and to the operator
    # who checks the registration.  The resident identity number (居民身份证号码) is kept
    # sealed (market.crypto, AES-GCM) and, to register each person once, as a keyed digest
    # (HMAC-SHA256): it is never shown, not even to the operator in full.  No CHECK (see
    # SelectionRequest.sealing): adding one on SQLite rebuilds the table.
    person: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    person_name: Mapped[str | None] = mapped_column(sa.String(100))
    id_number_sealed: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    id_number_digest: Mapped[str | None] = mapped_column(sa.String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")
    tenant: Mapped[Division] = relationship()

    __table_args__ = (
        sa.CheckConstraint("kind in ('owner','agency','regulator','operator','department')", name="kind"),
        sa.CheckConstraint(
            "(kind = 'regulator') = (regulator_kind is not null) and (regulator_kind is null "
            "or regulator_kind in ('centre','industry','province'))", name="regulator_kind"),
        sa.CheckConstraint(
            "status in ('active','pending','admitted','rejected')", name="status"
        ),
    )


class User(UserMixin, db.Model):  # type: ignore[name-defined,misc]
    """A person's account (账户).  ``account_id`` is the ASCII id written in the draw log."""

    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    phone: Mapped[str | None] = mapped_column(sa.String(32))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    locale: Mapped[str | None] = mapped_column(sa.String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        """What Flask-Login keeps in the cookie: the server-side session's token, never the
        user's id, so that ending the session on the server ends it everywhere."""
        # Set on the instance by market.accounts.sessions (start, resume); not a column.
        token: str | None = getattr(self, "_session_token", None)
        if not token:
            raise RuntimeError("log in through market.accounts.sessions.start")
        return token


class Membership(db.Model):  # type: ignore[name-defined,misc]
    """A user's role inside an organisation (成员)."""

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")
    # a delegate's projects go with the membership: a person removed and invited again starts
    # with none
    assignments: Mapped[list[ProjectAssignment]] = relationship(
        back_populates="membership", cascade="all, delete-orphan")

    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)


class ProjectAssignment(db.Model):  # type: ignore[name-defined,misc]
    """A project assigned to one of its owner's delegates (项目分派给采购受托人): a delegate
    (``Role.OWNER_DELEGATE``) sees and acts on the projects assigned to it only, and on what
    hangs from them (requests, engagements, approval cases, their clocks); the owner's
    administrator (采购管理人) sees all.  What that means for a list or a page is
    :mod:`market.accounts.scope`'s to say (:class:`~market.accounts.scope.Reach`).

    Kept here, beside the membership it belongs to, rather than with the project: every area
    an owner's person reads (billing and the clocks included) sits above this one."""

    __tablename__ = "project_assignment"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), index=True)
    membership_id: Mapped[int] = mapped_column(
        sa.ForeignKey("membership.id", ondelete="CASCADE"), index=True)
    assigned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    membership: Mapped[Membership] = relationship(back_populates="assignments")

    __table_args__ = (sa.UniqueConstraint("project_id", "membership_id"),)


class UserSession(db.Model):  # type: ignore[name-defined,misc]
    """A logged-in browser (登录会话), kept on the server so that logging out, a password
    change or the time limits end it for good, whatever copy of the cookie exists.  Only the
    SHA-256 of the token is stored."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class InvitationState(enum.StrEnum):
    """An invitation to join an organisation (成员邀请)."""

    PENDING = "pending"  # 待接受
    ACCEPTED = "accepted"  # 已接受
    DECLINED = "declined"  # 已谢绝
    REVOKED = "revoked"  # 已撤回


class Invitation(db.Model):  # type: ignore[name-defined,misc]
    """An organisation's administrator (or, for regulators, the operator) invites whoever
    holds an e-mail address to take a role; nothing changes for that person until they accept
    while logged in with that address, or create their account from the invitation."""

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    role: Mapped[str] = mapped_column(sa.String(32))
    state: Mapped[str] = mapped_column(sa.String(16), default=InvitationState.PENDING)
    # Signed into the link with the secret key; a new invitation has a new nonce.
    nonce: Mapped[str] = mapped_column(sa.String(32))
    invited_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Who accepted (their account); set only on acceptance.
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    __table_args__ = (
        sa.CheckConstraint("state in ('pending','accepted','declined','revoked')",
                           name="state"),
    )


class OidcIdentity(db.Model):  # type: ignore[name-defined,misc]
    """A person's account at the OpenID Connect provider (统一身份认证), linked to their
    account here at their first login through it: (issuer, subject) names them for good,
    whatever their e-mail address becomes.  Per person, not per organisation, so tenants need
    no column here (the organisation, and with it the tenant, comes from the credit code)."""

    __tablename__ = "oidc_identity"

    id: Mapped[int] = mapped_column(primary_key=True)
    issuer: Mapped[str] = mapped_column(sa.String(255))
    subject: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    __table_args__ = (sa.UniqueConstraint("issuer", "subject"),)


class SecondFactor(db.Model):  # type: ignore[name-defined,misc]
    """A person's second factor (动态口令): the TOTP secret their authenticator app (身份验证器)
    shares, sealed with the data key (market.crypto, bound to the account id), and the last
    time step a code was accepted for, so no code is accepted twice."""

    __tablename__ = "second_factor"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), unique=True)
    secret_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary())
    last_step: Mapped[int] = mapped_column(sa.BigInteger())
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()


class RecoveryCode(db.Model):  # type: ignore[name-defined,misc]
    """One of a person's ten recovery codes (恢复码), shown once at enrolment and stored only
    as a keyed hash; ``used_at`` is set when it is used, after which it opens nothing."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="CASCADE"), index=True)
    code_digest: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
