"""The notifications page."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template
from flask_login import current_user

from market.accounts.auth import USER, access, current_org
from market.db import db
from market.notify.models import Notification

bp = Blueprint("notify", __name__)


@bp.route("/notifications")
@access(USER)
def index() -> str:
    """The reminders of the current organisation, and this person's own (a witness's to-do
    reaches them whichever organisation they act for)."""
    org = current_org()
    rows = db.session.scalars(sa.select(Notification).where(sa.or_(
        sa.and_(Notification.organisation_id == (org.id if org else -1),
                Notification.user_id.is_(None)),
        Notification.user_id == current_user.id)).order_by(
        Notification.id.desc()).limit(200)).all()
    return render_template("dashboard/notifications.html", notifications=rows)
