"""Users, organisations and the roles people hold in them."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class OrgKind(enum.StrEnum):
    """The four kinds of organisation (单位类型)."""

    OWNER = "owner"  # 项目业主
    AGENCY = "agency"  # 中介机构
    REGULATOR = "regulator"  # 监管
    OPERATOR = "operator"  # 运营


class Role(enum.StrEnum):
    """A person's role inside one organisation (成员角色)."""

    OWNER_ADMIN = "owner_admin"  # 采购管理人
    OWNER_DELEGATE = "owner_delegate"  # 采购受托人
    AGENCY_ADMIN = "agency_admin"  # 业务授权人
    AGENCY_STAFF = "agency_staff"  # 中介机构经办人
    REGULATOR = "regulator"  # 监管人员
    OPERATOR = "operator"  # 运营人员


ROLES_BY_KIND: dict[OrgKind, tuple[Role, ...]] = {
    OrgKind.OWNER: (Role.OWNER_ADMIN, Role.OWNER_DELEGATE),
    OrgKind.AGENCY: (Role.AGENCY_ADMIN, Role.AGENCY_STAFF),
    OrgKind.REGULATOR: (Role.REGULATOR,),
    OrgKind.OPERATOR: (Role.OPERATOR,),
}


class OrgStatus(enum.StrEnum):
    """Admission status; owners, regulators and operators are active from creation."""

    ACTIVE = "active"
    PENDING = "pending"  # 待入驻审核
    ADMITTED = "admitted"  # 已入驻
    REJECTED = "rejected"  # 未通过


ID_PREFIX: dict[OrgKind, str] = {
    OrgKind.OWNER: "OW",
    OrgKind.AGENCY: "AG",
    OrgKind.REGULATOR: "RG",
    OrgKind.OPERATOR: "OP",
}


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    """An organisation (单位).  ``public_id`` is the ASCII id used in the draw log and the API."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    credit_code: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    region: Mapped[str | None] = mapped_column(sa.String(100))
    status: Mapped[str] = mapped_column(sa.String(16), default=OrgStatus.ACTIVE)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

    memberships: Mapped[list[Membership]] = relationship(back_populates="organisation")

    __table_args__ = (
        sa.CheckConstraint("kind in ('owner','agency','regulator','operator')", name="kind"),
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
    # Bumped when the password changes; part of the session id, so other sessions end.
    session_version: Mapped[int] = mapped_column(default=0)

    memberships: Mapped[list[Membership]] = relationship(back_populates="user")

    @property
    def is_active(self) -> bool:  # Flask-Login
        return self.active

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"


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

    __table_args__ = (sa.UniqueConstraint("user_id", "organisation_id"),)
