"""Billing fixtures: organisations, the offline backend, localstripe and a Stripe app.

localstripe (GPL) runs for the whole session as a separate process bound to 127.0.0.1 (see
``localstripe_loopback.py``); nothing here imports it.  A guard fails any test that tries to
reach an address that is not loopback.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import stripe
from flask import Flask

from billing import ledger
from billing.integration import backend
from billing.interface import EngagementRef
from billing.models import Payment
from billing.service import LedgerBilling
from billing.stripe_backend import StripeBilling
from market.accounts import operations as ops
from market.accounts.models import OrgKind
from market.db import db
from tests.billing.fake_connect import LocalstripeWithFakeConnect
from tests.conftest import make_app
from tests.support.live import serve
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
WEBHOOK_SECRET = "whsec_test_market"


# --- no internet -------------------------------------------------------------------------------


def _loopback(address: Any) -> bool:
    if not isinstance(address, tuple):
        return True  # a Unix socket
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False  # a name that would need resolving elsewhere


@pytest.fixture(autouse=True)
def no_internet(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any test that tries to connect anywhere but loopback."""
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def guard(address: Any) -> None:
        if not _loopback(address):
            raise AssertionError(f"billing tests must not reach {address!r}")

    def connect(self: socket.socket, address: Any) -> None:
        guard(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        guard(address)
        return real_connect_ex(self, address)

    real_create = socket.create_connection

    def create_connection(address: Any, *args: Any, **kwargs: Any) -> socket.socket:
        guard(address)
        return real_create(address, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "create_connection", create_connection)


# --- organisations and engagements ---------------------------------------------------------


@dataclass
class Parties:
    owner: int
    agency: int
    other_owner: int
    other_agency: int


def create_parties(app: Flask) -> Parties:
    with app.app_context():
        ids = [ops.create_organisation(kind, name).id for kind, name in (
            (OrgKind.OWNER, "云川市测试业主"), (OrgKind.AGENCY, "云川测试咨询有限公司"),
            (OrgKind.OWNER, "另一业主"), (OrgKind.AGENCY, "另一中介"))]
        db.session.commit()
    return Parties(*ids)


@pytest.fixture
def parties(app: Flask) -> Parties:
    return create_parties(app)


_engagement_ids = iter(range(1000, 10**6))


def open_engagement(app: Flask, parties: Parties, fee_fen: int = 1_234_56) -> int:
    eid = next(_engagement_ids)
    with app.app_context():
        backend().open_engagement(EngagementRef(eid, parties.owner, parties.agency, fee_fen))
        db.session.commit()
    return eid


def ledger_snapshot(app: Flask) -> tuple[dict[str, int], int]:
    """Every balance and the number of transactions: equal before and after a refusal."""
    with app.app_context():
        from billing.models import LedgerTransaction

        return ledger.balances(db.session), db.session.query(LedgerTransaction).count()


def assert_ledger_balanced(app: Flask) -> None:
    with app.app_context():
        assert ledger.total(db.session) == 0
        assert ledger.unbalanced_transactions(db.session) == []


# --- localstripe -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def localstripe_url() -> Iterator[str]:
    """localstripe on 127.0.0.1:<free port>, for the whole session, in its own process."""
    port = free_port()
    # Its output goes to a file, not a pipe: a full pipe would block the server.
    log = tempfile.TemporaryFile()  # noqa: SIM115  # closed in the finally below
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.billing.localstripe_loopback", str(port)], cwd=ROOT,
        stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    session = requests.Session()
    session.trust_env = False
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                log.seek(0)
                err = log.read().decode(errors="replace")
                pytest.fail(f"localstripe did not start: {err}")
            with contextlib.suppress(requests.ConnectionError):
                session.get(url + "/v1/customers", timeout=1,
                            auth=("sk_test_market", ""))
                break
            if time.monotonic() > deadline:
                pytest.fail("localstripe did not answer within 20 s")
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        session.close()


@dataclass
class StripeSite:
    """A Stripe-configured app served on loopback, with localstripe's webhook pointed at it."""

    app: Flask
    url: str
    http: LocalstripeWithFakeConnect
    client: stripe.StripeClient
    localstripe: str

    def wait_for_payment(self, payment_id: int, *, timeout: float = 15) -> str:
        """Wait until localstripe's webhook has settled the payment (it sleeps 1 s first)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.app.app_context():
                status = db.session.get(Payment, payment_id).status  # type: ignore[union-attr]
            if status != "pending":
                return str(status)
            time.sleep(0.1)
        return "pending"


def make_stripe_site(tmp_path: Path, localstripe_url: str) -> Iterator[StripeSite]:
    http = LocalstripeWithFakeConnect()
    app = make_app(tmp_path, STRIPE_SECRET_KEY="sk_test_market",
                   STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET, STRIPE_API_BASE=localstripe_url,
                   STRIPE_HTTP_CLIENT=http)
    with serve(app) as url:
        session = requests.Session()
        session.trust_env = False
        # localstripe keeps one webhook per name: this test's app replaces the previous one.
        response = session.post(localstripe_url + "/_config/webhooks/market", data={
            "url": url + "/billing/stripe/webhook", "secret": WEBHOOK_SECRET})
        assert response.status_code == 200, response.text
        session.close()
        with app.app_context():
            client = backend(app)
            assert isinstance(client, StripeBilling)
            stripe_client = client.client
        yield StripeSite(app, url, http, stripe_client, localstripe_url)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def stripe_site(tmp_path: Path, localstripe_url: str) -> Iterator[StripeSite]:
    yield from make_stripe_site(tmp_path, localstripe_url)


def link_agency(app: Flask, agency_org_id: int) -> None:
    with app.app_context():
        billing = backend()
        assert isinstance(billing, StripeBilling)
        billing.link_agency_account(agency_org_id, f"acct_test{agency_org_id}")
        db.session.commit()


def pay_as_browser(site: StripeSite, client_secret: str, payment_method: str) -> Any:
    """What Stripe.js would do in the owner's browser: attach a card and confirm."""
    intent_id = client_secret.split("_secret_")[0]
    site.client.v1.payment_intents.update(intent_id, params={"payment_method": payment_method})
    return site.client.v1.payment_intents.confirm(intent_id)


def with_backend(app: Flask, action: Callable[[LedgerBilling], Any]) -> Any:
    """Run one operation in its own transaction, as a request would (rollback on refusal)."""
    with app.app_context():
        try:
            result = action(backend())
        except BaseException:
            db.session.rollback()
            raise
        db.session.commit()
        return result
