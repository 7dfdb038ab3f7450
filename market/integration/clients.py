"""Creating and revoking machine clients (接入系统): the operator's page and ``flask clients``."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from market import timeutil
from market.accounts import audit
from market.catalogue.models import Department
from market.db import db
from market.i18n import N_
from market.integration.models import (
    SCOPES,
    AccessToken,
    ApiClient,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
)
from market.integration.oauth import digest
from market.refusal import Refused

MAX_NAME = 100


class ClientError(Refused):
    def __init__(self, field: str, message: str, **params: Any) -> None:
        super().__init__(message)
        self.field, self.message, self.params = field, message, params


@dataclass(frozen=True)
class NewClient:
    row: ApiClient
    secret: str  # shown once, never stored


def create_client(name: str, department_code: str | None, scopes: list[str],
                  created_by_id: int | None = None) -> NewClient:
    """An operator creates a client for one department (its code), or for the province's
    platform (``department_code`` None); it may ask for ``scopes`` and nothing else.  Returns
    the row and the secret, which only its SHA-256 keeps."""
    name = (name or "").strip()
    if not name:
        raise ClientError("name", N_("请填写此项。"))
    if len(name) > MAX_NAME:
        raise ClientError("name", N_("最多 %(n)s 个字。"), n=MAX_NAME)
    department = None
    if department_code is not None:
        department = db.session.scalar(sa.select(Department).where(
            Department.code == department_code.strip().upper()))
        if department is None:
            raise ClientError("department", N_("没有代码为 %(code)s 的审批部门。"),
                              code=department_code.strip()[:32])
    wanted = list(dict.fromkeys(s.strip() for s in scopes if s.strip()))
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise ClientError("scopes", N_("没有这个权限范围：%(scope)s。"), scope=unknown[0][:40])
    if not wanted:
        raise ClientError("scopes", N_("请至少选择一个权限范围。"))
    secret = secrets.token_urlsafe(32)
    row = ApiClient(client_id="mc_" + secrets.token_hex(12), secret_hash=digest(secret),
                    name=name, department=department,
                    scopes=" ".join(s for s in SCOPES if s in wanted),
                    created_at=timeutil.now(), created_by_id=created_by_id)
    db.session.add(row)
    db.session.flush()
    audit.record("operator:api-client:create", row.client_id, {
        "name": row.name, "department": department.code if department else None,
        "scopes": row.scopes}, user_id=created_by_id)
    return NewClient(row, secret)


def revoke_client(client_id: str, by_user_id: int | None = None) -> ApiClient:
    """An operator revokes a client: its tokens stop working at once, its webhook endpoints
    are removed and their pending deliveries cancelled."""
    row: ApiClient | None = db.session.scalar(sa.select(ApiClient).where(
        ApiClient.client_id == client_id))
    if row is None:
        raise ClientError("client_id", N_("没有这个接入系统。"))
    if row.revoked_at is not None:
        raise ClientError("client_id", N_("该接入系统已经停用。"))
    now = timeutil.now()
    row.revoked_at = now
    db.session.execute(sa.update(AccessToken).where(
        AccessToken.client_id == row.id, AccessToken.revoked_at.is_(None)).values(revoked_at=now))
    endpoints = sa.select(WebhookEndpoint.id).where(WebhookEndpoint.client_id == row.id)
    db.session.execute(sa.update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id.in_(endpoints),
        WebhookDelivery.state == DeliveryState.PENDING.value).values(
        state=DeliveryState.CANCELLED.value, claim=None, claimed_until=None))
    db.session.execute(sa.update(WebhookEndpoint).where(
        WebhookEndpoint.client_id == row.id, WebhookEndpoint.removed_at.is_(None)).values(
        removed_at=now))
    audit.record("operator:api-client:revoke", row.client_id, {"name": row.name},
                 user_id=by_user_id)
    return row
