"""Sending the outbox (``flask webhooks deliver``): at least once, in order per project, signed.

A round claims work, sends it outside any transaction, then records every attempt:

1. **Claim.**  The *head* of a stream (the earliest pending delivery of one project to one
   endpoint) is taken when it is due and not leased, with a row lock — ``FOR UPDATE SKIP
   LOCKED`` on PostgreSQL; on SQLite one conditional ``UPDATE`` under its single writer lock —
   together with up to :data:`CHAIN` deliveries behind it in the same stream.  A lease
   (``claim``, ``claimed_until``) is written and committed before anything is sent.  Another
   sender skips a locked head and cannot take a later delivery of that stream (it is not a
   head), so one project's deliveries are never sent out of order nor twice at once.
2. **Send.**  Each stream's chain goes out in order, one request at a time (streams in
   parallel), each attempt freshly signed with the endpoint's secret; the chain stops at the
   first failure (the rest waits behind it) and before the lease could run out.
3. **Record.**  Each attempt is written to the delivery log, if the lease is still this
   sender's; a 2xx delivers it, anything else (an error, a timeout of
   :data:`~market.domain.webhooks.TIMEOUT_SECONDS`) schedules the next attempt
   (:func:`~market.domain.webhooks.next_attempt`) or gives up after the retry window.

A sender that dies between sending and recording loses its lease when ``claimed_until``
passes; the attempt is then made again (same ``webhook-id``): at least once, never lost.
"""

from __future__ import annotations

import logging
import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa
import urllib3
from flask import current_app

from market import timeutil
from market.db import db
from market.domain import webhooks as rules
from market.integration.addresses import AddressRefused, resolve
from market.integration.models import (
    ApiClient,
    DeliveryAttempt,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookMessage,
)
from market.integration.webhooks import secret_of

log = logging.getLogger("market.webhooks")

CHAIN = 20  # deliveries of one stream sent in a row by one sender
# Long enough for a whole chain of timeouts; a sender starts no attempt it could not finish
# within its lease.
LEASE = timedelta(seconds=CHAIN * (rules.TIMEOUT_SECONDS + 1) + 30)
EXCERPT = 500
USER_AGENT = "market-webhooks/1"
PENDING = DeliveryState.PENDING.value


# --- claiming ---------------------------------------------------------------------------------


def _heads(now: datetime, limit: int) -> sa.Select[Any]:
    d = sa.orm.aliased(WebhookDelivery, name="d")
    e = sa.orm.aliased(WebhookDelivery, name="e")
    earlier = sa.select(e.id).where(e.endpoint_id == d.endpoint_id,
                                    e.project_code == d.project_code,
                                    e.state == PENDING, e.id < d.id)
    return (sa.select(d.id).where(d.state == PENDING, d.next_attempt_at <= now,
                                  sa.or_(d.claimed_until.is_(None), d.claimed_until <= now),
                                  ~sa.exists(earlier))
            .order_by(d.id).limit(limit))


def claim(limit: int = 100) -> tuple[str, list[int]]:
    """Lease up to ``limit`` stream heads and the chains behind them; commit; return the
    claim token and the claimed delivery ids (in id order)."""
    token = secrets.token_hex(16)
    now = timeutil.now()
    until = now + LEASE
    lease = {"claim": token, "claimed_until": until}
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        heads = list(session.scalars(_heads(now, limit).with_for_update(skip_locked=True)))
        if heads:
            session.execute(sa.update(WebhookDelivery).where(
                WebhookDelivery.id.in_(heads)).values(lease))
    else:  # one statement under SQLite's writer lock: read and lease at once
        heads_query = _heads(now, limit).subquery()
        session.execute(sa.update(WebhookDelivery).where(
            WebhookDelivery.id.in_(sa.select(heads_query.c.id))).values(lease))
        heads = list(session.scalars(sa.select(WebhookDelivery.id).where(
            WebhookDelivery.claim == token)))
    if not heads:
        session.commit()
        return token, []
    head = sa.orm.aliased(WebhookDelivery, name="h")
    ranked = (sa.select(WebhookDelivery.id, WebhookDelivery.endpoint_id,
                        WebhookDelivery.project_code, WebhookDelivery.next_attempt_at,
                        sa.func.row_number().over(
                            partition_by=(WebhookDelivery.endpoint_id,
                                          WebhookDelivery.project_code),
                            order_by=WebhookDelivery.id).label("rn"))
              .join(head, sa.and_(head.endpoint_id == WebhookDelivery.endpoint_id,
                                  head.project_code == WebhookDelivery.project_code,
                                  head.id < WebhookDelivery.id))
              .where(head.claim == token, WebhookDelivery.state == PENDING)
              .subquery())
    followers: list[int] = []
    cut: set[tuple[int, str]] = set()  # a stream stops at its first delivery not yet due
    for i, endpoint_id, project, due in session.execute(
            sa.select(ranked.c.id, ranked.c.endpoint_id, ranked.c.project_code,
                      ranked.c.next_attempt_at).where(ranked.c.rn < CHAIN)
            .order_by(ranked.c.endpoint_id, ranked.c.project_code, ranked.c.rn)):
        if (endpoint_id, project) in cut or due > now:
            cut.add((endpoint_id, project))
            continue
        followers.append(i)
    if followers:
        session.execute(sa.update(WebhookDelivery).where(
            WebhookDelivery.id.in_(followers), WebhookDelivery.state == PENDING,
            WebhookDelivery.claim.is_(None) | (WebhookDelivery.claimed_until <= now))
            .values(lease))
    session.commit()
    ids = list(session.scalars(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.claim == token).order_by(WebhookDelivery.id)))
    return token, ids


