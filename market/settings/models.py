"""A change to one of the operator's settings (设置变更), effective from a date."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.accounts.models import User
from market.db import UTCDateTime, db


class SettingChange(db.Model):  # type: ignore[name-defined,misc]
    """From ``effective_from`` (a Beijing date) on, ``key`` reads ``value`` until a later
    change; rows are never updated once their date has come, so the history is the table.
    ``effective_at`` is the moment it applies from: the start of that Beijing day, or, for a
    change made for today, the moment it was saved (what was published earlier today keeps
    the value it was published with).

    ``tenant_id`` NULL is the province's own value, which every tenant without one of its own
    inherits; :func:`service.effective` looks up the tenant's rows before the province's, the
    config default last."""

    __tablename__ = "setting_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    tenant_id: Mapped[int | None] = mapped_column(sa.ForeignKey("division.id"))
    key: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[int] = mapped_column(sa.BigInteger)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "key", "effective_from"),
        # NULLs are distinct in a unique constraint: the province's rows need their own.
        sa.Index("uq_setting_change_province_key", "key", "effective_from", unique=True,
                 sqlite_where=sa.text("tenant_id IS NULL"),
                 postgresql_where=sa.text("tenant_id IS NULL")),
    )
