"""Clocks (时限): service clocks of engagements and approval clocks of cases, and their logged
events.  What a clock shows and how its row is kept is :mod:`market.clocks.store`."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from market.db import UTCDateTime, db
from market.domain.clock import ClockEvent, ClockTally, event_from_record


class ClockKind(enum.StrEnum):
    SIGNING = "signing"  # 合同签订时限, from the award's confirmation
    SERVICE = "service"  # 中介服务时限 (承诺服务时限)
    REVIEW = "review"  # 业主验收时限, per submitted deliverable
    CASE = "case"  # 审批时限 of an approval case (承诺时限)


class PauseReason(enum.StrEnum):
    MATERIALS = "materials"  # agency waits for the owner's materials
    REVIEW = "review"  # deliverable with the owner for acceptance
    INTERMEDIARY = "intermediary"  # 中介服务
    EXPERT_REVIEW = "expert_review"  # 专家评审
    CORRECTION = "correction"  # 补正
    HEARING = "hearing"  # 听证


class Clock(db.Model):  # type: ignore[name-defined,misc]
    """One clock (时限) and the fold of its events (see the module docstring)."""

    __tablename__ = "clock"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(16), index=True)
    limit_days: Mapped[int]
    engagement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("engagement.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(sa.ForeignKey("approval_case.id"), index=True)
    # the tenant whose settings (the warning lead time) the clock is read under: an
    # engagement's request's, a case's owner's; None: the province's values
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("division.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the tally (ClockTally), written with each event
    phase: Mapped[str] = mapped_column(sa.String(8), default="idle", index=True)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    start_date: Mapped[date | None] = mapped_column(sa.Date)
    since: Mapped[date | None] = mapped_column(sa.Date)
    pause_reason: Mapped[str | None] = mapped_column(sa.String(32))
    used: Mapped[int] = mapped_column(default=0)
    paused_by_reason: Mapped[dict[str, int]] = mapped_column(sa.JSON, default=dict)
    extensions: Mapped[int] = mapped_column(default=0)
    stop_date: Mapped[date | None] = mapped_column(sa.Date)
    # derived from the tally under calendar ``calendar_revision`` (see the module docstring)
    paused_days: Mapped[int] = mapped_column(default=0, server_default="0")
    due_date: Mapped[date | None] = mapped_column(sa.Date)
    calendar_revision: Mapped[int | None]

    __table_args__ = (
        sa.CheckConstraint("kind in ('signing','service','review','case')", name="kind"),
        sa.CheckConstraint("phase in ('idle','running','paused','stopped')", name="phase"),
        sa.CheckConstraint("limit_days >= 0", name="limit_days"),
        # the regulator's pages (market.clocks.board): order and classify by due date,
        # find the rare rows with an event after now, find rows of an older calendar
        sa.Index("ix_clock_phase_due_date", "phase", "due_date"),
        sa.Index("ix_clock_phase_last_at", "phase", "last_at"),
        sa.Index("ix_clock_calendar_revision", "calendar_revision"),
    )

    def tally(self) -> ClockTally:
        return ClockTally(phase=self.phase, last_at=self.last_at,  # type: ignore[arg-type]
                          start_date=self.start_date, since=self.since,
                          pause_reason=self.pause_reason, used=self.used,
                          paused_by_reason=dict(self.paused_by_reason or {}),
                          extensions=self.extensions, stop_date=self.stop_date)


class ClockEntry(db.Model):  # type: ignore[name-defined,misc]
    """One logged clock event (时限事件): start, pause with reason, resume, extend, stop."""

    __tablename__ = "clock_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    clock_id: Mapped[int] = mapped_column(sa.ForeignKey("clock.id"), index=True)
    seq: Mapped[int]
    kind: Mapped[str] = mapped_column(sa.String(8))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str | None] = mapped_column(sa.String(32))
    days: Mapped[int | None]
    note: Mapped[str] = mapped_column(sa.String(500), default="")
    by_user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (
        sa.UniqueConstraint("clock_id", "seq"),
        sa.CheckConstraint("kind in ('start','pause','resume','extend','stop')", name="kind"),
    )

    def event(self) -> ClockEvent:
        return event_from_record(self.kind, self.at, self.reason, self.days)


@dataclass(frozen=True)
class Holder:
    """What a clock belongs to (an engagement or an approval case), as the board
    (:mod:`market.clocks.board`) joins it: ``entity`` (its mapped class) whose ``id`` the
    clock's ``key`` column points at, its ``public_id`` column, the organisations that see it
    on their side (``owner``, and ``agency`` for an engagement), and its subject's name through
    one more join (``subject`` = (entity, on-clause, name, English name or None)).  The owning
    area describes itself; ``create_app`` connects it (:func:`market.clocks.board.connect`)."""

    key: Any
    entity: Any
    public_id: Any
    owner: Any
    agency: Any  # None: only the owner's side sees it
    subject: tuple[Any, Any, Any, Any]  # the English name None when there is none
    project: Any = None  # its project's id column: a delegate sees its projects' clocks only
