"""An SMS gateway stand-in on loopback for the subscription tests.  No SMS provider can be run
here, so this small HTTP server stands in for the deployment's gateway: it speaks the form
market.notify.sms documents (a JSON POST with a bearer token) and records what it was sent."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "sms-test-token"


@dataclass
class Gateway:
    url: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    # what the stand-in answers; set to 503 to see a refused message kept as an error
    status: int = 200


@pytest.fixture
def sms_gateway() -> Iterator[Gateway]:
    """The stand-in on a free loopback port; what it accepted is in ``.sent``."""
    gateway = Gateway(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                self.send_response(401)
            else:
                if gateway.status == 200:
                    gateway.sent.append(json.loads(body))
                self.send_response(gateway.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    gateway.url = f"http://127.0.0.1:{server.server_port}/sms"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield gateway
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
