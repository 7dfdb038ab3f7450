"""``flask tenants add|list``: the administrative division tree (行政区划) from the shell."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from market.accounts import tenants
from market.db import db

tenants_cli = AppGroup("tenants", help="The division tree (行政区划) and its tenants.")


@tenants_cli.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--tenant/--no-tenant", default=True,
              help="Whether the platform serves this city or county (a province never is).")
def add_command(code: str, name: str, tenant: bool) -> None:
    """Add the division CODE (GB/T 2260, six digits) named NAME; its parent must be there."""
    try:
        division = tenants.add(code, name, tenant=tenant and not code.endswith("0000"))
    except tenants.DivisionError as error:
        db.session.rollback()
        raise click.ClickException(error.message % error.params if error.params
                                   else error.message) from None
    db.session.commit()
    click.echo(f"{division.code} {division.name} {division.level}"
               f"{' tenant' if division.tenant else ''}")


@tenants_cli.command("list")
def list_command() -> None:
    """The tree, one division a line: code, level, tenant or not, name (indented by level)."""
    indent = {"province": "", "city": "  ", "county": "    "}
    for d in tenants.tree():
        click.echo(f"{d.code} {d.level:<8} {'tenant' if d.tenant else '-':<6} "
                   f"{indent[d.level]}{d.name}")
