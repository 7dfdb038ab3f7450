"""``flask selection tick``: closes, voids and re-announcements that time alone decides, and
the draw reminders (witnesses, the external value) with their e-mails.

Safe to run twice or on several machines at once: each request is advanced in its own
transaction under its lottery's row lock, and every step re-checks the state it changes."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from market import timeutil
from market.db import db
from market.selection.draw import advance
from market.selection.models import Lottery, LotteryState, RequestState, SelectionRequest

selection_cli = AppGroup("selection", help="Selection requests and draws.")


@selection_cli.command("tick")
def tick_command() -> None:
    now = timeutil.now()
    due = set(db.session.scalars(sa.select(SelectionRequest.id).where(
        SelectionRequest.state == RequestState.OPEN.value,
        SelectionRequest.signup_closes_at <= now)))
    due |= set(db.session.scalars(sa.select(Lottery.request_id).where(
        Lottery.state == LotteryState.FROZEN.value, Lottery.external_at <= now)))
    done = 0
    for request_id in sorted(due):
        try:
            req = db.session.get(SelectionRequest, request_id)
            if req is not None:
                advance(req)
            db.session.commit()
            done += 1
        except Exception:
            db.session.rollback()
            raise
    from market.notify import send_pending_emails
    from market.selection.tasks import remind

    reminded = remind(timeutil.now())
    db.session.commit()
    emailed = send_pending_emails(timeutil.now())
    click.echo(f"advanced {done} request(s), draw reminders {reminded}, e-mails {emailed}")
