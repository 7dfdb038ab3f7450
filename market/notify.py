"""Reminders (提醒): in-app notifications and e-mail when a clock enters warning or overdue.

``flask clocks tick`` (cron, every few minutes) calls :func:`tick`.  It is idempotent and safe on
several machines at once: each notification has a unique key per (clock, state, due date), so
the second tick's insert fails and is skipped; the e-mail of a notification is claimed with one
conditional UPDATE before it is sent, so it goes out once even when two ticks race.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from typing import Any

import click
import sqlalchemy as sa
from flask import Blueprint, current_app, render_template
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from market import timeutil
from market.accounts.models import Membership, Role, User
from market.auth import USER, access, current_org
from market.db import UTCDateTime, db

log = logging.getLogger("market.notify")

clocks_cli = AppGroup("clocks", help="Clock reminders and timeouts.")
bp = Blueprint("notify", __name__)

ALERT_STATES = ("warning", "overdue")
KIND_WORDS = {"signing": "签约时限", "service": "服务时限", "review": "验收时限", "case": "审批时限"}
STATE_WORDS = {"warning": "即将到期", "overdue": "已逾期"}


class Notification(db.Model):  # type: ignore[name-defined,misc]
    """One reminder to one organisation (提醒); ``key`` makes it unique per clock and state."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisation.id"), index=True)
    # set when the reminder is for one person (a witness's to-do, a key holder asked to open
    # sealed quotes): only they see it and get it by e-mail, whatever their role
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"), index=True)
    clock_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clock.id"), index=True)
    state: Mapped[str] = mapped_column(sa.String(16))
    subject: Mapped[str] = mapped_column(sa.String(200))
    body: Mapped[str] = mapped_column(sa.Text)
    link: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    email_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    email_error: Mapped[str | None] = mapped_column(sa.String(500))


@dataclass
class TickResult:
    engagements_created: int = 0
    notified: int = 0
    emailed: int = 0
    released: int = 0


def _recipients_for(kind: str, owner_id: int | None, agency_id: int | None) -> list[int]:
    """Who must act on a clock: the agency for its signing and service clocks (and the owner
    for signing), the owner for its review clock and its cases."""
    if kind == "service":
        return [i for i in (agency_id, owner_id) if i]
    if kind == "signing":
        return [i for i in (owner_id, agency_id) if i]
    return [owner_id] if owner_id else []


def _announce(kind: str, state: str, row: Any, now: datetime) -> None:
    """The domain event of a clock entering warning or overdue (the webhooks hear it):
    a service clock overdue, a case clock in warning or overdue."""
    from market import events

    if kind == "service" and state == "overdue":
        events.send(events.EngagementOverdue(at=now, engagement_id=row.id,
                                             engagement_public_id=row.public_id,
                                             project_code=row.project.code))
    elif kind == "case":
        event = events.CaseClockOverdue if state == "overdue" else events.CaseClockWarning
        events.send(event(at=now, case_id=row.id, case_public_id=row.public_id,
                          project_code=row.project.code))


def _notify_clocks(now: datetime) -> int:
    from market.approvals.models import ApprovalCase
    from market.engagements.board import open_clocks
    from market.engagements.models import Engagement

    created = 0
    for row in open_clocks(None, None, now):
        if row.view.state not in ALERT_STATES:
            continue
        if row.engagement_id:
            eng = db.session.scalar(sa.select(Engagement).where(
                Engagement.public_id == row.engagement_id))
            if eng is None:
                continue
            owner_id, agency_id = eng.owner_org_id, eng.agency_org_id
            link = f"/engagements/{row.engagement_id}"
            target = row.engagement_id
        else:
            case = db.session.scalar(sa.select(ApprovalCase).where(
                ApprovalCase.public_id == row.case_id))
            if case is None:
                continue
            owner_id, agency_id = case.owner_org_id, None
            link = f"/approvals/{row.case_id}"
            target = row.case_id or ""
        due = row.view.due_date.isoformat() if row.view.due_date else "-"
        subject = f"【{STATE_WORDS[row.view.state]}】{target} {KIND_WORDS[row.kind]}"
        body = (f"{target}（{row.subject}）的{KIND_WORDS[row.kind]}{STATE_WORDS[row.view.state]}："
                f"到期日 {due}，已用 {row.view.used} 个工作日，"
                + (f"逾期 {row.view.overdue_by} 个工作日。" if row.view.state == "overdue"
                   else f"剩余 {row.view.remaining} 个工作日。"))
        recipients = _recipients_for(row.kind, owner_id, agency_id)
        for org_id in recipients:
            key = f"clock:{row.clock_id}:{row.view.state}:{due}:org:{org_id}"
            try:
                with db.session.begin_nested():
                    db.session.add(Notification(
                        key=key, organisation_id=org_id, clock_id=row.clock_id,
                        state=row.view.state, subject=subject, body=body, link=link,
                        created_at=now))
                    if org_id == recipients[0]:  # once per clock, state and due date
                        db.session.flush()
                        _announce(row.kind, row.view.state, eng if row.engagement_id
                                  else case, now)
                created += 1
            except IntegrityError:
                continue  # already sent by an earlier (or a concurrent) tick
    return created


