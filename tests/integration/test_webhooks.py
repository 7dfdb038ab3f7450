"""Webhooks (shared/spec/integration.md §5): registration, the outbox written in the change's
transaction, who hears what, signed deliveries in order per project, retries for at least a
day, the delivery log and replays."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from standardwebhooks.webhooks import Webhook

from market import events, timeutil
from market.db import db
from market.domain import webhooks as rules
from market.integration import delivery
from market.integration.models import (
    DeliveryAttempt,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from tests.conftest import create_person, csrf_token, login, make_app
from tests.integration.helpers import (
    bearer,
    counts,
    department,
    make_client,
    matter,
    open_case,
    owner_org,
    project,
    send,
    started,
    token,
)
from tests.support.receiver import receiver

# The moment the tests queue their deliveries and deliver them: fixed, never the real clock
# (a delivery queued by the real clock after T0 would not be due at T0).
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
ALL = ["engagement.started", "engagement.paused", "deliverable.accepted", "case.clock.overdue"]
P1, P2 = "2026-539901-47-01-000001", "2026-539901-47-01-000002"


def register(http: FlaskClient, access: str, url: str, events_: list[str] | None = None) -> Any:
    return http.post("/api/v1/webhooks", json={"url": url, "events": events_ or ALL},
                     headers=bearer(access))


def _platform(app: Flask, url: str, scopes: str = "webhooks:manage projects:read "
              "deliverables:read") -> tuple[str, str]:
    """A platform client with an endpoint at ``url``: (endpoint id, secret)."""
    http = app.test_client()
    r = register(http, token(http, make_client(app, scopes)), url)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["id"], r.get_json()["secret"]


def run(app: Flask, at: datetime | None = None) -> delivery.Stats:
    with app.app_context(), timeutil.frozen(at or T0):
        return delivery.run(max_seconds=30)


def test_a_client_registers_lists_and_removes_its_own_endpoints(app: Flask) -> None:
    a, b = make_client(app, "webhooks:manage projects:read"), make_client(app, "webhooks:manage")
    http = app.test_client()
    ta, tb = token(http, a), token(http, b)
    r = register(http, ta, "https://approvals.example.cn/hooks?x=1", ["engagement.started"])
    assert r.status_code == 201
    created = r.get_json()
    assert set(created) == {"id", "url", "events", "created_at", "secret"}
    raw = rules.decode_secret(created["secret"])
    assert created["secret"].startswith("whsec_") and len(raw) == 32
    assert base64.b64encode(raw).decode() == created["secret"][6:]
    listed = http.get("/api/v1/webhooks", headers=bearer(ta)).get_json()
    assert listed["total"] == 1 and "secret" not in listed["items"][0]
    assert listed["items"][0]["id"] == created["id"]
    # Another client neither sees nor removes it.
    assert http.get("/api/v1/webhooks", headers=bearer(tb)).get_json()["items"] == []
    before = counts(app)
    r = http.delete(f"/api/v1/webhooks/{created['id']}", headers=bearer(tb))
    assert r.status_code == 404 and counts(app) == before
    assert http.delete(f"/api/v1/webhooks/{created['id']}", headers=bearer(ta)).status_code == 204
    assert http.get("/api/v1/webhooks", headers=bearer(ta)).get_json()["total"] == 0
    assert http.delete(f"/api/v1/webhooks/{created['id']}", headers=bearer(ta)).status_code == 404
    with app.app_context():  # kept for its delivery log
        assert db.session.scalar(sa.select(WebhookEndpoint.removed_at)) is not None


@pytest.mark.parametrize(("body", "kwargs", "status", "code"), [
    (None, {"data": "url=x", "content_type": "application/x-www-form-urlencoded"}, 415,
     "unsupported_media_type"),
    (None, {"data": "{not json", "content_type": "application/json"}, 400, "invalid_body"),
    ([1, 2], {}, 400, "invalid_body"),
    ({"events": ["engagement.started"]}, {}, 400, "missing_field"),
    ({"url": "https://a.example/", "events": ["engagement.started"], "x": 1}, {}, 400,
     "unknown_field"),
    ({"url": "https://a.example/", "events": []}, {}, 400, "invalid_field"),
    ({"url": "https://a.example/", "events": ["engagement.started"] * 2}, {}, 400,
     "invalid_field"),
    ({"url": "https://a.example/", "events": ["engagement.exploded"]}, {}, 400, "invalid_field"),
    ({"url": "https://a.example/", "events": "engagement.started"}, {}, 400, "invalid_field"),
    ({"url": 7, "events": ["engagement.started"]}, {}, 400, "invalid_field"),
    ({"url": "https://a.example/\u202e", "events": ["engagement.started"]}, {}, 400,
     "invalid_field"),
    ({"url": "ftp://a.example/", "events": ["engagement.started"]}, {}, 400, "invalid_field"),
    ({"url": "https://user:pw@a.example/", "events": ["engagement.started"]}, {}, 422,
     "invalid_url"),
    ({"url": "https:///nohost", "events": ["engagement.started"]}, {}, 422, "invalid_url"),
    ({"url": "https://a.example/" + "x" * 2000, "events": ["engagement.started"]}, {}, 400,
     "invalid_field"),
    ({"url": "https://a.example/", "events": ["deliverable.accepted"]}, {}, 403,
     "insufficient_scope"),
    (None, {"data": json.dumps({"url": "https://a.example/", "events": ["engagement.started"],
                                "pad": "x" * 70_000}), "content_type": "application/json"}, 413,
     "too_large"),
])
def test_bad_registrations_are_a_clear_4xx_and_change_nothing(
        app: Flask, body: Any, kwargs: dict[str, Any], status: int, code: str) -> None:
    client = make_client(app, "webhooks:manage projects:read")
    http = app.test_client()
    access = token(http, client)
    before = counts(app)
    if body is not None:
        kwargs = {"json": body}
    r = http.post("/api/v1/webhooks", headers=bearer(access), **kwargs)
    assert (r.status_code, r.get_json()["error"]["code"]) == (status, code), r.get_json()
    assert counts(app) == before


@pytest.fixture
def production_rules(tmp_path: Path) -> Flask:
    """An app with production's rule for webhook addresses (no loopback, no private)."""
    return make_app(tmp_path, WEBHOOK_ALLOW_PRIVATE=False)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1:8080/hooks", "http://localhost/hooks", "http://10.1.2.3/",
    "http://192.168.0.10/", "http://172.16.5.5/", "http://169.254.169.254/latest/meta-data/",
    "http://100.64.0.1/", "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://[fd00::1]/",
    "http://0.0.0.0/", "http://224.0.0.1/", "http://no-such-host.invalid/",
])
def test_production_refuses_loopback_and_private_addresses(production_rules: Flask,
                                                           url: str) -> None:
    app = production_rules
    http = app.test_client()
    access = token(http, make_client(app, "webhooks:manage projects:read"))
    before = counts(app)
    r = register(http, access, url, ["engagement.started"])
    assert (r.status_code, r.get_json()["error"]["code"]) == (422, "url_not_public"), url
    assert counts(app) == before


