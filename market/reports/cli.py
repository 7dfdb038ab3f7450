"""``flask reports monthly --month 2026-11``: write a month's report into the instance folder."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from market.domain.reports import Month
from market.reports import archive

reports_cli = AppGroup("reports", help="The managing department's monthly report.")


@reports_cli.command("monthly")
@click.option("--month", "month_text", required=True, help="The month, YYYY-MM (ended).")
def monthly_command(month_text: str) -> None:
    """Write the month's page, CSV and PDF (again, if written before); refuse a month not yet
    ended."""
    try:
        month = Month.parse(month_text)
    except ValueError as error:
        raise click.BadParameter("expected YYYY-MM, e.g. 2026-11", param_hint="--month") from error
    try:
        done = archive.write(month)
    except archive.ReportError as error:
        raise click.ClickException(error.message) from error
    for kind in ("html", "csv", "pdf"):
        click.echo(f"{kind}: {done.files[kind]}")
