"""The machine clients' side of the API: ``POST /oauth/token`` and ``/api/v1/webhooks``.

Bearer-token views are exempt from CSRF (no cookie authorises them) and run under
``access(ANYONE)`` for the transaction, with :func:`market.integration.oauth.client_access`
checking the token, the scope and the client's rate limit.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime

from flask import Blueprint, current_app, jsonify, request
from flask.wrappers import Response

from market.accounts import throttle
from market.accounts.auth import ANYONE, access
from market.domain.webhooks import MAX_URL_LENGTH
from market.extensions import csrf
from market.integration import oauth
from market.integration import webhooks as ops
from market.integration.models import Scope
from market.integration.visibility import EVENT_TYPES
from market.web.openapi import (
    REQUIRED,
    ApiError,
    Page,
    PageQuery,
    PathParam,
    body_field,
    document_path,
    endpoint,
)

bp = Blueprint("integration_api", __name__)
csrf.exempt(bp)

MAX_TOKEN_REQUEST = 8 * 1024


def _d(text: str) -> dict[str, str]:
    return {"description": text}


@dataclass
class WebhookIn:
    """A webhook endpoint to register."""

    url: str = body_field(REQUIRED, "where to POST the events: http or https; in production "
                          "a public address", max_length=MAX_URL_LENGTH, pattern=r"^https?://",
                          fmt="uri")
    events: list[str] = body_field(REQUIRED, "the event types to send there",
                                   enum=EVENT_TYPES, max_items=len(EVENT_TYPES))


@dataclass
class WebhookOut:
    """A registered webhook endpoint."""

    id: str = field(metadata=_d("the endpoint's id (WH-…)"))
    url: str
    events: list[str]
    created_at: datetime


@dataclass
class WebhookCreatedOut:
    """A new webhook endpoint with its signing secret, shown this once."""

    id: str = field(metadata=_d("the endpoint's id (WH-…)"))
    url: str
    events: list[str]
    created_at: datetime
    secret: str = field(metadata=_d("the signing secret: whsec_ and the base64 of 32 bytes; "
                                    "webhook-signature is v1,<base64 HMAC-SHA256 of id.timestamp"
                                    ".body under its bytes> (Standard Webhooks)"))


@dataclass
class WebhookQuery(PageQuery):
    """Paging only."""


def _refused(error: ops.WebhookError) -> ApiError:
    return ApiError(error.status, error.code, error.message)


@bp.route("/api/v1/webhooks", methods=["GET"])
@access(ANYONE)
@oauth.client_access(Scope.WEBHOOKS_MANAGE)
@endpoint(query=WebhookQuery, response=WebhookOut, paged=True, tag="webhooks")
def list_webhooks(query: WebhookQuery) -> Page[WebhookOut]:
    """The calling client's webhook endpoints (never another client's)."""
    rows = ops.endpoints_of(oauth.current_client())
    start = (query.page - 1) * query.per_page
    items = [WebhookOut(r.public_id, r.url, list(r.events), r.created_at)
             for r in rows[start:start + query.per_page]]
    return Page(items=items, total=len(rows), query=query)


@bp.route("/api/v1/webhooks", methods=["POST"])
@access(ANYONE)
@oauth.client_access(Scope.WEBHOOKS_MANAGE)
@endpoint(body=WebhookIn, response=WebhookCreatedOut, status=201, tag="webhooks",
          errors=(400, 422))
def create_webhook(body: WebhookIn) -> WebhookCreatedOut:
    """Register a webhook endpoint; its signing secret is in this answer only.

    Events of a project reach an endpoint when its client may see the project: the
    province's platform sees all, a department's client the projects with a case of its
    matters; `deliverable.*` need the scope `deliverables:read`, the others `projects:read`
    (403 otherwise). A URL that is not http(s), or in production not a public address, is
    422. Every request is signed (webhook-id, webhook-timestamp, webhook-signature) and
    retried with exponential backoff for at least 24 hours until a 2xx."""
    try:
        new = ops.register(oauth.current_client(), body.url, body.events)
    except ops.WebhookError as error:
        raise _refused(error) from None
    r = new.row
    return WebhookCreatedOut(r.public_id, r.url, list(r.events), r.created_at, new.secret)


@bp.route("/api/v1/webhooks/<webhook_id>", methods=["DELETE"])
@access(ANYONE)
@oauth.client_access(Scope.WEBHOOKS_MANAGE)
@endpoint(response=None, status=204, tag="webhooks", errors=(404,),
          path={"webhook_id": PathParam("the endpoint's id", r"^WH-[0-9A-F]{16}$")})
def delete_webhook(webhook_id: str) -> None:
    """Remove one of the calling client's endpoints; its pending deliveries are cancelled."""
    try:
        ops.remove(oauth.current_client(), webhook_id)
    except ops.WebhookError as error:
        raise _refused(error) from None