def test_production_checks_the_address_again_before_each_attempt(tmp_path: Path) -> None:
    """Registered while allowed (a test setting), then the rule applies: the attempt is
    logged as refused and nothing is sent to the private address."""
    with receiver() as hooks:
        app = make_app(tmp_path, WEBHOOK_ALLOW_PRIVATE=True)
        _platform(app, hooks.url)
        send(app, started(P1, 1), at=T0)
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        stats = run(app)
        assert (stats.attempts, stats.delivered) == (1, 0) and hooks.requests == []
        with app.app_context():
            attempt = db.session.scalar(sa.select(DeliveryAttempt))
            assert attempt.status_code is None and "non-public" in attempt.error


def test_a_public_address_is_accepted_in_production(production_rules: Flask) -> None:
    app = production_rules
    http = app.test_client()
    access = token(http, make_client(app, "webhooks:manage projects:read"))
    assert register(http, access, "https://93.184.215.14/hooks",
                    ["engagement.started"]).status_code == 201


def test_the_outbox_is_written_in_the_changes_transaction(app: Flask) -> None:
    _platform(app, "https://approvals.example.cn/hooks")
    send(app, started(P1, 1), commit=False, at=T0)  # the change rolled back: no delivery either
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count(WebhookDelivery.id))) == 0
    send(app, started(P1, 2), at=T0)
    with app.app_context():
        d = db.session.scalar(sa.select(WebhookDelivery))
        body = json.loads(d.message.body)
        assert body == {"id": d.message.public_id, "type": "engagement.started",
                        "occurred_at": "2026-12-01T02:00:00Z", "project_code": P1,
                        "data": {"engagement_id": "EG-010002"}}
        assert d.state == DeliveryState.PENDING


