"""Engagements (委托), their contract, materials requests and deliverables (服务成果)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalogue.models import ServiceType
from market.clocks.models import Clock, Holder
from market.db import UTCDateTime, db


class EngagementState(enum.StrEnum):
    SIGNING = "signing"  # 待签合同
    IN_SERVICE = "in_service"  # 服务中 (the agency's clock runs or waits on the owner)
    IN_REVIEW = "in_review"  # 待验收 (a deliverable is with the owner)
    ACCEPTED = "accepted"  # 已验收 (done)
    CANCELLED = "cancelled"  # 已取消


class Engagement(db.Model):  # type: ignore[name-defined,misc]
    """An engagement (委托) of an agency by an owner, from one confirmed award.

    The fee and the committed working days are the award's.  ``signing_due`` is the last day
    to confirm the contract.  The clocks (signing, service, review) are :class:`Clock` rows
    pointing here.
    """

    __tablename__ = "engagement"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    award_id: Mapped[int] = mapped_column(sa.ForeignKey("award.id"), unique=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("selection_request.id"), index=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    service_type_id: Mapped[int] = mapped_column(sa.ForeignKey("service_type.id"), index=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    fee_fen: Mapped[int] = mapped_column(sa.BigInteger)
    service_days: Mapped[int]
    state: Mapped[str] = mapped_column(sa.String(16), default=EngagementState.SIGNING, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    signing_due: Mapped[date] = mapped_column(sa.Date)
    contract_upload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upload.id"))
    contract_by_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    contract_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contract_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    contract_confirmed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id"))
    # The standard contract (合同范本) as both sides confirmed it, filled from the notice and
    # the award; the contract notice (合同公告) shows it, whatever the template says later.
    contract_text: Mapped[str | None] = mapped_column(sa.Text)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_reason: Mapped[str | None] = mapped_column(sa.String(500))
    # Filled at acceptance, for the agency's public record.
    days_used: Mapped[int | None]
    on_time: Mapped[bool | None]

    request = relationship("SelectionRequest")
    project = relationship("Project")
    service_type = relationship("ServiceType")
    owner = relationship("Organisation", foreign_keys=[owner_org_id])
    agency = relationship("Organisation", foreign_keys=[agency_org_id])
    contract = relationship("Upload", foreign_keys=[contract_upload_id])
    deliverables: Mapped[list[Deliverable]] = relationship(
        back_populates="engagement", order_by="Deliverable.version")
    materials: Mapped[list[MaterialsRequest]] = relationship(
        back_populates="engagement", order_by="MaterialsRequest.id")

    __table_args__ = (
        sa.CheckConstraint(
            "state in ('signing','in_service','in_review','accepted','cancelled')", name="state"),
        sa.CheckConstraint("service_days > 0", name="service_days"),
        sa.CheckConstraint("fee_fen >= 0", name="fee"),
    )

    @property
    def finished(self) -> bool:
        return self.state in (EngagementState.ACCEPTED, EngagementState.CANCELLED)


class MaterialsRequest(db.Model):  # type: ignore[name-defined,misc]
    """The agency asks the owner for materials (补充资料); its clock waits until the answer."""

    __tablename__ = "materials_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement.id"), index=True)
    asked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    asked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    what: Mapped[str] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answer_upload_id: Mapped[int | None] = mapped_column(sa.ForeignKey("upload.id"))

    engagement: Mapped[Engagement] = relationship(back_populates="materials")
    answer_upload = relationship("Upload")


class Decision(enum.StrEnum):
    PENDING = "pending"  # 待验收
    ACCEPTED = "accepted"  # 验收通过
    RETURNED = "returned"  # 退回修改
    WITHDRAWN = "withdrawn"  # 委托取消时未决


class Deliverable(db.Model):  # type: ignore[name-defined,misc]
    """One version of the deliverable (服务成果); the file is stored once under its SHA-256 and
    never overwritten, so every version stays readable."""

    __tablename__ = "deliverable"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement.id"), index=True)
    version: Mapped[int]
    upload_id: Mapped[int] = mapped_column(sa.ForeignKey("upload.id"))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    note: Mapped[str] = mapped_column(sa.String(1000), default="")
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decision: Mapped[str] = mapped_column(sa.String(16), default=Decision.PENDING)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    return_reason: Mapped[str | None] = mapped_column(sa.Text)
    review_clock_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clock.id"))

    engagement: Mapped[Engagement] = relationship(back_populates="deliverables")
    upload = relationship("Upload")

    __table_args__ = (
        sa.UniqueConstraint("engagement_id", "version"),
        sa.CheckConstraint("decision in ('pending','accepted','returned','withdrawn')",
                           name="decision"),
    )


def project_of(engagement_id: int) -> int | None:
    """The project of an engagement (billing, below this area, asks it: a delegate sees the
    payments of its projects' engagements only)."""
    return db.session.scalar(sa.select(Engagement.project_id).where(
        Engagement.id == engagement_id))


def clock_holder() -> Holder:
    """How the clock board joins an engagement's clocks (signing, service, review): the
    owner and the agency see them, under the service type's name."""
    return Holder(key=Clock.engagement_id, entity=Engagement, public_id=Engagement.public_id,
                  owner=Engagement.owner_org_id, agency=Engagement.agency_org_id,
                  project=Engagement.project_id,
                  subject=(ServiceType, ServiceType.id == Engagement.service_type_id,
                           ServiceType.name, ServiceType.name_en))