# --- sending ----------------------------------------------------------------------------------


@dataclass
class Job:
    """One delivery to send, with everything the sending thread needs (no database)."""

    delivery_id: int
    msg_id: str
    body: bytes
    url: str
    secret: bytes


@dataclass
class Result:
    delivery_id: int
    started_at: datetime
    duration_ms: int
    status_code: int | None = None
    error: str | None = None
    excerpt: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass
class Sender:
    """HTTP to the endpoints: connections pinned to the checked address, kept alive per
    (scheme, host, address, port), 10 s for the whole exchange, no redirects followed."""

    allow_private: bool
    pools: dict[tuple[str, str, str, int], urllib3.HTTPConnectionPool] = field(
        default_factory=dict)

    def _pool(self, scheme: str, host: str, address: str,
              port: int) -> urllib3.HTTPConnectionPool:
        key = (scheme, host, address, port)
        pool = self.pools.get(key)
        if pool is None:
            timeout = urllib3.Timeout(total=rules.TIMEOUT_SECONDS)
            if scheme == "https":
                pool = urllib3.HTTPSConnectionPool(
                    address, port, timeout=timeout, retries=False, maxsize=4, block=False,
                    server_hostname=host, assert_hostname=host, cert_reqs="CERT_REQUIRED")
            else:
                pool = urllib3.HTTPConnectionPool(address, port, timeout=timeout,
                                                  retries=False, maxsize=4, block=False)
            self.pools[key] = pool
        return pool

    def send(self, job: Job, addresses: list[str]) -> Result:
        started = timeutil.now()
        clock = time.monotonic()
        stamp = int(started.timestamp())
        parts = urlsplit(job.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host_header = host if parts.port is None else f"{host}:{parts.port}"
        if ":" in host and parts.port is None:
            host_header = f"[{host}]"
        elif ":" in host:
            host_header = f"[{host}]:{parts.port}"
        headers = {
            "Host": host_header, "Content-Type": "application/json",
            "User-Agent": USER_AGENT, "webhook-id": job.msg_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": rules.signature(job.secret, job.msg_id, stamp, job.body),
        }
        result = Result(job.delivery_id, started, 0)
        try:
            pool = self._pool(parts.scheme, host, addresses[0], port)
            response = pool.urlopen("POST", path, body=job.body, headers=headers,
                                    redirect=False, preload_content=False,
                                    assert_same_host=False)
            try:
                result.status_code = response.status
                result.excerpt = response.read(EXCERPT * 4, decode_content=False)[:EXCERPT * 4] \
                    .decode("utf-8", "replace")[:EXCERPT]
            finally:
                response.release_conn()
        except urllib3.exceptions.HTTPError as error:
            result.error = (type(error).__name__ + ": " + str(error))[:200]
        result.duration_ms = int((time.monotonic() - clock) * 1000)
        return result


def _jobs(ids: list[int]) -> dict[int, tuple[Job | None, str]]:
    """Load the claimed deliveries: a job each, or None with why it is cancelled instead."""
    rows = db.session.execute(
        sa.select(WebhookDelivery, WebhookMessage, WebhookEndpoint, ApiClient)
        .join(WebhookMessage, WebhookMessage.id == WebhookDelivery.message_id)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(ApiClient, ApiClient.id == WebhookEndpoint.client_id)
        .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id)).all()
    secrets_by_endpoint: dict[int, bytes] = {}
    out: dict[int, tuple[Job | None, str]] = {}
    for delivery, message, endpoint, client in rows:
        if endpoint.removed_at is not None or client.revoked_at is not None:
            out[delivery.id] = (None, "endpoint removed or client revoked")
            continue
        if endpoint.id not in secrets_by_endpoint:
            secrets_by_endpoint[endpoint.id] = secret_of(endpoint)
        out[delivery.id] = (Job(delivery.id, message.public_id, message.body.encode(),
                                endpoint.url, secrets_by_endpoint[endpoint.id]), "")
    return out


