"""A notification (通知): one reminder to one organisation, or to one person; and the
agencies' subscriptions to new notices that write some of them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from market.db import UTCDateTime, db


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """One reminder to one organisation (提醒); ``key`` makes it unique per clock and state."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # set when the reminder is for one person (a witness's to-do, a key holder asked to open
    # sealed quotes): only they see it and get it by e-mail, whatever their role
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    clock_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clock.id"), index=True)
    # the project the reminder is about, so that an owner's delegate (采购受托人) sees and is
    # e-mailed only its assigned projects' (market.accounts.scope.Reach); None for a reminder
    # about the organisation itself (its activation or refusal), which every member sees
    project_id: Mapped[int | None] = mapped_column(sa.ForeignKey("project.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_error: Mapped[str | None] = mapped_column(sa.String(500))
    # an SMS copy of the notification (a subscription's), sent once like the e-mail
    sms_phone: Mapped[str | None] = mapped_column(sa.String(32))
    sms_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    smsed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_error: Mapped[str | None] = mapped_column(sa.String(500))


class Subscription(db.Model):  # type: ignore[name-defined,misc]
    """An agency's subscription to new notices (公告订阅): the service types and regions it
    wants to hear of, at once or in one daily digest (每日汇总), by e-mail to its members and,
    when a gateway is configured, by SMS (短信) to one phone."""

    __tablename__ = "subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), unique=True)
    # service type codes; regions as the owners' organisations give them (empty: every region)
    service_codes: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    regions: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    daily: Mapped[bool] = mapped_column(default=False)
    sms_phone: Mapped[str | None] = mapped_column(sa.String(32))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # the end of the period the last daily digest covered (None: none yet)
    digest_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
