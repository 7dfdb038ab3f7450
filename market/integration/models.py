"""Machine clients (接入系统), their tokens, and the webhook outbox (推送)."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from market.db import UTCDateTime, db


class Scope(enum.StrEnum):
    """What a client's token allows (shared/spec/integration.md §2)."""

    CASES_WRITE = "cases:write"
    PROJECTS_READ = "projects:read"
    DELIVERABLES_READ = "deliverables:read"
    WEBHOOKS_MANAGE = "webhooks:manage"


SCOPES = tuple(s.value for s in Scope)


class ApiClient(db.Model):  # type: ignore[name-defined,misc]
    """A machine client (接入系统) of one department, or of the province's platform (省级平台,
    ``department_id`` NULL), holding OAuth 2.0 client credentials.  Only the SHA-256 of the
    secret is stored: it is 32 random bytes, so a slow hash would add nothing."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(sa.String(48), unique=True)
    secret_hash: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))
    department_id: Mapped[int | None] = mapped_column(sa.ForeignKey("department.id"), index=True)
    scopes: Mapped[str] = mapped_column(sa.String(200))  # space-separated, as in OAuth
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    department = relationship("Department")

    @property
    def is_platform(self) -> bool:
        return self.department_id is None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def scope_list(self) -> list[str]:
        return self.scopes.split()


class AccessToken(db.Model):  # type: ignore[name-defined,misc]
    """A bearer token (RFC 6750) issued to a client; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("api_client.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    scope: Mapped[str] = mapped_column(sa.String(200))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    client: Mapped[ApiClient] = relationship()


class WebhookEndpoint(db.Model):  # type: ignore[name-defined,misc]
    """A client's webhook endpoint (推送地址) and the event types it wants.  The signing secret
    is sealed with the data key (:mod:`market.crypto`): it must be read to sign.  Removing an
    endpoint keeps the row (``removed_at``) so that its delivery log stays readable."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(32), unique=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_client.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(2000))
    events: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    secret_sealed: Mapped[bytes] = mapped_column(sa.LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    client: Mapped[ApiClient] = relationship()


class WebhookMessage(db.Model):  # type: ignore[name-defined,misc]
    """One event as pushed: ``body`` is the exact JSON text every attempt sends, and
    ``public_id`` its ``webhook-id``."""

    __tablename__ = "webhook_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(sa.String(40), unique=True)
    type: Mapped[str] = mapped_column(sa.String(40))
    project_code: Mapped[str] = mapped_column(sa.String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DeliveryState(enum.StrEnum):
    PENDING = "pending"  # 待送达: due at next_attempt_at, or waiting behind an earlier one
    DELIVERED = "delivered"  # 已送达: a 2xx came back
    FAILED = "failed"  # 已放弃: no 2xx for the whole retry window
    CANCELLED = "cancelled"  # 已取消: endpoint removed or client revoked before delivery


class WebhookDelivery(db.Model):  # type: ignore[name-defined,misc]
    """A message on its way to one endpoint (送达任务).

    Deliveries of one project to one endpoint go in ``id`` order: one waits while an earlier
    one of its stream is pending.  ``claim`` and ``claimed_until`` are a sender's lease, taken
    with a row lock (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, SQLite's single writer), so two
    senders never make the same attempt."""

    __tablename__ = "webhook_delivery"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_message.id"), index=True)
    endpoint_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_endpoint.id"))
    project_code: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(16), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime())
    first_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # An operator asked for one more attempt (重新推送) of a delivered or failed delivery.
    replay_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    claim: Mapped[str | None] = mapped_column(sa.String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())

    message: Mapped[WebhookMessage] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_log: Mapped[list[DeliveryAttempt]] = relationship(
        back_populates="delivery", order_by="DeliveryAttempt.id")

    __table_args__ = (
        sa.CheckConstraint("state in ('pending','delivered','failed','cancelled')",
                           name="state"),
        # the sender's queries: due pending ones, and each stream's earliest pending one
        sa.Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        sa.Index("ix_webhook_delivery_stream", "endpoint_id", "project_code", "state", "id"),
    )


class DeliveryAttempt(db.Model):  # type: ignore[name-defined,misc]
    """One attempt to deliver (推送记录): when, what came back, how long it took."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_delivery.id"), index=True)
    number: Mapped[int]
    replay: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int]
    status_code: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(sa.String(200))
    response_excerpt: Mapped[str | None] = mapped_column(sa.String(500))

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")