def _streams(ids: list[int]) -> list[list[int]]:
    rows = db.session.execute(sa.select(WebhookDelivery.id, WebhookDelivery.endpoint_id,
                                        WebhookDelivery.project_code)
                              .where(WebhookDelivery.id.in_(ids)).order_by(WebhookDelivery.id))
    streams: dict[tuple[int, str], list[int]] = {}
    for i, endpoint_id, project in rows:
        streams.setdefault((endpoint_id, project), []).append(i)
    return list(streams.values())


def _send_chain(sender: Sender, chain: list[Job], deadline: float) -> list[Result]:
    """Send one stream's jobs in order; stop at the first failure, or when an attempt could
    outlast the lease.  Each job's address is checked just before it is sent."""
    results: list[Result] = []
    for job in chain:
        if time.monotonic() + rules.TIMEOUT_SECONDS + 5 > deadline:
            break
        try:
            addresses = resolve(job.url, sender.allow_private)
        except AddressRefused as refused:
            results.append(Result(job.delivery_id, timeutil.now(), 0, error=str(refused)[:200]))
            break
        result = sender.send(job, addresses)
        results.append(result)
        if not result.ok:
            break
    return results


# --- recording --------------------------------------------------------------------------------


def record(token: str, results: list[Result], released: list[int],
           cancelled: list[int]) -> None:
    """Write the attempts of one claim (only rows still leased to ``token``), release the rest;
    commit."""
    ids = [r.delivery_id for r in results] + released + cancelled
    if not ids:
        return
    rows = {d.id: d for d in db.session.scalars(sa.select(WebhookDelivery).where(
        WebhookDelivery.id.in_(ids), WebhookDelivery.claim == token))}
    for r in results:
        delivery = rows.get(r.delivery_id)
        if delivery is None:
            log.warning("lease lost before recording delivery %s", r.delivery_id)
            continue
        apply_attempt(delivery, r, replay=False)
    for i in released:
        if i in rows:
            rows[i].claim, rows[i].claimed_until = None, None
    for i in cancelled:
        if i in rows:
            rows[i].state = DeliveryState.CANCELLED.value
            rows[i].claim, rows[i].claimed_until = None, None
    db.session.commit()


def apply_attempt(delivery: WebhookDelivery, r: Result, *, replay: bool) -> None:
    """Log one attempt and move the delivery on (delivered, next attempt, or given up)."""
    delivery.attempts += 1
    db.session.add(DeliveryAttempt(
        delivery_id=delivery.id, number=delivery.attempts, replay=replay,
        started_at=r.started_at, duration_ms=r.duration_ms, status_code=r.status_code,
        error=r.error, response_excerpt=r.excerpt))
    delivery.last_attempt_at = r.started_at
    delivery.claim, delivery.claimed_until = None, None
    if replay:
        delivery.replay_requested_at = None
        if r.ok and delivery.state != DeliveryState.DELIVERED:
            delivery.state, delivery.delivered_at = DeliveryState.DELIVERED.value, r.started_at
        return
    if delivery.first_attempt_at is None:
        delivery.first_attempt_at = r.started_at
    if r.ok:
        delivery.state, delivery.delivered_at = DeliveryState.DELIVERED.value, r.started_at
        return
    failures = _scheduled_attempts(delivery.id)
    following = rules.next_attempt(delivery.first_attempt_at, r.started_at, failures)
    if following is None:
        delivery.state = DeliveryState.FAILED.value
    else:
        delivery.next_attempt_at = following


def _scheduled_attempts(delivery_id: int) -> int:
    """Attempts of the retry schedule so far (the one just added included; replays are
    outside it)."""
    db.session.flush()
    return int(db.session.scalar(sa.select(sa.func.count(DeliveryAttempt.id)).where(
        DeliveryAttempt.delivery_id == delivery_id, DeliveryAttempt.replay.is_(False))) or 1)


# --- a round, and the command's loop -----------------------------------------------------------


