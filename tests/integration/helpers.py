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


_n = iter(range(1, 10**6))


def owner_org(app: Flask) -> int:
    from market.accounts import operations as accounts
    from market.accounts.models import OrgKind

    with app.app_context():
        org = accounts.create_organisation(OrgKind.OWNER, f"测试业主{next(_n)}")
        db.session.commit()
        return org.id


def project(app: Flask, owner_id: int, code: str) -> int:
    from market import timeutil
    from market.selection.models import Project

    with app.app_context():
        row = Project(public_id=f"PJ-W{next(_n):05d}", owner_org_id=owner_id, name="测试项目",
                      code=code, fund_source="fiscal", investment_fen=1_000_000_00,
                      location="云川市", created_at=timeutil.now())
        db.session.add(row)
        db.session.commit()
        return row.id


def matter(app: Flask, department_id: int, code: str) -> int:
    from market.catalogue.models import ApprovalMatter

    with app.app_context():
        row = ApprovalMatter(code=code, name=f"审批事项{code}", department_id=department_id,
                             statutory_days=20, committed_days=10)
        db.session.add(row)
        db.session.commit()
        return row.id


def open_case(app: Flask, project_id: int, matter_id: int) -> str:
    from market.accounts.models import Organisation
    from market.approvals import operations as cases
    from market.catalogue.models import ApprovalMatter
    from market.selection.models import Project

    with app.app_context():
        p = db.session.get(Project, project_id)
        case = cases.open_case(db.session.get(Organisation, p.owner_org_id), p,
                               db.session.get(ApprovalMatter, matter_id))
        db.session.commit()
        return case.public_id


def send(app: Flask, *events_to_send: Any, commit: bool = True, at: Any = None) -> None:
    """Hand domain events to the outbox inside one transaction, as an operation's send would
    after its change.  Only the outbox hears them: the other areas' receivers would look up the
    made-up engagements and cases these events name.  ``at``: the clock when they are queued
    (their deliveries are due from then); None: the clock as it is."""
    from contextlib import nullcontext

    from market import timeutil
    from market.integration import outbox

    with app.app_context(), (timeutil.frozen(at) if at is not None else nullcontext()):
        for event in events_to_send:
            outbox.on_event(event)
        if commit:
            db.session.commit()
        else:
            db.session.rollback()


def started(project_code: str, n: int, at: Any = None) -> Any:
    from datetime import UTC, datetime

    from market import events

    return events.EngagementStarted(at=at or datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
                                    engagement_id=10_000 + n,
                                    engagement_public_id=f"EG-{10_000 + n:06d}",
                                    project_code=project_code)
