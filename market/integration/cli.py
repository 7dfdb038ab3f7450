"""``flask clients create/revoke/list`` and ``flask webhooks deliver`` (the periodic sender)."""

from __future__ import annotations

import json

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from market.db import db
from market.integration import clients as ops
from market.integration import delivery
from market.integration.models import ApiClient

clients_cli = AppGroup("clients", help="Machine clients of the approval systems (OAuth 2.0).")
webhooks_cli = AppGroup("webhooks", help="The webhook outbox.")


@clients_cli.command("create")
@click.option("--name", required=True, help="what the client is, e.g. 云川市工程建设项目审批管理系统")
@click.option("--department", "department", default=None,
              help="the department's code (see /api/approval-matters)")
@click.option("--platform", is_flag=True, help="the province's platform: sees every project")
@click.option("--scopes", required=True,
              help='space-separated, e.g. "cases:write projects:read"')
def create(name: str, department: str | None, platform: bool, scopes: str) -> None:
    """Create a client; print {"client_id", "client_secret"} (the secret is shown only here)."""
    if platform == (department is not None):
        raise click.UsageError("give exactly one of --department CODE and --platform")
    try:
        new = ops.create_client(name, department, scopes.split())
    except ops.ClientError as error:
        db.session.rollback()
        raise click.ClickException(error.message % error.params if error.params
                                   else error.message) from None
    db.session.commit()
    click.echo(json.dumps({"client_id": new.row.client_id, "client_secret": new.secret}))


@clients_cli.command("revoke")
@click.argument("client_id")
def revoke(client_id: str) -> None:
    """End a client and its tokens at once (its webhook endpoints are removed)."""
    try:
        ops.revoke_client(client_id)
    except ops.ClientError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    db.session.commit()
    click.echo(f"revoked {client_id}")


@clients_cli.command("list")
def list_clients() -> None:
    """One line per client: id, state, department, scopes, name."""
    for c in db.session.scalars(sa.select(ApiClient).order_by(ApiClient.id)):
        where = c.department.code if c.department else "platform"
        state = "revoked" if c.revoked_at else "active"
        click.echo(f"{c.client_id}\t{state}\t{where}\t{c.scopes}\t{c.name}")


@webhooks_cli.command("deliver")
@click.option("--max-seconds", default=50.0, show_default=True,
              help="stop starting new rounds after this long")
@click.option("--workers", default=8, show_default=True, help="streams sent in parallel")
def deliver(max_seconds: float, workers: int) -> None:
    """Send what is due (safe on every instance at once; run it every minute)."""
    stats = delivery.run(max_seconds=max_seconds, workers=workers)
    click.echo(f"attempts {stats.attempts}, delivered {stats.delivered}, failed attempts "
               f"{stats.failed_attempts}, cancelled {stats.cancelled}, replays {stats.replays}")