@dataclass
class Stats:
    attempts: int = 0
    delivered: int = 0
    failed_attempts: int = 0
    cancelled: int = 0
    replays: int = 0

    def add(self, other: Stats) -> None:
        for name in ("attempts", "delivered", "failed_attempts", "cancelled", "replays"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


def deliver_round(sender: Sender, limit: int = 100, workers: int = 8) -> Stats:
    """One claim, its sends and their records."""
    stats = Stats()
    stats.add(replay_round(sender))
    token, ids = claim(limit)
    if not ids:
        return stats
    deadline = time.monotonic() + LEASE.total_seconds()
    jobs = _jobs(ids)
    cancelled = [i for i, (job, _why) in jobs.items() if job is None]
    chains = [[job for i in stream if (job := jobs[i][0]) is not None]
              for stream in _streams(ids)]
    chains = [c for c in chains if c]
    db.session.commit()  # no transaction stays open while sending
    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(chains) or 1))) as pool:
        chain_results = list(pool.map(lambda c: _send_chain(sender, c, deadline), chains))
    results = [r for rs in chain_results for r in rs]
    sent = {r.delivery_id for r in results}
    released = [i for i in ids if i not in sent and i not in cancelled]
    record(token, results, released, cancelled)
    stats.attempts += len(results)
    stats.delivered += sum(1 for r in results if r.ok)
    stats.failed_attempts += sum(1 for r in results if not r.ok)
    stats.cancelled += len(cancelled)
    return stats


def replay_round(sender: Sender, limit: int = 50) -> Stats:
    """The attempts operators asked for (重新推送) on delivered or failed deliveries: one each,
    outside the retry schedule and the stream order, same ``webhook-id``."""
    stats = Stats()
    token = secrets.token_hex(16)
    now = timeutil.now()
    wanted = (sa.select(WebhookDelivery.id).where(
        WebhookDelivery.replay_requested_at.is_not(None),
        WebhookDelivery.state.in_((DeliveryState.DELIVERED.value, DeliveryState.FAILED.value)),
        sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now))
        .order_by(WebhookDelivery.id).limit(limit))
    if db.session.get_bind().dialect.name == "postgresql":
        wanted = wanted.with_for_update(skip_locked=True)
        ids = list(db.session.scalars(wanted))
    else:
        ids = list(db.session.scalars(wanted))
    if ids:
        db.session.execute(sa.update(WebhookDelivery).where(
            WebhookDelivery.id.in_(ids), WebhookDelivery.replay_requested_at.is_not(None),
            sa.or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now))
            .values(claim=token, claimed_until=now + LEASE))
    db.session.commit()
    if not ids:
        return stats
    jobs = _jobs(ids)
    mine = set(db.session.scalars(sa.select(WebhookDelivery.id).where(
        WebhookDelivery.claim == token)))
    db.session.commit()
    results: list[Result] = []
    for i in sorted(mine):
        job = jobs.get(i, (None, ""))[0]
        if job is None:
            continue
        try:
            results.append(sender.send(job, resolve(job.url, sender.allow_private)))
        except AddressRefused as refused:
            results.append(Result(i, timeutil.now(), 0, error=str(refused)[:200]))
    rows = {d.id: d for d in db.session.scalars(sa.select(WebhookDelivery).where(
        WebhookDelivery.id.in_(list(mine)), WebhookDelivery.claim == token))}
    for r in results:
        if r.delivery_id in rows:
            apply_attempt(rows[r.delivery_id], r, replay=True)
    for i, d in rows.items():
        if i not in {r.delivery_id for r in results}:
            d.claim, d.claimed_until, d.replay_requested_at = None, None, None
    db.session.commit()
    stats.replays = len(results)
    stats.attempts += len(results)
    stats.delivered += sum(1 for r in results if r.ok)
    stats.failed_attempts += sum(1 for r in results if not r.ok)
    return stats


def run(max_seconds: float = 50, limit: int = 100, workers: int = 8) -> Stats:
    """Deliver until nothing is due or ``max_seconds`` have passed (the cron line runs it every
    minute on every instance)."""
    sender = Sender(allow_private=bool(current_app.config["WEBHOOK_ALLOW_PRIVATE"]))
    total = Stats()
    stop = time.monotonic() + max_seconds
    while time.monotonic() < stop:
        stats = deliver_round(sender, limit=limit, workers=workers)
        total.add(stats)
        if stats.attempts == 0 and stats.cancelled == 0:
            break
    for pool in sender.pools.values():
        pool.close()
    return total
