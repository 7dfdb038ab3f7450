"""Opening keys in tests, through the routes a regulator uses: register the public half of a
key made outside the platform (as the offline tool does), and present it at an opening by
opening one's own shares locally (what the browser script does)."""

from __future__ import annotations

import base64
import json
from typing import Any

from flask.testing import FlaskClient

from market.domain import sealing
from tests.conftest import csrf_token


def new_key_file(holder: str = "U-test") -> dict[str, Any]:
    private, public = sealing.generate_key()
    return sealing.key_file(private, public, holder, "test", "2026-03-01T00:00:00Z")


def register(client: FlaskClient, key_file: dict[str, Any] | None = None) -> dict[str, Any]:
    """Register a key for the logged-in regulator; returns its key file."""
    key_file = key_file or new_key_file()
    r = client.post("/regulator/keys", data={
        "public_key": key_file["public_key"],
        "csrf_token": csrf_token(client, "/regulator/keys")})
    assert r.status_code == 302, r.get_data(as_text=True)[-2000:]
    # back to the keys page (a redirect to the login page would be a 302 too)
    assert r.headers["Location"].endswith("/regulator/keys"), r.headers["Location"]
    return key_file


def shares_for(client: FlaskClient, public_id: str, key_file: dict[str, Any]) -> str:
    """What the browser posts: this holder's shares, opened with its key file."""
    r = client.get(f"/regulator/openings/{public_id}/shares.json")
    assert r.status_code == 200, r.status_code
    request = r.get_json()
    kid, _public, private = sealing.read_key_file(key_file)
    out = {}
    for item in request["shares"]:
        share = sealing.unwrap(private, kid, request["request_id"], request["round"],
                               item["commitment"], base64.b64decode(item["wrapped"]))
        out[item["commitment"]] = base64.b64encode(share).decode()
    return json.dumps({"format": sealing.SHARES_FORMAT, "request_id": request["request_id"],
                       "round": request["round"], "key_id": kid, "shares": out})


def present(client: FlaskClient, public_id: str, key_file: dict[str, Any] | None = None,
            shares: str | None = None) -> Any:
    """Present at the opening page; returns the response."""
    if shares is None:
        assert key_file is not None
        shares = shares_for(client, public_id, key_file)
    return client.post(f"/regulator/openings/{public_id}", data={
        "shares": shares,
        "csrf_token": csrf_token(client, f"/regulator/openings/{public_id}")})
