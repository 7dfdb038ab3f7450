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

    A province's tenants will add a nullable ``tenant_id`` column (NULL: the province's own
    value, which every tenant without one of its own inherits) and widen the unique
    constraint to (tenant_id, key, effective_from); :func:`service.effective` then looks up
    the tenant's row before the province's, the config default last."""

    __tablename__ = "setting_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64))
    value: Mapped[int] = mapped_column(sa.BigInteger)
    effective_from: Mapped[date] = mapped_column(sa.Date)
    effective_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    created_by: Mapped[User | None] = relationship()

    __table_args__ = (
        sa.UniqueConstraint("key", "effective_from"),
    )
