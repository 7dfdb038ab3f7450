"""HTTP details third-party clients rely on (RFC 9110)."""

from __future__ import annotations

import pytest
from flask import Flask


@pytest.mark.parametrize(("path", "allowed", "json"), [
    ("/api/agencies", {"GET", "HEAD", "OPTIONS"}, True),
    ("/lotteries/LT-000001/bundle.json", {"GET", "HEAD", "OPTIONS"}, True),
    ("/transparency/log", {"GET", "HEAD", "OPTIONS"}, False),
    ("/notices", {"GET", "HEAD", "OPTIONS"}, False),
    ("/logout", {"POST", "OPTIONS"}, False),
])
def test_a_405_carries_an_allow_header(app: Flask, path: str, allowed: set[str],
                                       json: bool) -> None:
    """RFC 9110 §15.5.6: a 405 response MUST list the target's methods in ``Allow``."""
    client = app.test_client()
    method = client.get if "POST" in allowed else client.delete
    response = method(path)
    assert response.status_code == 405
    assert {m.strip() for m in response.headers.get("Allow", "").split(",")} == allowed
    if json:
        assert response.get_json()["error"]["code"] == "method_not_allowed"
    else:
        assert "text/html" in response.content_type