def send_emails(now: datetime) -> int:
    """E-mail every notification not yet claimed (each exactly once, see the module doc)."""
    host = current_app.config.get("SMTP_HOST")
    if not host:
        return 0
    pending = db.session.scalars(sa.select(Notification.id).where(
        Notification.email_claimed_at.is_(None)).order_by(Notification.id)).all()
    sent = 0
    for nid in pending:
        claimed = db.session.execute(sa.update(Notification).where(
            Notification.id == nid, Notification.email_claimed_at.is_(None)).values(
            email_claimed_at=now))
        db.session.commit()  # the claim is durable before the mail leaves
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        n = db.session.get(Notification, nid)
        if n is None:
            continue
        if n.user_id is not None:
            emails = db.session.scalars(sa.select(User.email).where(
                User.id == n.user_id, User.active.is_(True))).all()
        else:
            emails = db.session.scalars(sa.select(User.email).join(
                Membership, Membership.user_id == User.id).where(
                Membership.organisation_id == n.organisation_id,
                Membership.role.in_([r.value for r in Role if r != Role.REGULATOR]))).all()
        try:
            send_email(list(emails), n.subject, n.body + "\n\n" + _absolute(n.link))
            n.emailed_at = timeutil.now()
            sent += 1
        except (OSError, smtplib.SMTPException) as error:
            n.email_error = str(error)[:500]
            log.warning("reminder %s not e-mailed: %s", n.key, error)
        db.session.commit()
    return sent


def _absolute(link: str) -> str:
    return str(current_app.config.get("SITE_URL", "")).rstrip("/") + link


def send_email(to: list[str], subject: str, body: str) -> None:
    if not to:
        return
    config = current_app.config
    msg = EmailMessage()
    msg["From"] = config.get("SMTP_FROM") or "noreply@market.example"
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg.set_content(body)
    with smtplib.SMTP(config["SMTP_HOST"], int(config.get("SMTP_PORT") or 25),
                      timeout=30) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USER"):
            smtp.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
        smtp.send_message(msg)


def _release_paid(now: datetime) -> int:
    """Accepted engagements paid in full since acceptance: release the fee (offline backend)."""
    from market.engagements import operations as ops
    from market.engagements.models import Engagement, EngagementState

    released = 0
    for eng in db.session.scalars(sa.select(Engagement).where(
            Engagement.state == EngagementState.ACCEPTED.value)):
        with db.session.begin_nested():
            if ops.try_release(eng):
                released += 1
    return released


def tick() -> TickResult:
    """One reminder run (see the module docstring); commits as it goes."""
    from market.engagements import operations as ops

    now = timeutil.now()
    result = TickResult()
    result.engagements_created = ops.sync_from_awards()
    db.session.commit()
    result.notified = _notify_clocks(now)
    result.released = _release_paid(now)
    db.session.commit()
    result.emailed = send_emails(now)
    return result


@clocks_cli.command("tick")
def tick_command() -> None:
    """Send reminders for clocks in warning or overdue; release paid, accepted fees."""
    r = tick()
    click.echo(f"engagements created {r.engagements_created}, notifications {r.notified}, "
               f"e-mails {r.emailed}, releases {r.released}")


@bp.route("/notifications")
@access(USER)
def index() -> str:
    """The reminders of the current organisation, and this person's own (a witness's to-do
    reaches them whichever organisation they act for)."""
    from flask_login import current_user

    org = current_org()
    rows = db.session.scalars(sa.select(Notification).where(sa.or_(
        sa.and_(Notification.organisation_id == (org.id if org else -1),
                Notification.user_id.is_(None)),
        Notification.user_id == current_user.id)).order_by(
        Notification.id.desc()).limit(200)).all()
    return render_template("dashboard/notifications.html", notifications=rows)
