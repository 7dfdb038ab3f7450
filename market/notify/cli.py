"""``flask clocks tick``: the periodic run (cron, every few minutes)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from market.notify.reminders import tick

clocks_cli = AppGroup("clocks", help="Clock reminders and timeouts.")


@clocks_cli.command("tick")
def tick_command() -> None:
    """Send reminders for clocks in warning or overdue; pass on the awards whose contract was
    not signed by its limit; raise the escalation steps late matters reached (电子监察); release
    paid, accepted fees; write the daily digests of new notices; e-mail and text what is due."""
    r = tick()
    click.echo(f"engagements created {r.engagements_created}, unsigned {r.unsigned}, "
               f"notifications {r.notified}, e-mails {r.emailed}, SMS {r.texted}, "
               f"digests {r.digests}, releases {r.released}, escalation steps {r.escalated}")
