"""Operator-entered holiday arrangements, one per year (节假日安排)."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class CalendarYear(db.Model):  # type: ignore[name-defined,misc]
    """A year's schedule as entered from the State Council notice; replaces the library's."""

    __tablename__ = "calendar_year"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    confirmed: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(sa.String(300))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    days: Mapped[list[CalendarDay]] = relationship(
        back_populates="schedule", cascade="all, delete-orphan", order_by="CalendarDay.day"
    )


class CalendarDay(db.Model):  # type: ignore[name-defined,misc]
    """One exception to the weekly rhythm: a weekday off, or a weekend day on (调休)."""

    __tablename__ = "calendar_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(sa.ForeignKey("calendar_year.year"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    working: Mapped[bool] = mapped_column()

    schedule: Mapped[CalendarYear] = relationship(back_populates="days")

    __table_args__ = (sa.UniqueConstraint("year", "day"),)


class CalendarRevision(db.Model):  # type: ignore[name-defined,misc]
    """A single counter bumped by every schedule change, so each process knows when its cached
    calendar is stale without rebuilding it on every request."""

    __tablename__ = "calendar_revision"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)


class CalendarLocalDay(db.Model):  # type: ignore[name-defined,misc]
    """A day a division declares by its own regulation (地方性节假日): a rest day (e.g. an
    autonomous prefecture's 火把节 under its 自治条例) or, rarely, a working day.  A division's
    days reach the tenants under it: a county inherits its city's and the province's."""

    __tablename__ = "calendar_local_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"), index=True)
    day: Mapped[date] = mapped_column(sa.Date)
    working: Mapped[bool] = mapped_column(default=False)
    name: Mapped[str] = mapped_column(sa.String(100))
    source: Mapped[str] = mapped_column(sa.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    __table_args__ = (sa.UniqueConstraint("division_id", "day"),)


class CalendarLocalRevision(db.Model):  # type: ignore[name-defined,misc]
    """A division's own counter, bumped with every change of its local days: a tenant's
    calendar is stale when the national revision or one of its chain's counters moved."""

    __tablename__ = "calendar_local_revision"

    division_id: Mapped[int] = mapped_column(sa.ForeignKey("division.id"), primary_key=True,
                                             autoincrement=False)
    revision: Mapped[int] = mapped_column(default=0)
