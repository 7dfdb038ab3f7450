"""OAuth 2.0 for machine clients: the token endpoint (client credentials, RFC 6749 §4.4) and
bearer tokens (RFC 6750) on the JSON views, with authlib doing the protocol.

The token endpoint is authlib's authorization server with its client-credentials grant,
limited to HTTP Basic client authentication (``client_secret_basic``) and to the scopes the
client holds: a request for more is ``invalid_scope``, none asks for all of them.  Tokens live
at most an hour (``API_TOKEN_SECONDS``); only their SHA-256 is stored, like the secrets.

:func:`client_access` guards a view with a token and a scope, in the API's error shape, with
the challenge of RFC 6750 §3: no credentials → 401 ``WWW-Authenticate: Bearer realm=…``;
an unknown, expired or revoked token (or a revoked client) → 401 ``error="invalid_token"``;
too little scope → 403 ``error="insufficient_scope"`` with the ``scope`` needed.  Each client
has its own rate limit (``API_CLIENT_LIMIT``, 429 with ``Retry-After``); each call that
answers below 400 is audited with the client and marks its last use.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

import sqlalchemy as sa
from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskJsonRequest
from authlib.oauth2 import ResourceProtector
from authlib.oauth2.rfc6749 import ClientMixin, MissingAuthorizationError, scope_to_list
from authlib.oauth2.rfc6749.errors import InvalidScopeError, UnsupportedTokenTypeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6750 import BearerTokenValidator, InsufficientScopeError, InvalidTokenError
from flask import Flask, current_app, g, jsonify, request
from flask.wrappers import Response
from flask_babel import gettext as _
from limits import parse_many

from market import timeutil
from market.accounts import audit
from market.db import db
from market.extensions import limiter
from market.integration.models import SCOPES, AccessToken, ApiClient
from market.web import openapi as spec

F = TypeVar("F", bound=Callable[..., Any])

REALM = "market"
MAX_TOKEN_SECONDS = 3600


def digest(secret: str) -> str:
    """SHA-256 (hex) of a client secret or an access token: both are long random strings, so
    a fast hash is enough and keeps every request cheap."""
    return hashlib.sha256(secret.encode()).hexdigest()


class _Client(ClientMixin):  # type: ignore[misc]  # authlib ships no types
    """authlib's view of an :class:`ApiClient`: confidential, client credentials only."""

    def __init__(self, row: ApiClient) -> None:
        self.row = row

    def get_client_id(self) -> str:
        return self.row.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        held = self.row.scope_list()
        if not scope:
            return " ".join(held)
        return " ".join(s for s in scope_to_list(scope) if s in held)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return hmac.compare_digest(digest(client_secret), self.row.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method == "client_secret_basic" and endpoint == "token"

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _Grant(ClientCredentialsGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic"]

    def validate_token_request(self) -> None:
        super().validate_token_request()
        wanted = set(scope_to_list(self.request.payload.scope) or [])
        held = set(self.request.client.row.scope_list())
        if not wanted <= held:
            raise InvalidScopeError(description="the client does not hold the scope "
                                                + " ".join(sorted(wanted - held)))


def _query_client(client_id: str) -> _Client | None:
    if not client_id or len(client_id) > 48:
        return None
    row = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id,
                                                      ApiClient.revoked_at.is_(None)))
    return _Client(row) if row is not None else None


def _save_token(token: dict[str, Any], oauth_request: Any) -> None:
    client: ApiClient = oauth_request.client.row
    now = timeutil.now()
    db.session.add(AccessToken(
        client_id=client.id, token_hash=digest(token["access_token"]),
        scope=token.get("scope") or "", issued_at=now,
        expires_at=now + timedelta(seconds=int(token["expires_in"]))))
    client.last_used_at = now
    audit.record("client:token:issue", client.client_id,
                 {"scope": token.get("scope") or "", "expires_in": token["expires_in"]})


server = AuthorizationServer()

SCOPE_DESCRIPTIONS = {
    "cases:write": "send case events (办件事件) of the client's department's matters",
    "projects:read": "read the projects the client may see, their cases and engagements",
    "deliverables:read": "read and download the accepted deliverables of those projects",
    "webhooks:manage": "register, list and remove the client's webhook endpoints",
}
spec.SCOPE_DESCRIPTIONS.update(SCOPE_DESCRIPTIONS)