def test_who_hears_what(app: Flask) -> None:
    """The platform hears every project; a department's client the projects with a case of its
    matters; each only the event types it subscribed to and holds the scope of."""
    eeb = department(app)
    water = department(app, "云川市水务局", "YC-SWJ")
    owner = owner_org(app)
    p1, _p2 = project(app, owner, P1), project(app, owner, P2)
    open_case(app, p1, matter(app, eeb, "PA-EIA"))
    http = app.test_client()
    ids = {}
    for name, dept, scopes, evts in (
            ("platform", None, "webhooks:manage projects:read deliverables:read", ALL),
            ("eeb", "YC-STHJJ", "webhooks:manage projects:read deliverables:read", ALL),
            ("water", "YC-SWJ", "webhooks:manage projects:read deliverables:read", ALL),
            ("eeb-started-only", "YC-STHJJ", "webhooks:manage projects:read",
             ["engagement.started"])):
        c = make_client(app, scopes, department_code=dept, name=name)
        r = register(http, token(http, c), f"https://{name}.example.cn/hooks", evts)
        ids[r.get_json()["id"]] = name
    assert water  # a department without a case of P1
    send(app, started(P1, 1), started(P2, 2),
         events.DeliverableAccepted(at=T0, engagement_id=1, engagement_public_id="EG-000001",
                                    project_code=P1, deliverable_id=1),
         events.SanctionIssued(at=T0, sanction_id=1, agency_org_id=1, kind="warning"), at=T0)
    with app.app_context():
        heard = sorted((ids[e.public_id], m.type, m.project_code) for e, m in db.session.execute(
            sa.select(WebhookEndpoint, WebhookMessage)
            .join(WebhookDelivery, WebhookDelivery.endpoint_id == WebhookEndpoint.id)
            .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)))
    assert heard == sorted([
        ("platform", "engagement.started", P1), ("platform", "engagement.started", P2),
        ("platform", "deliverable.accepted", P1),
        ("eeb", "engagement.started", P1), ("eeb", "deliverable.accepted", P1),
        ("eeb-started-only", "engagement.started", P1)])


def test_deliveries_are_signed_the_standard_webhooks_way(app: Flask) -> None:
    with receiver() as hooks:
        _endpoint, secret = _platform(app, hooks.url)
        send(app, started(P1, 1), at=T0)
        with timeutil.frozen(T0):
            stats = run(app)
        assert (stats.attempts, stats.delivered) == (1, 1)
        (req,) = hooks.requests
    body = json.loads(req.body)
    assert req.headers["webhook-id"] == body["id"] and body["id"].startswith("msg_")
    assert req.headers["webhook-timestamp"] == str(int(T0.timestamp()))
    assert req.headers["content-type"] == "application/json"
    # our own arithmetic, and the Standard Webhooks reference library (with its clock at T0)
    expected = rules.signature(rules.decode_secret(secret), body["id"], int(T0.timestamp()),
                               req.body)
    assert req.headers["webhook-signature"] == expected
    hook = Webhook(secret)
    content = f"{body['id']}.{int(T0.timestamp())}.".encode() + req.body
    assert hook.sign(body["id"], T0, req.body) == expected
    import hashlib
    import hmac
    assert expected == "v1," + base64.b64encode(hmac.new(
        base64.b64decode(secret[6:]), content, hashlib.sha256).digest()).decode()
    with app.app_context():
        d = db.session.scalar(sa.select(WebhookDelivery))
        assert (d.state, d.attempts, d.delivered_at) == ("delivered", 1, T0)


