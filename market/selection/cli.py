"""``flask selection tick``: closes, voids, re-announcements and openings that time alone decides,
and what is due from people: the draw reminders (witnesses, the external value) and the daily
reminders to the key holders of sealed quotes awaiting their opening, sent as domain events that
the notify area turns into reminders (e-mailed, like every reminder, by ``flask clocks tick``).

Safe to run twice or on several machines at once: each request is advanced in its own
transaction under its lottery's row lock, and every step re-checks the state it changes."""

from __future__ import annotations

import click
import sqlalchemy as sa
from flask.cli import AppGroup

from market import timeutil
from market.db import db
from market.selection import opening
from market.selection.award import remind_objections
from market.selection.models import (
    Award,
    AwardState,
    Lottery,
    LotteryState,
    RequestState,
    SelectionRequest,
)
from market.selection.procedures import advance
from market.selection.tasks import remind

selection_cli = AppGroup("selection", help="Selection requests and draws.")


@selection_cli.command("tick")
def tick_command() -> None:
    now = timeutil.now()
    due = set(db.session.scalars(sa.select(SelectionRequest.id).where(
        SelectionRequest.state == RequestState.OPEN.value,
        SelectionRequest.signup_closes_at <= now)))
    due |= set(db.session.scalars(sa.select(Lottery.request_id).where(
        Lottery.state == LotteryState.FROZEN.value, Lottery.external_at <= now)))
    # Offered awards: their confirmation deadline counts working days, so which have passed
    # it is left to advance(), which applies the timeout (逾期未确认) and offers the next.
    due |= set(db.session.scalars(sa.select(Award.request_id).where(
        Award.state == AwardState.OFFERED.value)))
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

    now = timeutil.now()
    reminded = remind(now)
    holders = opening.remind(now)
    objections = remind_objections(now)
    db.session.commit()
    click.echo(f"advanced {done} request(s), draw reminders {reminded}, reminded {holders} key "
               f"holder(s) to open sealed quotes, {objections} objection reminder(s)")


@selection_cli.command("reseal")
def reseal_command() -> None:
    """Seal the quotes of open sealed bids published before opening keys (sealed with the
    platform's data key) to the regulators' opening keys instead.  Run once after the key
    holders have registered their keys; safe to run again."""
    for public_id, what in opening.reseal_platform_requests():
        click.echo(f"{public_id}: {what}")
    db.session.commit()
