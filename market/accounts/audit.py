"""Audit events, written in the same transaction as the change they record (审计日志)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask import has_request_context
from flask_login import current_user
from sqlalchemy.orm import Mapped, mapped_column

from market import timeutil
from market.accounts.auth import current_org
from market.db import UTCDateTime, db


class AuditEvent(db.Model):  # type: ignore[name-defined,misc]
    """Who did what to which object, when.  ``tag`` reads ``subject:object:action``."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    tag: Mapped[str] = mapped_column(sa.String(100), index=True)
    target: Mapped[str] = mapped_column(sa.String(100), index=True)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)


def record(
    tag: str,
    target: str,
    details: dict[str, Any] | None = None,
    *,
    user_id: int | None = None,
    organisation_id: int | None = None,
) -> AuditEvent:
    """Add an audit event to the current transaction; the caller's commit makes both durable.

    The acting user and organisation default to the request's, so operations need not pass them.
    """
    if user_id is None and has_request_context() and current_user.is_authenticated:
        user_id = current_user.id
    if organisation_id is None and has_request_context():
        org = current_org()
        organisation_id = org.id if org is not None else None
    event = AuditEvent(
        at=timeutil.now(),
        user_id=user_id,
        organisation_id=organisation_id,
        tag=tag,
        target=target,
        details=details or {},
    )
    db.session.add(event)
    return event
