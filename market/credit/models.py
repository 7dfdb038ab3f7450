"""Sanctions (处罚) and stored credit scores (信用分)."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db
from market.domain import credit_repair


class SanctionKind(enum.StrEnum):
    WARNING = "warning"  # 警告 (shown, does not block sign-up)
    SUSPENSION = "suspension"  # 暂停 (blocks sign-up while it runs)
    BLACKLIST = "blacklist"  # 黑名单 (blocks sign-up while it runs)


class Sanction(db.Model):  # type: ignore[name-defined,misc]
    """A regulator's sanction of an agency (处罚): kind, reason, legal basis, start and end.

    Whether it is active is derived from the dates and today; nothing flips it.  The row is
    never deleted: it is public until the longest publication period of its class has run
    or a credit repair ends its publication (终止公示), and the regulators' record keeps it
    (:mod:`market.domain.credit_repair`)."""

    __tablename__ = "sanction"

    id: Mapped[int] = mapped_column(primary_key=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(16))
    reason: Mapped[str] = mapped_column(sa.String(1000))
    legal_basis: Mapped[str] = mapped_column(sa.String(500))
    starts_on: Mapped[date] = mapped_column(sa.Date)
    ends_on: Mapped[date] = mapped_column(sa.Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    regulator_org_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"))
    # A local sanction (本地处罚) bars the agency only in this tenant; NULL: province-wide
    # (一处失信、处处受限), the default, as the agency is on one register.
    local_tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("division.id"))
    # Credit repair (信用修复): a regulator's published decision ends the effect from
    # ``repaired_on`` (the sanction's last day in force is the day before, or its end) and
    # its publication (终止公示), which may run past the end; the row stays.
    repaired_on: Mapped[date | None] = mapped_column(sa.Date)
    repair_decision: Mapped[str | None] = mapped_column(sa.String(200))
    repair_reason: Mapped[str | None] = mapped_column(sa.String(1000))
    repaired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    repaired_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    agency = relationship("Organisation", foreign_keys=[agency_org_id])
    regulator = relationship("Organisation", foreign_keys=[regulator_org_id])
    local_tenant = relationship("Division")

    __table_args__ = (
        sa.CheckConstraint("kind in ('warning','suspension','blacklist')", name="kind"),
        sa.CheckConstraint("ends_on >= starts_on", name="dates"),
        sa.CheckConstraint("(repaired_on is null) = (repaired_at is null) and "
                           "(repaired_on is null) = (repair_reason is null) and "
                           "(repaired_on is null) = (repair_decision is null)",
                           name="repaired"),
        # a repair may end the publication after the term, so no upper bound
        sa.CheckConstraint("repaired_on is null or repaired_on > starts_on",
                           name="repaired_on"),
    )

    @property
    def effective_end(self) -> date:
        """The last day in force: ``ends_on``, or the day before a credit repair that took
        effect before it."""
        if self.repaired_on is not None:
            return min(self.ends_on, self.repaired_on - timedelta(days=1))
        return self.ends_on

    @property
    def repaired(self) -> bool:
        return self.repaired_on is not None

    def active_on(self, on: date) -> bool:
        return self.starts_on <= on <= self.effective_end

    @property
    def publication(self) -> credit_repair.Publication:
        """Its class (轻微/一般/严重), earliest repair and end of publication."""
        return credit_repair.publication(self.kind, self.starts_on)

    @property
    def published_until(self) -> date:
        """The last day it is published (its class's longest period, or up to its repair)."""
        return credit_repair.published_until(self.kind, self.starts_on, self.repaired_on)

    def published_on(self, on: date) -> bool:
        """Whether public pages, the API and the lists show it on ``on``: not after the
        longest publication period nor from its credit repair; the regulators always do."""
        return credit_repair.published_on(self.kind, self.starts_on, self.repaired_on, on)


class CreditRecord(db.Model):  # type: ignore[name-defined,misc]
    """An agency's current credit score (信用分), its formula version, inputs and breakdown;
    recomputed whenever an input changes."""

    __tablename__ = "credit_record"

    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"),
                                                 primary_key=True)
    score: Mapped[int] = mapped_column(index=True)
    version: Mapped[str] = mapped_column(sa.String(32))
    inputs: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    parts: Mapped[list[Any]] = mapped_column(sa.JSON)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())

    __table_args__ = (sa.CheckConstraint("score >= 0 and score <= 100", name="score"),)

