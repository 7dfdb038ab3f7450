"""Machine clients (shared/spec/integration.md §2): OAuth 2.0 client credentials at
/oauth/token, bearer tokens at most an hour, scopes, revocation at once, every call audited
with its client, a per-client rate limit, and every refusal a clear 4xx that changes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from flask import Flask

from market import timeutil
from market.accounts.audit import AuditEvent
from market.db import db
from market.integration.models import AccessToken, ApiClient
from market.integration.oauth import digest
from tests.conftest import make_app
from tests.integration.helpers import bearer, counts, department, make_client, token

NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def test_flask_clients_create_prints_one_json_object_and_keeps_only_a_hash(app: Flask) -> None:
    department(app)
    runner = app.test_cli_runner()
    out = runner.invoke(args=["clients", "create", "--name", "云川市工程建设项目审批管理系统",
                              "--department", "yc-sthjj", "--scopes", "cases:write projects:read"])
    assert out.exit_code == 0, out.output
    created = json.loads(out.output)
    assert set(created) == {"client_id", "client_secret"} and out.output.count("\n") == 1
    with app.app_context():
        row = db.session.scalar(sa.select(ApiClient))
        assert (row.client_id, row.scopes, row.department.code) == (
            created["client_id"], "cases:write projects:read", "YC-STHJJ")
        assert row.secret_hash == digest(created["client_secret"])
        assert created["client_secret"] not in json.dumps(
            [e.details for e in db.session.scalars(sa.select(AuditEvent))], ensure_ascii=False)
    for args, message in ((["--department", "NOPE"], "NOPE"), (["--platform", "--department",
                          "YC-STHJJ"], "exactly one"), ([], "exactly one")):
        bad = runner.invoke(args=["clients", "create", "--name", "x", "--scopes",
                                  "projects:read", *args])
        assert bad.exit_code != 0 and message in bad.output
    bad = runner.invoke(args=["clients", "create", "--name", "x", "--platform", "--scopes",
                              "everything"])
    assert bad.exit_code != 0 and "everything" in bad.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(ApiClient.id))) == 1


def test_a_token_for_the_client_credentials(app: Flask) -> None:
    client = make_client(app, "webhooks:manage projects:read")
    http = app.test_client()
    with timeutil.frozen(NOW):
        r = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                      headers=client.basic())
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["scope"] == "projects:read webhooks:manage"  # in the order of the spec's list
    with app.app_context():
        stored = db.session.scalar(sa.select(AccessToken))
        assert stored.token_hash == digest(body["access_token"])
        assert stored.expires_at == NOW + timedelta(hours=1)
        assert list(db.session.scalars(sa.select(AuditEvent.tag).where(
            AuditEvent.target == client.client_id).order_by(AuditEvent.id))) == [
            "operator:api-client:create", "client:token:issue"]
    narrow = http.post("/oauth/token", data={"grant_type": "client_credentials",
                                             "scope": "projects:read"}, headers=client.basic())
    assert narrow.get_json()["scope"] == "projects:read"


def test_bad_token_requests_are_rfc_6749_errors_and_change_nothing(app: Flask) -> None:
    client = make_client(app, "projects:read")
    http = app.test_client()
    before = counts(app)
    wrong = type(client)(client.client_id, client.secret + "x")
    unknown = type(client)("mc_unknown", client.secret)
    for data, headers, status, error in (
            ({"grant_type": "client_credentials"}, wrong.basic(), 401, "invalid_client"),
            ({"grant_type": "client_credentials"}, unknown.basic(), 401, "invalid_client"),
            ({"grant_type": "client_credentials"}, {}, 401, "invalid_client"),
            # the secret in the form (client_secret_post) is not accepted: HTTP Basic only
            ({"grant_type": "client_credentials", "client_id": client.client_id,
              "client_secret": client.secret}, {}, 401, "invalid_client"),
            ({"grant_type": "client_credentials", "scope": "cases:write"}, client.basic(), 400,
             "invalid_scope"),
            ({"grant_type": "client_credentials", "scope": "admin"}, client.basic(), 400,
             "invalid_scope"),
            ({"grant_type": "password"}, client.basic(), 400, "unsupported_grant_type"),
            ({}, client.basic(), 400, "unsupported_grant_type")):
        r = http.post("/oauth/token", data=data, headers=headers)
        assert (r.status_code, r.get_json()["error"]) == (status, error), (data, r.get_json())
        if status == 401 and headers:
            assert r.headers["WWW-Authenticate"].startswith("Basic ")
    huge = http.post("/oauth/token", data={"grant_type": "client_credentials",
                                           "scope": "x" * 20_000}, headers=client.basic())
    assert huge.status_code == 413
    assert counts(app) == before


def test_the_bearer_challenge_of_rfc_6750(app: Flask) -> None:
    reader = make_client(app, "projects:read")
    manager = make_client(app, "webhooks:manage")
    http = app.test_client()
    with timeutil.frozen(NOW):
        read_token, manage_token = token(http, reader), token(http, manager)
    before = counts(app)
    with timeutil.frozen(NOW + timedelta(minutes=5)):
        r = http.get("/api/v1/webhooks")
        assert r.status_code == 401 and r.headers["WWW-Authenticate"] == 'Bearer realm="market"'
        assert r.get_json()["error"]["code"] == "unauthorized"
        for header in ({"Authorization": "Basic Zm9vOmJhcg=="},
                       {"Authorization": "Bearer"}):
            r = http.get("/api/v1/webhooks", headers=header)
            assert r.status_code == 401 and "error=" not in r.headers["WWW-Authenticate"]
        for value in ("nope", "x" * 500, read_token + "x"):
            r = http.get("/api/v1/webhooks", headers=bearer(value))
            assert r.status_code == 401
            assert 'error="invalid_token"' in r.headers["WWW-Authenticate"]
        r = http.get("/api/v1/webhooks", headers=bearer(read_token))
        assert r.status_code == 403 and r.get_json()["error"]["code"] == "insufficient_scope"
        assert r.headers["WWW-Authenticate"] == (
            'Bearer realm="market", error="insufficient_scope", scope="webhooks:manage"')
    assert counts(app) == before
    # An hour after issue the token is dead.
    with timeutil.frozen(NOW + timedelta(hours=1)):
        r = http.get("/api/v1/webhooks", headers=bearer(manage_token))
        assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    assert counts(app) == before
    with timeutil.frozen(NOW + timedelta(minutes=59)):
        assert http.get("/api/v1/webhooks", headers=bearer(manage_token)).status_code == 200


def test_revoking_ends_the_client_and_its_tokens_at_once(app: Flask) -> None:
    client = make_client(app, "webhooks:manage")
    http = app.test_client()
    live = token(http, client)
    assert http.get("/api/v1/webhooks", headers=bearer(live)).status_code == 200
    out = app.test_cli_runner().invoke(args=["clients", "revoke", client.client_id])
    assert out.exit_code == 0, out.output
    r = http.get("/api/v1/webhooks", headers=bearer(live))
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["WWW-Authenticate"]
    r = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                  headers=client.basic())
    assert (r.status_code, r.get_json()["error"]) == (401, "invalid_client")
    again = app.test_cli_runner().invoke(args=["clients", "revoke", client.client_id])
    assert again.exit_code != 0
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(AccessToken.id)).where(
            AccessToken.revoked_at.is_(None))) == 0


def test_every_call_is_audited_with_its_client_and_marks_its_last_use(app: Flask) -> None:
    client = make_client(app, "webhooks:manage")
    http = app.test_client()
    with timeutil.frozen(NOW):
        live = token(http, client)
        assert http.get("/api/v1/webhooks", headers=bearer(live)).status_code == 200
    with app.app_context():
        call = db.session.scalar(sa.select(AuditEvent).where(AuditEvent.tag == "client:api:call"))
        assert call.target == client.client_id and call.at == NOW
        assert call.details == {"endpoint": "integration_api.list_webhooks", "method": "GET",
                                "path": "/api/v1/webhooks", "status": 200}
        assert call.user_id is None
        assert db.session.scalar(sa.select(ApiClient.last_used_at)) == NOW


@pytest.fixture
def limited_app(tmp_path: object) -> Flask:
    from pathlib import Path

    return make_app(Path(str(tmp_path)), RATELIMIT_ENABLED=True,
                    API_CLIENT_LIMIT="3 per minute", API_TOKEN_LIMIT="5 per minute")


def test_each_client_has_its_own_rate_limit(limited_app: Flask) -> None:
    app = limited_app
    a, b = make_client(app, "webhooks:manage"), make_client(app, "webhooks:manage")
    http = app.test_client()
    ta, tb = token(http, a), token(http, b)
    assert [http.get("/api/v1/webhooks", headers=bearer(ta)).status_code
            for _ in range(3)] == [200, 200, 200]
    r = http.get("/api/v1/webhooks", headers=bearer(ta))
    assert r.status_code == 429 and int(r.headers["Retry-After"]) >= 1
    assert http.get("/api/v1/webhooks", headers=bearer(tb)).status_code == 200
    statuses = [http.post("/oauth/token", data={"grant_type": "client_credentials"},
                          headers=a.basic()).status_code for _ in range(4)]
    assert statuses[-1] == 429  # five token requests a minute from one address


def test_basic_credentials_that_are_not_utf8_are_invalid_client(app: Flask) -> None:
    """Found by schemathesis: authlib decoded them with an exception (a 500)."""
    import base64

    http = app.test_client()
    before = counts(app)
    for raw in (base64.b64encode(b"\xe5\x00:x").decode(), "***not base64***"):
        r = http.post("/oauth/token", data={"grant_type": "client_credentials"},
                      headers={"Authorization": "Basic " + raw})
        assert r.status_code == 401 and r.get_json()["error"] == "invalid_client", r.data
    assert counts(app) == before