def init_app(app: Flask) -> None:
    seconds = int(app.config["API_TOKEN_SECONDS"])
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"client_credentials": seconds}
    app.config["OAUTH2_SCOPES_SUPPORTED"] = list(SCOPES)
    server.init_app(app, query_client=_query_client, save_token=_save_token)
    if not server._token_grants:  # the module-level server is shared by every app (tests)
        server.register_grant(_Grant)


# --- protecting the JSON views ----------------------------------------------------------------


@dataclass
class _Token:
    """authlib's view of a stored token."""

    row: AccessToken
    client: ApiClient

    def is_expired(self) -> bool:
        return self.row.expires_at <= timeutil.now()

    def is_revoked(self) -> bool:
        return self.row.revoked_at is not None or self.client.revoked_at is not None

    def get_scope(self) -> str:
        return self.row.scope


@functools.cache
def _token_query() -> sa.Executable:
    # built once: every bearer-token request asks it
    return (sa.select(AccessToken, ApiClient)
            .join(ApiClient, ApiClient.id == AccessToken.client_id)
            .where(AccessToken.token_hash == sa.bindparam("token_hash")))


class _Validator(BearerTokenValidator):  # type: ignore[misc]
    def authenticate_token(self, token_string: str) -> _Token | None:
        if not token_string or len(token_string) > 200:
            return None
        found = db.session.execute(
            _token_query(), {"token_hash": digest(token_string.strip())}).one_or_none()
        return _Token(found[0], found[1]) if found is not None else None


_protector = ResourceProtector()
_protector.register_token_validator(_Validator(realm=REALM))


def _challenge(status: int, code: str, message: str, **attributes: str) -> Response:
    """An RFC 6750 §3 answer: the API's error body, the ``WWW-Authenticate`` challenge."""
    response = jsonify({"error": {"code": code, "message": message}})
    response.status_code = status
    parts = [f'realm="{REALM}"'] + [f'{k}="{v}"' for k, v in attributes.items()]
    response.headers["WWW-Authenticate"] = "Bearer " + ", ".join(parts)
    return response


def current_client() -> ApiClient:
    """The client whose token authorised this request (inside :func:`client_access`)."""
    client: ApiClient = g.api_client
    return client


def _rate_limited(client: ApiClient) -> int | None:
    """Spend one call of the client's budget: None to go ahead, else seconds to wait."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    waits = []
    for item in parse_many(str(current_app.config["API_CLIENT_LIMIT"])):
        if not limiter.limiter.hit(item, "api-client", client.client_id):
            stats = limiter.limiter.get_window_stats(item, "api-client", client.client_id)
            waits.append(stats.reset_time - time.time())
    return max(1, math.ceil(max(waits))) if waits else None


def client_access(scope: str) -> Callable[[F], F]:
    """Guard a JSON view with a bearer token holding ``scope`` (put it under
    ``@access(ANYONE)``, which holds the transaction, and over ``@endpoint``)."""

    def decorate(view: F) -> F:
        @functools.wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                token: _Token = _protector.validate_request(
                    scopes=[scope], request=FlaskJsonRequest(request))
            except (MissingAuthorizationError, UnsupportedTokenTypeError):
                return _challenge(401, "unauthorized", _(
                    "需要持有访问令牌（OAuth 2.0 客户端凭据，在 /oauth/token 获取）。"))
            except InvalidTokenError:
                return _challenge(401, "invalid_token", _("访问令牌无效、已过期或已撤销。"),
                                  error="invalid_token",
                                  error_description="The access token is unknown, expired or "
                                                    "revoked")
            except InsufficientScopeError:
                return _challenge(403, "insufficient_scope",
                                  _("此调用需要权限范围 %(scope)s。", scope=scope),
                                  error="insufficient_scope", scope=scope)
            client = token.client
            wait = _rate_limited(client)
            if wait is not None:
                response = jsonify({"error": {"code": "too_many_requests",
                                              "message": _("请求过于频繁，请 %(n)s 秒后重试。",
                                                           n=wait)}})
                response.status_code = 429
                response.headers["Retry-After"] = str(wait)
                return response
            g.api_client = client
            response = current_app.make_response(view(*args, **kwargs))
            if response.status_code < 400:
                client.last_used_at = timeutil.now()
                audit.record("client:api:call", client.client_id, {
                    "endpoint": request.endpoint, "method": request.method,
                    "path": request.path[:200], "status": response.status_code})
            return response

        wrapper._api_security = scope  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate
