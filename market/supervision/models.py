"""Raised escalation steps (监察记录) and supervision orders (督办)."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class SubjectKind(enum.StrEnum):
    """What a step is about."""

    SERVICE = "service"  # 中介服务超期 (an engagement's service clock)
    SIGNING = "signing"  # 合同签订超期
    REVIEW = "review"  # 业主验收超期
    CASE = "case"  # 审批超期 (an approval case past its committed limit)
    TOLERATED = "tolerated"  # 容缺受理 report not delivered by its due date
    OBJECTION = "objection"  # 异议 not decided by its deadline
    COMPLAINT = "complaint"  # 投诉 not decided by its deadline
    CORRECTION = "correction"  # 差评整改 not answered by its deadline


class PartyKind(enum.StrEnum):
    """Who is responsible for the late matter."""

    AGENCY = "agency"
    OWNER = "owner"
    DEPARTMENT = "department"  # an approving department (审批部门)
    REGULATOR = "regulator"


class EscalationStep(db.Model):  # type: ignore[name-defined,misc]
    """One raised step of the ladder (预警提醒 / 黄牌 / 红牌) for one late matter: who is
    responsible, how late it was, when it was raised and who was told how (``told``: a list of
    ``{"org", "name", "role", "channels"}``).  The unique constraint is the claim: two runs at
    once cannot raise the same step of the same matter and due date twice."""

    __tablename__ = "escalation_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(16))
    subject_id: Mapped[str] = mapped_column(sa.String(32))  # the matter's public id
    subject_link: Mapped[str] = mapped_column(sa.String(200), default="")
    subject_title: Mapped[str] = mapped_column(sa.String(200), default="")
    due_date: Mapped[date] = mapped_column(sa.Date)
    step: Mapped[str] = mapped_column(sa.String(8))
    party_kind: Mapped[str] = mapped_column(sa.String(16))
    party_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"),
                                                     index=True)
    party_name: Mapped[str] = mapped_column(sa.String(200))
    late_days: Mapped[int]
    raised_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    told: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON, default=list)

    party = relationship("Organisation")
    order: Mapped[SupervisionOrder | None] = relationship(back_populates="step_row",
                                                          uselist=False)

    __table_args__ = (
        sa.UniqueConstraint("subject_kind", "subject_id", "due_date", "step"),
        sa.CheckConstraint("step in ('warning','yellow','red')", name="step"),
        sa.CheckConstraint(
            "subject_kind in ('service','signing','review','case','tolerated','objection',"
            "'complaint','correction')", name="subject_kind"),
        sa.CheckConstraint("party_kind in ('agency','owner','department','regulator')",
                           name="party_kind"),
        sa.CheckConstraint("late_days >= 0", name="late_days"),
    )


class SupervisionOrder(db.Model):  # type: ignore[name-defined,misc]
    """A supervision order (督办) opened by a yellow card: the responsible regulator answers it
    in writing by ``answer_due`` (what was done about the late matter)."""

    __tablename__ = "supervision_order"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    step_id: Mapped[int] = mapped_column(sa.ForeignKey("escalation_step.id"), unique=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    answer_due: Mapped[date] = mapped_column(sa.Date)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    step_row: Mapped[EscalationStep] = relationship(back_populates="order")
    answered_by = relationship("User")

    __table_args__ = (
        sa.CheckConstraint("(answer is null) = (answered_at is null)", name="answered"),
    )

    @property
    def answered(self) -> bool:
        return self.answered_at is not None
