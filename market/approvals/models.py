"""Approval cases (办件) and their suspensions (挂起)."""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.catalogue.models import ApprovalMatter
from market.clocks.models import Clock, Holder
from market.db import UTCDateTime, db


class CaseState(enum.StrEnum):
    PREPARING = "preparing"  # 申报准备
    ACCEPTED = "accepted"  # 已受理，审批时限起算
    SUSPENDED = "suspended"  # 挂起
    RUNNING = "running"  # 恢复计时
    DECIDED = "decided"  # 已办结
    WITHDRAWN = "withdrawn"  # 已撤回


OPEN_CASE_STATES = (CaseState.ACCEPTED, CaseState.SUSPENDED, CaseState.RUNNING)


class ApprovalCase(db.Model):  # type: ignore[name-defined,misc]
    """A project's application for one approval matter (办件).  Its clock (``clock_id``) starts
    at acceptance (受理) with the matter's committed limit (承诺时限)."""

    __tablename__ = "approval_case"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id"), index=True)
    matter_id: Mapped[int] = mapped_column(sa.ForeignKey("approval_matter.id"), index=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16), default=CaseState.PREPARING, index=True)
    limit_days: Mapped[int]  # the matter's committed limit when the case was opened
    statutory_days: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision: Mapped[str | None] = mapped_column(sa.String(16))  # approved / refused
    decision_note: Mapped[str | None] = mapped_column(sa.String(500))
    clock_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clock.id", use_alter=True))
    # Set by the approval system (or the department's staff): its case number (办件编号), the
    # time of the case's last event (events must not go back in time), an open 补正 (owner
    # time before 受理), and how the case was accepted: on complete materials, by 容缺受理
    # (``tolerated``, the missing report due on ``tolerated_until``) or by 告知承诺 (``pledge``).
    case_no: Mapped[str | None] = mapped_column(sa.String(64))
    # Each department numbers its own cases: the department whose number ``case_no`` is (its
    # matter's when the number was given), unique with it.
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"))
    # When the department received the application (the ``applied`` event); an owner may
    # open a case earlier, to prepare (申报准备).  Art. 32's five days run from here.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_event_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    correction_since: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acceptance: Mapped[str | None] = mapped_column(sa.String(16))
    tolerated_until: Mapped[date | None] = mapped_column(sa.Date)
    # Handled jointly, centrally or in a unified way by several departments (统一办理、联合办理、
    # 集中办理, 行政许可法 Arts. 26 and 42): decided within 45 days, extended by at most 15 with
    # the approval of the head of the people's government (market.domain.approval_limits).
    joint: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    project = relationship("Project")
    matter = relationship("ApprovalMatter")
    owner = relationship("Organisation")
    suspensions: Mapped[list[Suspension]] = relationship(back_populates="case",
                                                         order_by="Suspension.id")

    __table_args__ = (
        sa.CheckConstraint(
            "state in ('preparing','accepted','suspended','running','decided','withdrawn')",
            name="state"),
        sa.CheckConstraint("decision is null or decision in ('approved','refused')",
                           name="decision"),
        sa.CheckConstraint(
            "acceptance is null or acceptance in ('complete','tolerated','pledge','deemed')",
            name="acceptance"),
        sa.CheckConstraint("case_no is null or department_id is not null",
                           name="case_no_department"),
        sa.UniqueConstraint("department_id", "case_no"),
    )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CASE_STATES


class Suspension(db.Model):  # type: ignore[name-defined,misc]
    """A special procedure (特别程序, 行政许可法第四十五条) suspending a case's clock, with its
    reason and expected length.  The department opens it (its approval system or its staff);
    one performed by an engagement points at it (``engagement_id``), its length the
    engagement's committed days, and ends by itself when the deliverable is accepted.
    ``notice`` is the written notice to the applicant, fixed when issued.  (Rows with the
    reasons ``intermediary`` and ``correction`` are older ones, from before the law's order.)
    """

    __tablename__ = "suspension"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("approval_case.id"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(32))
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagement.id"), index=True)
    expected_days: Mapped[int]
    expected_end: Mapped[date | None] = mapped_column(sa.Date)
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    notice: Mapped[str] = mapped_column(sa.Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_by: Mapped[str | None] = mapped_column(sa.String(32))  # owner / acceptance / cancel

    case: Mapped[ApprovalCase] = relationship(back_populates="suspensions")
    engagement = relationship("Engagement")

    __table_args__ = (
        sa.CheckConstraint(
            "reason in ('intermediary','expert_review','correction','hearing','tendering',"
            "'auction','inspection','testing','quarantine','appraisal')", name="reason"),
        sa.CheckConstraint("expected_days > 0", name="expected_days"),
    )


def clock_holder() -> Holder:
    """How the clock board joins a case's clock: its owner sees it, under the matter's name."""
    return Holder(key=Clock.case_id, entity=ApprovalCase, public_id=ApprovalCase.public_id,
                  owner=ApprovalCase.owner_org_id, agency=None, project=ApprovalCase.project_id,
                  subject=(ApprovalMatter, ApprovalMatter.id == ApprovalCase.matter_id,
                           ApprovalMatter.name, None))


class CaseEvent(db.Model):  # type: ignore[name-defined,misc]
    """One event of a case as the approval system (``client_id``) sent it, kept with the
    answer it got: the same ``event_id`` again gets the same answer (idempotency), and the
    case's events are its history (办件过程).  Only applied events are kept; a refused one
    changes nothing."""

    __tablename__ = "case_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("approval_case.id"), index=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_client.id"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    event_id: Mapped[str] = mapped_column(sa.String(64))
    type: Mapped[str] = mapped_column(sa.String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body_hash: Mapped[str] = mapped_column(sa.String(64))
    body: Mapped[dict[str, object]] = mapped_column(sa.JSON)
    status: Mapped[int]
    result: Mapped[dict[str, object]] = mapped_column(sa.JSON)

    case: Mapped[ApprovalCase] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("client_id", "event_id"),
    )
