"""A rating (服务评价) of an accepted engagement by its owner, and the agency's reply."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.approvals import models as _approvals  # noqa: F401  # clocks point at cases
from market.db import UTCDateTime, db
from market.engagements import models as _engagements  # noqa: F401  # the engagement table

DIMENSIONS = ("quality", "timeliness", "attitude", "fees", "integrity")


class Rating(db.Model):  # type: ignore[name-defined,misc]
    """One rating per engagement (unique), 1–5 on each dimension, with a comment; the agency
    replies at most once.  Both are public on the agency's profile."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement.id"), unique=True)
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    quality: Mapped[int]
    timeliness: Mapped[int]
    attitude: Mapped[int]
    fees: Mapped[int]
    integrity: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reply: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    engagement = relationship("Engagement")
    owner = relationship("Organisation", foreign_keys=[owner_org_id])
    agency = relationship("Organisation", foreign_keys=[agency_org_id])

    __table_args__ = tuple(
        sa.CheckConstraint(f"{d} between 1 and 5", name=d) for d in DIMENSIONS)

    @property
    def average(self) -> float:
        total: int = sum(getattr(self, d) for d in DIMENSIONS)
        return total / len(DIMENSIONS)
