"""Serve an app on loopback in a thread, for the browser tests."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from werkzeug.serving import make_server


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def open_page(browser: Any, site: str, email: str | None, password: str | None = None) -> Any:
    """A page in its own browser context (its own cookies), logged in as ``email`` unless None;
    "are you sure?" confirmations are accepted."""
    from tests.conftest import PASSWORD

    page = browser.new_context().new_page()
    page.on("dialog", lambda d: d.accept())
    if email:
        page.goto(site + "/login")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", password or PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_selector("[data-test=dashboard-title]")
    return page
