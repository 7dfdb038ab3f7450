"""E-mail transport: one message through the configured SMTP server (``MARKET_SMTP_*``).

Below every area: accounts e-mail invitations with it, the notify area e-mails reminders."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app


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
