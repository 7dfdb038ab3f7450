"""Machine clients for the integration tests: a department, a client, a token, row counts."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from market.catalogue import operations as catalogue_ops
from market.db import db
from market.integration import clients


@dataclass
class Client:
    client_id: str
    secret: str

    def basic(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}


def department(app: Flask, name: str = "云川市生态环境局", code: str = "YC-STHJJ") -> int:
    with app.app_context():
        row = catalogue_ops.department_named(name, code)
        db.session.commit()
        return row.id


def make_client(app: Flask, scopes: str = "webhooks:manage projects:read deliverables:read",
                department_code: str | None = None, name: str = "云川市审批系统") -> Client:
    with app.app_context():
        new = clients.create_client(name, department_code, scopes.split())
        db.session.commit()
        return Client(new.row.client_id, new.secret)


def token(http: FlaskClient, client: Client, scope: str | None = None) -> str:
    data = {"grant_type": "client_credentials", **({"scope": scope} if scope else {})}
    r = http.post("/oauth/token", data=data, headers=client.basic())
    assert r.status_code == 200, r.get_data(as_text=True)
    return str(r.get_json()["access_token"])


def bearer(value: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {value}"}


def counts(app: Flask) -> dict[str, Any]:
    """Rows of every table (the audit log included): bad input must change none of them."""
    with app.app_context():
        return {t.name: db.session.scalar(sa.select(sa.func.count()).select_from(t))
                for t in db.metadata.sorted_tables}
