"""The Stripe client's HTTP layer for tests: localstripe for what it has, a fake for Connect.

localstripe has no Connect (no transfers, no reversals) and ignores idempotency keys, so this
HTTP client, plugged into the same ``stripe.StripeClient`` the backend uses, answers
``/v1/transfers…`` itself, honouring idempotency keys the way Stripe does, and forwards every
other request to localstripe.  It also drops ``transfer_group`` from PaymentIntent creation,
which localstripe refuses as an unexpected parameter, after recording it.  Every request is
recorded (method, path, idempotency key, parameters) so tests can check what was sent.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import requests
import stripe

_ids = itertools.count(1)


@dataclass
class Sent:
    method: str
    path: str
    idempotency_key: str | None
    params: dict[str, str] = field(default_factory=dict)


class LocalstripeWithFakeConnect(stripe.HTTPClient):
    name = "localstripe-with-fake-connect"

    def __init__(self) -> None:
        super().__init__()
        session = requests.Session()
        session.trust_env = False  # no proxy from the environment: loopback only
        self._real = stripe.RequestsClient(session=session)
        self.sent: list[Sent] = []
        self.transfers: dict[str, dict[str, Any]] = {}
        self._by_key: dict[str, tuple[str, int, Mapping[str, str]]] = {}
        self.fail_transfers = False

    def request(self, method: str, url: str, headers: Mapping[str, str] | None,
                post_data: Any = None, **_: Any) -> tuple[Any, int, Mapping[str, str]]:
        method = method.lower()
        path = urlsplit(url).path
        body = post_data.decode() if isinstance(post_data, bytes) else (post_data or "")
        params = dict(parse_qsl(body))
        key = (headers or {}).get("Idempotency-Key")
        self.sent.append(Sent(method, path, key, params))
        if path.startswith("/v1/transfers"):
            if key and key in self._by_key:
                return self._by_key[key]
            answer = self._connect(method, path, params)
            if key and answer[1] < 400:
                self._by_key[key] = answer
            return answer
        if method == "post" and path == "/v1/payment_intents" and "transfer_group" in params:
            post_data = urlencode([(k, v) for k, v in parse_qsl(body) if k != "transfer_group"])
        return self._real.request(method, url, headers, post_data)

    def request_stream(self, method: str, url: str, headers: Mapping[str, str] | None,
                       post_data: Any = None, **_: Any) -> tuple[Any, int, Mapping[str, str]]:
        raise NotImplementedError

    def close(self) -> None:
        self._real.close()

    def by_path(self, prefix: str) -> list[Sent]:
        return [s for s in self.sent if s.path.startswith(prefix)]

    # --- the fake Connect -----------------------------------------------------------------

    def _connect(self, method: str, path: str, params: dict[str, str]
                 ) -> tuple[str, int, Mapping[str, str]]:
        parts = path.strip("/").split("/")
        if method == "post" and parts == ["v1", "transfers"]:
            if self.fail_transfers:
                return _error(400, "Insufficient funds in the platform balance.")
            if not params.get("destination", "").startswith("acct_"):
                return _error(400, "No such destination.")
            transfer = {"id": f"tr_fake{next(_ids)}", "object": "transfer",
                        "amount": int(params["amount"]), "currency": params["currency"],
                        "destination": params["destination"],
                        "transfer_group": params.get("transfer_group"), "amount_reversed": 0,
                        "metadata": {k[9:-1]: v for k, v in params.items()
                                     if k.startswith("metadata[")}}
            self.transfers[transfer["id"]] = transfer
            return _ok(transfer)
        if method == "post" and len(parts) == 4 and parts[3] == "reversals":
            transfer = self.transfers.get(parts[2])
            if transfer is None:
                return _error(404, "No such transfer.")
            amount = int(params.get("amount", transfer["amount"] - transfer["amount_reversed"]))
            if amount > transfer["amount"] - transfer["amount_reversed"]:
                return _error(400, "Reversal larger than the transfer.")
            transfer["amount_reversed"] += amount
            return _ok({"id": f"trr_fake{next(_ids)}", "object": "transfer_reversal",
                        "amount": amount, "transfer": transfer["id"]})
        return _error(404, "Not handled by the fake.")


def _ok(obj: dict[str, Any]) -> tuple[str, int, Mapping[str, str]]:
    return json.dumps(obj), 200, {"Content-Type": "application/json"}


def _error(status: int, message: str) -> tuple[str, int, Mapping[str, str]]:
    body = {"error": {"type": "invalid_request_error", "message": message}}
    return json.dumps(body), status, {"Content-Type": "application/json"}
