"""Complaints (投诉).  Sanctions and stored credit scores are the credit area's
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
