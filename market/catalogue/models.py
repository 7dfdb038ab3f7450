"""Service types (中介服务事项) and approval matters (审批事项)."""

from __future__ import annotations

import enum

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import db

approval_matter_service_type = sa.Table(
    "approval_matter_service_type",
    db.metadata,
    sa.Column("approval_matter_id", sa.ForeignKey("approval_matter.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("service_type_id", sa.ForeignKey("service_type.id", ondelete="CASCADE"),
              primary_key=True, index=True),
    # precondition: an acceptance condition (受理条件), produced before the application is
    # accepted; in_process: needed while the department reviews (审查中).
    sa.Column("need", sa.String(16), nullable=False, default="precondition",
              server_default="precondition"),
    sa.CheckConstraint("need in ('precondition','in_process')", name="need"),
)


class Need(enum.StrEnum):
    """When an approval matter needs a service type's report."""

    PRECONDITION = "precondition"  # 受理条件: before acceptance, the clock has not started
    IN_PROCESS = "in_process"  # 审查中需要: during review


class Department(db.Model):  # type: ignore[name-defined,misc]
    """An approving department (审批部门) with its code, the one approval systems and machine
    clients name it by.  Shown as its name (``str()``), as the free-text field it replaced.

    Its code and name are the shared catalogue's (the approval matters name it); it belongs
    to a tenant (``tenant_id``: a city, a county or the province), the one whose operator
    staffs it, set by the provincial operator (docs/tenancy.md)."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), unique=True)
    # The department's organisation (kind ``department``), whose members are its staff
    # (部门工作人员); created when the operator first invites one.
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"),
                                                        unique=True)
    # Where it belongs: its staff organisation is made in this tenant and moves with it.
    tenant_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"), index=True)
    tenant = relationship("Division")

    def __str__(self) -> str:
        return self.name


class ServiceType(db.Model):  # type: ignore[name-defined,misc]
    """A kind of intermediary service (中介服务事项), e.g. 环评 or 测绘.

    ``qualification_types`` and ``practitioner_types`` name the qualification (资质) and
    practitioner certificate (执业资格) types that allow an agency to offer it.
    """

    __tablename__ = "service_type"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    name_en: Mapped[str] = mapped_column(sa.String(100), default="")
    regulator_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    qualification_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    practitioner_types: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    # The standard contract (合同范本) of the service type: its text with ``{placeholders}``
    # filled from the notice and the award (market.domain.contract); empty: the catalogue's
    # standard text.  ``deliverables`` names what the agency hands over (服务成果).
    contract_template: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    deliverables: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    # The provincial default industry regulator: it regulates the type in its own tenant only,
    # until that tenant's operator maps the type (service_type_regulator); it grants nothing
    # in any other tenant.  Read through market.catalogue.regulators, never directly.
    regulator = relationship("Organisation", foreign_keys=[regulator_id])
    approval_matters: Mapped[list[ApprovalMatter]] = relationship(
        secondary=approval_matter_service_type, back_populates="service_types",
        order_by="ApprovalMatter.name")

    def display_name(self, locale: str) -> str:
        return (self.name_en or self.name) if locale.startswith("en") else self.name


class ApprovalMatter(db.Model):  # type: ignore[name-defined,misc]
    """An administrative approval (审批事项) with its statutory (法定时限) and committed (承诺时限)
    limits in working days and the service types whose reports it needs."""

    __tablename__ = "approval_matter"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("department.id"), index=True)
    statutory_days: Mapped[int]
    committed_days: Mapped[int]

    department: Mapped[Department] = relationship()
    service_types: Mapped[list[ServiceType]] = relationship(
        secondary=approval_matter_service_type, back_populates="approval_matters",
        order_by="ServiceType.code")

    __table_args__ = (
        sa.CheckConstraint("committed_days > 0 AND committed_days <= statutory_days",
                           name="limits"),
    )


# A tenant's catalogue choices (选用): the shared catalogue's service types and approval
# matters a city or county does not use.  What is not listed is used, so a new tenant uses
# the whole catalogue and a type the province adds reaches every tenant until one switches it
# off.
unused_service_type = sa.Table(
    "unused_service_type",
    db.metadata,
    sa.Column("tenant_id", sa.ForeignKey("division.id"), primary_key=True),
    sa.Column("service_type_id", sa.ForeignKey("service_type.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)
unused_approval_matter = sa.Table(
    "unused_approval_matter",
    db.metadata,
    sa.Column("tenant_id", sa.ForeignKey("division.id"), primary_key=True),
    sa.Column("approval_matter_id", sa.ForeignKey("approval_matter.id", ondelete="CASCADE"),
              primary_key=True, index=True),
)
# Which of a tenant's industry regulators (行业主管部门) regulates a service type there: the
# catalogue is the province's, its regulators are each city's.  A row with no regulator says
# the tenant's operator chose none (the type's provincial default, ServiceType.regulator_id,
# then does not apply either).  Read through market.catalogue.regulators only.
service_type_regulator = sa.Table(
    "service_type_regulator",
    db.metadata,
    sa.Column("tenant_id", sa.ForeignKey("division.id"), primary_key=True),
    sa.Column("service_type_id", sa.ForeignKey("service_type.id", ondelete="CASCADE"),
              primary_key=True),
    sa.Column("regulator_id", sa.ForeignKey("organisation.id", ondelete="CASCADE"),
              nullable=True, index=True),
)
