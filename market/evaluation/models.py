"""A rating (服务评价) of an accepted engagement by its owner, and the agency's reply."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.approvals import models as _approvals  # noqa: F401  # clocks point at cases
from market.db import UTCDateTime, db
from market.engagements import models as _engagements  # noqa: F401  # the engagement table

DIMENSIONS = ("quality", "timeliness", "attitude", "fees", "integrity")
# The five levels of the government's 好差评 scale (国办发〔2019〕51号), best first; the last two
# are a poor rating (差评), which opens a correction (整改).
LEVELS = ("very_satisfied", "satisfied", "basically_satisfied", "dissatisfied",
          "very_dissatisfied")
POOR_LEVELS = ("dissatisfied", "very_dissatisfied")
FOLLOW_UP_RESULTS = ("satisfied", "basically_satisfied", "dissatisfied")


class Rating(db.Model):  # type: ignore[name-defined,misc]
    """A rating (服务评价) of one step of an engagement by its owner: its acceptance (验收,
    ``deliverable_version`` 0, once per engagement) or the return (退回修改) of one deliverable
    version (``deliverable_version`` = that version, once each).  1–5 on each dimension, the
    好差评 level, a comment; the agency replies at most once to each.  Public on the agency's
    profile, unless the operator hid it with a published reason (``hidden_*``): then its text
    is withheld and the fact, date and reason are shown instead."""

    __tablename__ = "rating"

    id: Mapped[int] = mapped_column(primary_key=True)
    engagement_id: Mapped[int] = mapped_column(sa.ForeignKey("engagement.id"))
    # 0: the acceptance; n > 0: the return of deliverable version n (one rating per step)
    deliverable_version: Mapped[int] = mapped_column(default=0, server_default="0")
    owner_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    quality: Mapped[int]
    timeliness: Mapped[int]
    attitude: Mapped[int]
    fees: Mapped[int]
    integrity: Mapped[int]
    comment: Mapped[str] = mapped_column(sa.Text, default="")
    # the 好差评 level (LEVELS); None on ratings made before the scale was asked
    level: Mapped[str | None] = mapped_column(sa.String(20))
    rated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    rated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    reply: Mapped[str | None] = mapped_column(sa.Text)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    # hidden by the operator (屏蔽): the reason is published in the rating's place
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_reason: Mapped[str | None] = mapped_column(sa.String(500))
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    engagement = relationship("Engagement")
    owner = relationship("Organisation", foreign_keys=[owner_org_id])
    agency = relationship("Organisation", foreign_keys=[agency_org_id])

    __table_args__ = (
        *(sa.CheckConstraint(f"{d} between 1 and 5", name=d) for d in DIMENSIONS),
        sa.CheckConstraint("level is null or level in ('very_satisfied','satisfied',"
                           "'basically_satisfied','dissatisfied','very_dissatisfied')",
                           name="level"),
        sa.UniqueConstraint("engagement_id", "deliverable_version"),
        sa.CheckConstraint("deliverable_version >= 0", name="deliverable_version"),
        sa.CheckConstraint("(hidden_at is null) = (hidden_reason is null)", name="hidden"),
    )

    @property
    def step(self) -> str:
        """``acceptance`` (验收) or ``return`` (退回修改)."""
        return "acceptance" if self.deliverable_version == 0 else "return"

    @property
    def hidden(self) -> bool:
        return self.hidden_at is not None

    @property
    def poor(self) -> bool:
        """A 差评: 不满意 or 非常不满意."""
        return self.level in POOR_LEVELS

    @property
    def average(self) -> float:
        total: int = sum(getattr(self, d) for d in DIMENSIONS)
        return total / len(DIMENSIONS)


class Correction(db.Model):  # type: ignore[name-defined,misc]
    """A correction (整改) a poor rating (差评) opens for the rated agency: the agency answers
    once in writing by ``due_on`` (what it corrected), and the operator records a follow-up
    (回访) with the owner and its result.  Unanswered past ``due_on``, it climbs the electronic
    supervision ladder like a late service."""

    __tablename__ = "rating_correction"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    rating_id: Mapped[int] = mapped_column(sa.ForeignKey("rating.id"), unique=True)
    agency_org_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    due_on: Mapped[date] = mapped_column(sa.Date)
    answer: Mapped[str | None] = mapped_column(sa.Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    follow_up_result: Mapped[str | None] = mapped_column(sa.String(20))
    follow_up_note: Mapped[str | None] = mapped_column(sa.Text)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    followed_up_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))

    rating: Mapped[Rating] = relationship()
    agency = relationship("Organisation")

    __table_args__ = (
        sa.CheckConstraint("follow_up_result is null or follow_up_result in "
                           "('satisfied','basically_satisfied','dissatisfied')",
                           name="follow_up_result"),
        sa.CheckConstraint("(answer is null) = (answered_at is null)", name="answered"),
        sa.CheckConstraint("(follow_up_result is null) = (followed_up_at is null)",
                           name="followed_up"),
    )
