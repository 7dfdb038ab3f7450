"""A stand-in approval system (审批系统), run as its own process on loopback.

It is what an integrator would build from shared/spec/integration.md alone and shares no code
with the market: it gets a token with its client credentials (OAuth 2.0, HTTP Basic),
registers a webhook endpoint on itself, and receives the webhooks, checking each signature
with its own code, written from the Standard Webhooks scheme the spec names (``whsec_`` +
base64 secret; HMAC-SHA256 over ``id.timestamp.body``; ``v1,`` + base64; timestamps within a
tolerance).  Everything that arrives is appended to a JSON-lines file, so what it saw
survives a restart (the tests stop it to play a receiver that is down).

Served by gunicorn (``tests.support.approval_system:app``), configured by environment:
``STANDIN_STATE`` (a folder), ``STANDIN_TOLERANCE_SECONDS`` (default 300).

Its own small HTTP interface, for the tests:

* ``POST /admin/connect`` ``{"market", "client_id", "client_secret", "events", "url"}`` — token
  from ``market``/oauth/token, then ``POST /api/v1/webhooks`` with ``url`` (this server's
  ``/hooks``); keeps the secret; answers the market's answer without the secret.
* ``POST /admin/event`` — a case event (spec §3) sent to the market with the token; answers
  ``{"status", "answer"}`` (the market's status and body).
* ``GET /admin/project/<code>`` — the project pulled from the market (spec §4), same shape.
* ``POST /admin/mode`` ``{"fail_first": n, "status": s}`` — answer ``s`` to the first ``n``
  deliveries of each webhook-id (then 200).
* ``GET /admin/received`` — every delivery that arrived, in order, as JSON.
* ``POST /hooks`` — the webhook receiver: 400 for a bad signature, else the mode's answer.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import threading
import time
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from werkzeug.wrappers import Request as WsgiRequest
from werkzeug.wrappers import Response

_lock = threading.Lock()


def _state_dir() -> Path:
    path = Path(os.environ.get("STANDIN_STATE", "/tmp/standin"))  # noqa: S108
    path.mkdir(parents=True, exist_ok=True)
    return path


def _load(name: str, default: Any) -> Any:
    path = _state_dir() / name
    return json.loads(path.read_text()) if path.exists() else default


def _save(name: str, value: Any) -> None:
    path = _state_dir() / name
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value))
    tmp.replace(path)


def _append(record: dict[str, Any]) -> None:
    with _lock, (_state_dir() / "received.jsonl").open("a") as f:
        f.write(json.dumps(record, ensure_ascii=False) + "\n")


def received() -> list[dict[str, Any]]:
    path = _state_dir() / "received.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


# --- the signature check, from the scheme's description alone ---------------------------------


class BadSignature(Exception):
    pass


def verify(secret: str, headers: dict[str, str], body: bytes, now: float,
           tolerance: float) -> dict[str, Any]:
    """Check a delivery: the three headers present, the timestamp within ``tolerance``
    seconds of ``now``, and one of the space-separated ``v1,`` signatures equal to the HMAC-SHA256
    of ``id.timestamp.body`` under the secret's bytes.  Returns the parsed body."""
    msg_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not (msg_id and stamp and signatures):
        raise BadSignature("missing header")
    if not stamp.isdigit():
        raise BadSignature("timestamp is not Unix seconds")
    if abs(now - int(stamp)) > tolerance:
        raise BadSignature("timestamp outside the tolerance")
    if not secret.startswith("whsec_"):
        raise BadSignature("not a whsec_ secret")
    try:
        key = base64.b64decode(secret[len("whsec_"):], validate=True)
    except binascii.Error:
        raise BadSignature("secret is not base64") from None
    expected = base64.b64encode(hmac.new(
        key, msg_id.encode() + b"." + stamp.encode() + b"." + body, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            parsed: dict[str, Any] = json.loads(body)
            if parsed.get("id") != msg_id:
                raise BadSignature("the body's id is not the webhook-id")
            return parsed
    raise BadSignature("no matching signature")


# --- the WSGI app ------------------------------------------------------------------------------


def _json(value: Any, status: int = 200) -> Response:
    return Response(json.dumps(value, ensure_ascii=False), status=status,
                    mimetype="application/json")


def _call(url: str, *, data: bytes | None, headers: dict[str, str],
          method: str = "POST") -> tuple[int, Any]:
    request = Request(url, data=data, headers=headers, method=method)  # noqa: S310
    try:
        with urlopen(request, timeout=30) as response:  # noqa: S310  # the market on loopback
            return response.status, json.loads(response.read())
    except Exception as error:  # an HTTPError carries the market's answer
        body = getattr(error, "read", lambda: b"{}")()
        return getattr(error, "code", 599), json.loads(body or b"{}")


def _token(market: str, client_id: str, client_secret: str) -> tuple[int, Any]:
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    return _call(market + "/oauth/token", data=b"grant_type=client_credentials",
                 headers={"Authorization": "Basic " + basic,
                          "Content-Type": "application/x-www-form-urlencoded"})


def _connect(req: WsgiRequest) -> Response:
    cfg = req.get_json()
    status, token = _token(cfg["market"], cfg["client_id"], cfg["client_secret"])
    if status != 200:
        return _json({"step": "token", "status": status, "answer": token}, 502)
    status, answer = _call(cfg["market"] + "/api/v1/webhooks",
                           data=json.dumps({"url": cfg["url"], "events": cfg["events"]}).encode(),
                           headers={"Authorization": "Bearer " + token["access_token"],
                                    "Content-Type": "application/json"})
    if status != 201:
        return _json({"step": "webhook", "status": status, "answer": answer}, 502)
    _save("secret.json", {"secret": answer["secret"], "endpoint": answer["id"]})
    _save("market.json", {"market": cfg["market"], "token": token["access_token"],
                           "client_id": cfg["client_id"], "client_secret": cfg["client_secret"]})
    return _json({"endpoint": answer["id"], "events": answer["events"],
                  "token_scope": token.get("scope"), "expires_in": token["expires_in"]})


def _market(path: str, body: Any = None) -> Response:
    """Call the market with the token; an expired one (401, RFC 6750) is renewed with the
    client credentials once and the call repeated, as an integrator's client would."""
    market = _load("market.json", {})
    for attempt in (1, 2):
        headers = {"Authorization": "Bearer " + market.get("token", "")}
        if body is not None:
            headers["Content-Type"] = "application/json"
        status, answer = _call(market.get("market", "") + path, headers=headers,
                               data=None if body is None else json.dumps(body).encode(),
                               method="GET" if body is None else "POST")
        if status != 401 or attempt == 2 or "client_id" not in market:
            break
        renewed, token = _token(market["market"], market["client_id"], market["client_secret"])
        if renewed != 200:
            break
        market = {**market, "token": token["access_token"]}
        _save("market.json", market)
    return _json({"status": status, "answer": answer})


def _hook(req: WsgiRequest) -> Response:
    body = req.get_data()
    headers = {k.lower(): v for k, v in req.headers.items()}
    secret = _load("secret.json", {}).get("secret", "")
    tolerance = float(os.environ.get("STANDIN_TOLERANCE_SECONDS", "300"))
    record: dict[str, Any] = {"webhook_id": headers.get("webhook-id"),
                              "timestamp": headers.get("webhook-timestamp"),
                              "arrived": time.time()}
    try:
        event = verify(secret, headers, body, time.time(), tolerance)
    except (BadSignature, ValueError) as error:
        _append({**record, "verified": False, "why": str(error)})
        return _json({"error": str(error)}, 400)
    record.update(verified=True, type=event["type"], project_code=event["project_code"],
                  data=event["data"], occurred_at=event["occurred_at"])
    mode = _load("mode.json", {"fail_first": 0, "status": 503})
    with _lock:
        seen = _load("seen.json", {})
        n = seen.get(record["webhook_id"], 0) + 1
        seen[record["webhook_id"]] = n
        _save("seen.json", seen)
    status = mode["status"] if n <= mode["fail_first"] else 200
    _append({**record, "answered": status, "nth": n})
    return _json({"ok": status == 200}, status)


def app(environ: dict[str, Any], start_response: Any) -> Any:
    req = WsgiRequest(environ)
    if req.path == "/hooks" and req.method == "POST":
        response = _hook(req)
    elif req.path == "/admin/connect" and req.method == "POST":
        response = _connect(req)
    elif req.path == "/admin/event" and req.method == "POST":
        response = _market("/api/v1/case-events", req.get_json())
    elif req.path.startswith("/admin/project/"):
        response = _market("/api/v1/projects/" + req.path.rsplit("/", 1)[1])
    elif req.path == "/admin/mode" and req.method == "POST":
        _save("mode.json", req.get_json())
        response = _json({"ok": True})
    elif req.path == "/admin/received":
        response = _json(received())
    elif req.path == "/healthz":
        response = _json({"ok": True})
    else:
        response = _json({"error": "not found"}, 404)
    return response(environ, start_response)
