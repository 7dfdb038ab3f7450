"""Webhook endpoints (推送地址): a client registers, lists and removes its own
(``/api/v1/webhooks``, scope ``webhooks:manage``).

An endpoint's URL is http or https; in production (``WEBHOOK_ALLOW_PRIVATE`` off) its host must
resolve only to public addresses, checked at registration and again before every attempt
(:func:`market.integration.delivery.resolve`), so that a client cannot make the platform call
its own network (SSRF).  The signing secret (``whsec_`` + base64 of 32 random bytes) is
returned once and kept sealed with the data key.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _

from market import crypto, timeutil
from market.accounts import audit
from market.db import db
from market.domain import webhooks as rules
from market.i18n import N_
from market.integration.addresses import AddressRefused, resolve
from market.integration.models import ApiClient, DeliveryState, WebhookDelivery, WebhookEndpoint
from market.integration.visibility import EVENT_SCOPES
from market.refusal import Refused

MAX_ENDPOINTS = 20
SEAL_PURPOSE = "webhook-secret"


class WebhookError(Refused):
    """A refused webhook request: ``status`` and ``code`` as the API answers them."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class NewEndpoint:
    row: WebhookEndpoint
    secret: str  # whsec_…, shown once


_URL_MESSAGES = {
    "too_long": N_("url 超过 %(n)s 个字符"),
    "not_a_url": N_("url 不是完整的 http(s) 地址"),
    "scheme": N_("url 须为 http 或 https"),
    "credentials": N_("url 不能带用户名或密码"),
    "fragment": N_("url 不能带片段（#…）"),
}


def check_url(url: str) -> None:
    """Refuse (422) a URL that is not http(s), or whose host is not public in production."""
    problem = rules.url_problem(url)
    if problem is not None:
        raise WebhookError(422, "invalid_url", _(_URL_MESSAGES[problem],
                                                 n=rules.MAX_URL_LENGTH))
    if current_app.config["WEBHOOK_ALLOW_PRIVATE"]:
        return
    try:
        resolve(url, allow_private=False)
    except AddressRefused as refused:
        raise WebhookError(422, "url_not_public", str(refused)) from None


def seal_secret(public_id: str, raw: bytes) -> bytes:
    return crypto.seal(SEAL_PURPOSE, public_id, raw)


def secret_of(endpoint: WebhookEndpoint) -> bytes:
    return crypto.unseal(SEAL_PURPOSE, endpoint.public_id, endpoint.secret_sealed)


def register(client: ApiClient, url: str, events: list[str]) -> NewEndpoint:
    """A client (scope ``webhooks:manage``) registers an endpoint for some event types, each
    of which it holds the reading scope of (403 otherwise)."""
    held = set(client.scope_list())
    for event in events:
        if EVENT_SCOPES[event] not in held:
            raise WebhookError(403, "insufficient_scope", _(
                "%(event)s 需要 %(scope)s 权限范围", event=event, scope=EVENT_SCOPES[event]))
    check_url(url)
    count = db.session.scalar(sa.select(sa.func.count(WebhookEndpoint.id)).where(
        WebhookEndpoint.client_id == client.id, WebhookEndpoint.removed_at.is_(None))) or 0
    if count >= MAX_ENDPOINTS:
        raise WebhookError(422, "too_many_endpoints", _(
            "一个接入系统最多登记 %(n)s 个推送地址，请先删除一个", n=MAX_ENDPOINTS))
    raw = os.urandom(rules.SECRET_BYTES)
    public_id = "WH-" + secrets.token_hex(8).upper()
    row = WebhookEndpoint(public_id=public_id, client_id=client.id, url=url,
                          events=sorted(set(events)), secret_sealed=seal_secret(public_id, raw),
                          created_at=timeutil.now())
    db.session.add(row)
    db.session.flush()
    audit.record("client:webhook:create", public_id, {"client_id": client.client_id, "url": url,
                                                       "events": row.events})
    return NewEndpoint(row, rules.encode_secret(raw))


def endpoints_of(client: ApiClient) -> list[WebhookEndpoint]:
    return list(db.session.scalars(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.client_id == client.id, WebhookEndpoint.removed_at.is_(None))
        .order_by(WebhookEndpoint.id)))


def remove(client: ApiClient, public_id: str) -> WebhookEndpoint:
    """A client removes one of its endpoints (404 for any other): nothing more is sent to it,
    its pending deliveries are cancelled, its log stays."""
    row: WebhookEndpoint | None = db.session.scalar(sa.select(WebhookEndpoint).where(
        WebhookEndpoint.public_id == public_id, WebhookEndpoint.client_id == client.id,
        WebhookEndpoint.removed_at.is_(None)))
    if row is None:
        raise WebhookError(404, "not_found", _("没有推送地址 %(id)s", id=public_id[:40]))
    row.removed_at = timeutil.now()
    db.session.execute(sa.update(WebhookDelivery).where(
        WebhookDelivery.endpoint_id == row.id,
        WebhookDelivery.state == DeliveryState.PENDING.value).values(
        state=DeliveryState.CANCELLED.value, claim=None, claimed_until=None))
    audit.record("client:webhook:remove", public_id, {"client_id": client.client_id})
    return row


def describe(row: WebhookEndpoint) -> dict[str, Any]:
    return {"id": row.public_id, "url": row.url, "events": list(row.events),
            "created_at": row.created_at}