def test_a_failing_receiver_is_retried_with_backoff_for_a_day_then_given_up(app: Flask) -> None:
    with receiver() as hooks:
        hooks.script = [500] * 100
        _platform(app, hooks.url)
        send(app, started(P1, 1), at=T0)
        at, times = T0, []
        for _ in range(40):
            stats = run(app, at)
            if stats.attempts:
                times.append(at)
            with app.app_context():
                d = db.session.scalar(sa.select(WebhookDelivery))
                if d.state != DeliveryState.PENDING:
                    break
                at = d.next_attempt_at
        waits = [b - a for a, b in zip(times, times[1:], strict=False)]
        assert waits[:4] == [timedelta(seconds=30), timedelta(minutes=1),
                             timedelta(minutes=2), timedelta(minutes=4)]
        assert max(waits) == timedelta(hours=4)
        assert times[-1] - times[0] >= timedelta(hours=24) > times[-2] - times[0]
        with app.app_context():
            d = db.session.scalar(sa.select(WebhookDelivery))
            assert d.state == DeliveryState.FAILED and d.attempts == len(times) == len(
                hooks.requests)
            assert len({r.headers["webhook-id"] for r in hooks.requests}) == 1


def test_one_projects_deliveries_keep_their_order_behind_a_failing_one(app: Flask) -> None:
    with receiver() as hooks:
        _platform(app, hooks.url)
        hooks.fail_project = {P1: 1}  # P1's first attempt fails
        send(app, started(P1, 1), started(P1, 2), started(P2, 3), started(P1, 4), at=T0)
        stats = run(app)
        # P1's first failed and holds P1 back; P2 went through (the two streams in parallel)
        assert (stats.attempts, stats.delivered) == (2, 1)
        assert sorted(json.loads(r.body)["project_code"] for r in hooks.requests) == \
            sorted([P1, P2])
        stats = run(app, T0 + timedelta(seconds=29))
        assert stats.attempts == 0  # not due yet, and the others wait behind it
        stats = run(app, T0 + timedelta(seconds=30))
        assert (stats.attempts, stats.delivered) == (3, 3)
    p1 = [json.loads(r.body)["data"]["engagement_id"] for r in hooks.requests
          if json.loads(r.body)["project_code"] == P1]
    assert p1 == ["EG-010001", "EG-010001", "EG-010002", "EG-010004"]


def test_revoking_or_removing_cancels_pending_deliveries(app: Flask) -> None:
    endpoint, _secret = _platform(app, "https://a.example.cn/hooks")
    send(app, started(P1, 1), at=T0)
    with app.app_context():
        client_id = db.session.scalar(sa.select(WebhookEndpoint)).client.client_id
    assert app.test_cli_runner().invoke(args=["clients", "revoke", client_id]).exit_code == 0
    send(app, started(P1, 2), at=T0)
    with app.app_context():
        assert list(db.session.scalars(sa.select(WebhookDelivery.state))) == ["cancelled"]
    assert endpoint


def test_the_operator_reads_the_log_and_replays_with_the_same_webhook_id(app: Flask) -> None:
    with receiver() as hooks:
        _platform(app, hooks.url)
        send(app, started(P1, 1), at=T0)
        run(app)
        op = app.test_client()
        assert login(op, create_person(app, "operator").email).status_code == 302
        with app.app_context():
            d_id = db.session.scalar(sa.select(WebhookDelivery.id))
        page = op.get(f"/operator/webhooks/deliveries/{d_id}").get_data(as_text=True)
        assert "已送达" in page and hooks.requests[0].headers["webhook-id"] in page
        listing = op.get("/operator/webhooks?state=delivered").get_data(as_text=True)
        assert f'data-test="delivery-{d_id}"' in listing
        assert op.get("/operator/webhooks?state=nope").status_code == 400
        url = f"/operator/webhooks/deliveries/{d_id}/replay"
        r = op.post(url, data={"csrf_token": csrf_token(op, f"/operator/webhooks/deliveries/{d_id}")})
        assert r.status_code == 302
        stats = run(app, T0 + timedelta(minutes=5))
        assert (stats.replays, stats.delivered) == (1, 1)
        assert [r.headers["webhook-id"] for r in hooks.requests] == [
            hooks.requests[0].headers["webhook-id"]] * 2
        assert hooks.requests[1].headers["webhook-timestamp"] != hooks.requests[0].headers[
            "webhook-timestamp"]
        with app.app_context():
            attempts = list(db.session.scalars(sa.select(DeliveryAttempt).order_by(
                DeliveryAttempt.id)))
            assert [(a.number, a.replay, a.status_code) for a in attempts] == [
                (1, False, 200), (2, True, 200)]
        assert run(app, T0 + timedelta(minutes=6)).attempts == 0  # once, not again


