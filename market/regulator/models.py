"""Complaints (投诉) and owners' breaches (业主失信记录).  Sanctions and stored credit scores are the credit area's
(:mod:`market.credit.models`)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class ComplaintState(enum.StrEnum):
    RECEIVED = "received"  # 已受理
    UNDER_REVIEW = "under_review"  # 调查处理中
    UPHELD = "upheld"  # 投诉成立
    REJECTED = "rejected"  # 投诉不成立


class Complaint(db.Model):  # type: ignore[name-defined,misc]
    """A complaint (投诉) by a party about an engagement or a selection request it took part in.

    ``against_org_id`` is the party complained about (for an upheld complaint about an agency,
    it counts in that agency's credit).  ``due_on`` is the last working day to decide."""

    __tablename__ = "complaint"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    filer_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    filed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    against_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"),
                                                       index=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(16))  # engagement / request
    subject_id: Mapped[str] = mapped_column(sa.String(32))  # the subject's public id
    text: Mapped[str] = mapped_column(sa.Text)
    state: Mapped[str] = mapped_column(sa.String(16), default=ComplaintState.RECEIVED,
                                       index=True)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(sa.Date)
    review_started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    handler_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(sa.Text)  # public

    filer = relationship("Organisation", foreign_keys=[filer_org_id])
    against = relationship("Organisation", foreign_keys=[against_org_id])
    attachments: Mapped[list[ComplaintAttachment]] = relationship(
        back_populates="complaint", order_by="ComplaintAttachment.id")

    __table_args__ = (
        sa.CheckConstraint("state in ('received','under_review','upheld','rejected')",
                           name="state"),
        sa.CheckConstraint("subject_kind in ('engagement','request')", name="subject_kind"),
    )

    @property
    def decided(self) -> bool:
        return self.state in (ComplaintState.UPHELD, ComplaintState.REJECTED)


class ComplaintAttachment(db.Model):  # type: ignore[name-defined,misc]
    """A file attached to a complaint (stored by :mod:`market.storage`)."""

    __tablename__ = "complaint_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(sa.ForeignKey("complaint.id"), index=True)
    upload_id: Mapped[int] = mapped_column(sa.ForeignKey("upload.id"))

    complaint: Mapped[Complaint] = relationship(back_populates="attachments")
    upload = relationship("Upload")


class BreachKind(enum.StrEnum):
    UNPAID_FEES = "unpaid_fees"  # 逾期未支付服务费
    OTHER = "other"  # 其他违约行为


class OwnerBreach(db.Model):  # type: ignore[name-defined,misc]
    """An owner's breach (业主失信记录), recorded by a regulator with its evidence: e.g. fees
    unpaid past the contract's term.  Public on the owner's record; never deleted."""

    __tablename__ = "owner_breach"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagement.id"))
    kind: Mapped[str] = mapped_column(sa.String(16))
    occurred_on: Mapped[date] = mapped_column(sa.Date)
    facts: Mapped[str] = mapped_column(sa.String(2000))
    evidence: Mapped[str] = mapped_column(sa.String(1000))
    evidence_upload_id: Mapped[int] = mapped_column(sa.ForeignKey("upload.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    regulator_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))

    owner = relationship("Organisation", foreign_keys=[owner_org_id])
    regulator = relationship("Organisation", foreign_keys=[regulator_org_id])
    engagement = relationship("Engagement")
    evidence_upload = relationship("Upload")

    __table_args__ = (
        sa.CheckConstraint("kind in ('unpaid_fees','other')", name="kind"),
    )