# --- the token endpoint -----------------------------------------------------------------------


def _oauth_error(status: int, error: str, description: str) -> Response:
    response = jsonify({"error": error, "error_description": description})
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/oauth/token", methods=["POST"])
@access(ANYONE)
def token() -> Response:
    """OAuth 2.0 token endpoint (client credentials, HTTP Basic client authentication)."""
    length = request.content_length
    if length is not None and length > MAX_TOKEN_REQUEST:
        return _oauth_error(413, "invalid_request", "the request is too large")
    request.max_content_length = MAX_TOKEN_REQUEST
    request.max_form_memory_size = MAX_TOKEN_REQUEST
    if current_app.config.get("RATELIMIT_ENABLED", True):
        budget = throttle.Budget(throttle._items("API_TOKEN_LIMIT"),
                                 ("api-token", request.remote_addr or "-"))
        if not budget.take():
            refused = _oauth_error(429, "too_many_requests", "too many token requests")
            refused.headers["Retry-After"] = str(budget.wait_seconds())
            return refused
    if not _readable_basic(request.headers.get("Authorization", "")):
        return _oauth_error(401, "invalid_client", "the Basic credentials are not base64 of "
                            "UTF-8 client_id:client_secret")
    response: Response = oauth.server.create_token_response()
    return response


def _readable_basic(header: str) -> bool:
    """Whether Basic credentials decode as authlib expects (base64 of UTF-8): authlib raises
    on anything else, which would be a 500."""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "basic":
        return True  # no Basic credentials: authlib answers invalid_client itself
    try:
        base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return False
    return True


_OAUTH_ERROR = {"type": "object", "required": ["error"],
                "properties": {"error": {"type": "string"},
                               "error_description": {"type": "string"},
                               "error_uri": {"type": "string"}}}

document_path("/oauth/token", {"post": {
    "operationId": "oauth_token",
    "summary": "OAuth 2.0 token endpoint (client credentials, RFC 6749 §4.4).",
    "description": "Authenticate with HTTP Basic (client_id, client_secret). The answer is a "
                   "bearer token for at most an hour, with the scopes asked for (space "
                   "separated) or, without `scope`, all the client holds. Errors are RFC "
                   "6749 §5.2's: invalid_client (401), invalid_scope, unsupported_grant_type, "
                   "invalid_request (400).",
    "tags": ["oauth"],
    "security": [{"clientBasic": []}],
    "requestBody": {"required": True, "content": {"application/x-www-form-urlencoded": {
        "schema": {"type": "object", "required": ["grant_type"], "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials"]},
            "scope": {"type": "string", "maxLength": 200,
                      "pattern": "^[a-z:]+( [a-z:]+)*$"}}}}}},
    "responses": {
        "200": {"description": "A bearer token", "content": {"application/json": {"schema": {
            "type": "object", "required": ["access_token", "token_type", "expires_in"],
            "properties": {"access_token": {"type": "string"},
                           "token_type": {"type": "string", "enum": ["Bearer"]},
                           "expires_in": {"type": "integer", "minimum": 1,
                                          "maximum": oauth.MAX_TOKEN_SECONDS},
                           "scope": {"type": "string"}}}}}},
        **{str(status): {"description": text, "content": {"application/json": {
            "schema": _OAUTH_ERROR}}} for status, text in (
            (400, "invalid_request, invalid_scope or unsupported_grant_type"),
            (401, "invalid_client"), (413, "request too large"),
            (429, "too many token requests"))},
    },
}})


# --- case events (§3) and the pull (§4), on this blueprint -------------------------------------

