"""SMS (短信): the gateway interface, and the sending of every notification's SMS exactly once.

No SMS provider is bundled: each province contracts its own (a carrier's or a cloud's SMS
service, each with its own API and signature rules).  The platform speaks one small, documented
HTTP form to a gateway the deployment runs or points at — ``POST`` of
``{"to": "13800000000", "text": "…"}`` as JSON with ``Authorization: Bearer <token>`` to
``MARKET_SMS_GATEWAY_URL``, any 2xx meaning "accepted" — and an adapter there speaks the
provider's API.  Without that setting SMS is off and the subscription page does not offer it.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
import urllib3
from flask import current_app

from market import timeutil
from market.db import db
from market.notify.models import Notification

log = logging.getLogger("market.notify")

# a mainland mobile number (11 digits starting 1[3-9]); the gateway adds the country code
MOBILE = re.compile(r"1[3-9][0-9]{9}")
# one SMS segment of Chinese text is 70 characters; a notice's title and link fit in two
MAX_TEXT = 140


class SmsError(RuntimeError):
    """The gateway did not accept the message."""


class SmsGateway(Protocol):
    """Where SMS go: ``send`` returns once the gateway accepted the message, else raises
    :class:`SmsError` (or ``OSError`` when it cannot be reached)."""

    def send(self, phone: str, text: str) -> None: ...


class HttpGateway:
    """The HTTP form described in the module docstring."""

    def __init__(self, url: str, token: str, timeout: float = 10.0) -> None:
        self.url, self.token = url, token
        self.http = urllib3.PoolManager(timeout=urllib3.Timeout(total=timeout), retries=False)

    def send(self, phone: str, text: str) -> None:
        try:
            answer = self.http.request(
                "POST", self.url, body=json.dumps({"to": phone, "text": text}).encode(),
                headers={"Content-Type": "application/json",
                         "Authorization": f"Bearer {self.token}"})
        except urllib3.exceptions.HTTPError as error:
            raise SmsError(str(error)) from error
        if not 200 <= answer.status < 300:
            raise SmsError(f"gateway answered {answer.status}")


def gateway() -> SmsGateway | None:
    """The configured gateway, or None when SMS is off."""
    url = current_app.config.get("SMS_GATEWAY_URL")
    if not url:
        return None
    return HttpGateway(str(url), str(current_app.config.get("SMS_GATEWAY_TOKEN") or ""))


def text_of(notification: Notification) -> str:
    """The SMS of a notification: its subject and its absolute link, cut to two segments."""
    site = str(current_app.config.get("SITE_URL", "")).rstrip("/")
    link = site + notification.link if notification.link else ""
    room = MAX_TEXT - len(link) - 1
    subject = notification.subject if len(notification.subject) <= room \
        else notification.subject[:max(room - 1, 0)] + "…"
    return f"{subject} {link}".strip()


def send_sms(now: datetime) -> int:
    """Send the SMS of every notification that has a phone and was not yet claimed, each
    exactly once: the claim is one conditional UPDATE committed before the message leaves,
    so two runs racing on two instances send it once."""
    sender = gateway()
    if sender is None:
        return 0
    pending = db.session.scalars(sa.select(Notification.id).where(
        Notification.sms_phone.is_not(None), Notification.sms_claimed_at.is_(None)).order_by(
        Notification.id)).all()
    sent = 0
    for nid in pending:
        claimed = db.session.execute(sa.update(Notification).where(
            Notification.id == nid, Notification.sms_claimed_at.is_(None)).values(
            sms_claimed_at=now))
        db.session.commit()
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            continue
        n = db.session.get(Notification, nid)
        if n is None or not n.sms_phone:
            continue
        try:
            sender.send(n.sms_phone, text_of(n))
            n.smsed_at = timeutil.now()
            sent += 1
        except (OSError, SmsError) as error:
            n.sms_error = str(error)[:500]
            log.warning("notification %s not sent by SMS: %s", n.key, error)
        db.session.commit()
    return sent
