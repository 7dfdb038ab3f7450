"""E-mail of notifications: every notification not yet e-mailed, each exactly once
(:func:`send_emails`), through the SMTP transport (:mod:`market.mail`): the e-mail of a
notification is claimed with one conditional UPDATE before it is sent, so it goes out once
even when two runs race."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

import sqlalchemy as sa
from flask import current_app

from market import timeutil
from market.accounts.models import Membership, Role, User
from market.accounts.scope import reaching
from market.db import db
from market.mail import send_email
from market.notify.models import Notification

log = logging.getLogger("market.notify")


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
                Membership.role.in_([r.value for r in Role if r != Role.REGULATOR]),
                reaching(n.project_id))).all()
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