def test_two_senders_claim_disjoint_streams(any_app: Flask) -> None:
    """Claims taken at once (threads, real PostgreSQL row locks or SQLite's writer lock) never
    share a delivery, and never take two deliveries of one stream apart."""
    app = any_app
    _platform(app, "https://a.example.cn/hooks")
    send(app, *[started(f"2026-539901-47-01-{n % 7:06d}", n) for n in range(60)], at=T0)
    claimed: list[list[int]] = []
    barrier = threading.Barrier(4)

    def take() -> None:
        with app.app_context():
            barrier.wait()
            _token, ids = delivery.claim(limit=3)
            claimed.append(ids)
            db.session.remove()

    # The clock is frozen once, around the threads: frozen() sets one process-wide value, and
    # four threads entering and leaving it in any order could leave it set behind them.
    threads = [threading.Thread(target=take) for _ in range(4)]
    with timeutil.frozen(T0):
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    flat = [i for ids in claimed for i in ids]
    assert len(flat) == len(set(flat)) and flat
    with app.app_context():
        streams = {i: p for i, p in db.session.execute(sa.select(
            WebhookDelivery.id, WebhookDelivery.project_code))}
    owners: dict[str, int] = {}
    for n, ids in enumerate(claimed):
        for i in ids:
            assert owners.setdefault(streams[i], n) == n  # a stream belongs to one claim


def _deliver(instance: Flask, barrier: threading.Barrier, results: list[delivery.Stats]) -> None:
    with instance.app_context():
        barrier.wait()
        results.append(delivery.run(max_seconds=30))
        db.session.remove()


def test_two_instances_delivering_at_once_attempt_each_delivery_once_per_retry_step(
        any_app: Flask, tmp_path: Path) -> None:
    """Two app instances on one database (each its own engine and connections, as two
    machines' cron lines) run ``delivery.run`` at the same moment at every retry step: each
    due delivery is attempted exactly once per step, the failing ones again at their next
    step, every one delivered in the end with attempts numbered 1, 2, … without repeats."""
    app = any_app
    with app.app_context():
        url = db.engine.url.render_as_string(hide_password=False)
    second = make_app(tmp_path, url)  # the same instance folder: the same data key
    projects = [f"2026-539901-47-02-{n:06d}" for n in range(6)]
    with receiver() as hooks:
        _platform(app, hooks.url)
        # Two projects fail twice, two once, two never: three retry steps in all.
        hooks.fail_project = {projects[0]: 2, projects[1]: 2, projects[2]: 1, projects[3]: 1}
        send(app, *[started(projects[n % 6], n) for n in range(24)], at=T0)
        at, steps = T0, []
        for _ in range(5):
            before = len(hooks.requests)
            barrier = threading.Barrier(2)
            results: list[delivery.Stats] = []

            threads = [threading.Thread(target=_deliver, args=(a, barrier, results))
                       for a in (app, second)]
            with timeutil.frozen(at):
                for t in threads:
                    t.start()
                for t in threads:
                    t.join(timeout=60)
            ids = [r.headers["webhook-id"] for r in hooks.requests[before:]]
            assert len(ids) == len(set(ids)), (at, ids)  # once per step
            assert sum(r.attempts for r in results) == len(ids)
            steps.append(len(ids))
            with app.app_context():
                pending = db.session.scalars(sa.select(WebhookDelivery.next_attempt_at).where(
                    WebhookDelivery.state == DeliveryState.PENDING)).all()
            if not pending:
                break
            # The next retry step: the earliest head due later (the deliveries behind a head
            # were due from the start and wait for it).
            at = min(t for t in pending if t > at)
    with app.app_context():
        rows = db.session.scalars(sa.select(WebhookDelivery)).all()
        assert {d.state for d in rows} == {"delivered"} and len(rows) == 24
        numbers: dict[int, list[int]] = {}
        for a in db.session.scalars(sa.select(DeliveryAttempt).order_by(DeliveryAttempt.id)):
            numbers.setdefault(a.delivery_id, []).append(a.number)
        assert all(n == list(range(1, len(n) + 1)) for n in numbers.values()), numbers
        # The heads of the failing streams: 3 attempts, 3, 2, 2; everyone else once.
        assert sorted(len(n) for n in numbers.values()) == [1] * 20 + [2, 2, 3, 3]
        assert sum(len(n) for n in numbers.values()) == len(hooks.requests) == sum(steps)
    with second.app_context():
        db.engine.dispose()
