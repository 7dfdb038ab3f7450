"""The notifications page, and the agency's subscription to new notices."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from market.accounts.auth import USER, access, current_org, current_reach
from market.accounts.models import Organisation, OrgKind
from market.catalogue.models import ServiceType
from market.db import db
from market.forms import ActionForm, show_error
from market.notify import sms, subscriptions
from market.notify.forms import SubscriptionForm
from market.notify.models import Notification
from market.templating import service_name

bp = Blueprint("notify", __name__)


@bp.route("/notifications")
@access(USER)
def index() -> str:
    """The reminders of the current organisation, and this person's own (a witness's to-do
    reaches them whichever organisation they act for)."""
    org = current_org()
    shown = sa.or_(sa.and_(Notification.organisation_id == (org.id if org else -1),
                           Notification.user_id.is_(None)),
                   Notification.user_id == current_user.id)
    reach = current_reach()
    if reach is not None:
        # an owner's delegate: of its organisation's reminders (and its own), those of its
        # assigned projects and those about no project (the organisation's activation or
        # refusal, a witness's to-do), which every member sees
        shown = sa.and_(shown, sa.or_(
            Notification.organisation_id != reach.org_id,
            reach.where(Notification.organisation_id, Notification.project_id,
                        unit_wide=True)))
    rows = db.session.scalars(sa.select(Notification).where(shown).order_by(
        Notification.id.desc()).limit(200)).all()
    return render_template("dashboard/notifications.html", notifications=rows)


def _agency() -> Organisation:
    org = current_org()
    if org is None or org.kind != OrgKind.AGENCY.value:
        abort(403)
    return org


@bp.route("/agency/subscriptions", methods=["GET", "POST"])
@access(OrgKind.AGENCY)
def subscription() -> ResponseReturnValue:
    """An agency's subscription to new notices: by service type and region, at once or in a
    daily digest, by e-mail and (when the platform has a gateway) SMS."""
    org = _agency()
    row = subscriptions.of(org)
    sms_on = sms.gateway() is not None
    form = SubscriptionForm()
    form.service_codes.choices = [
        SelectChoice(t.code, service_name(t)) for t in db.session.scalars(
            sa.select(ServiceType).order_by(ServiceType.code))]
    form.regions.choices = [SelectChoice(r, r) for r in subscriptions.regions()]
    if row is not None and not form.is_submitted():
        form.service_codes.data = list(row.service_codes or [])
        form.regions.data = list(row.regions or [])
        form.frequency.data = "daily" if row.daily else "now"
        form.sms_phone.data = row.sms_phone or ""
    if form.validate_on_submit():
        try:
            subscriptions.save(org, current_user, form.service_codes.data or [],
                               form.regions.data or [], form.frequency.data == "daily",
                               form.sms_phone.data or "", sms_on)
        except subscriptions.SubscriptionError as error:
            show_error(form, error)
        else:
            flash(_("订阅已保存。"), "success")
            return redirect(url_for("notify.subscription"))
    return render_template("notify/subscription.html", form=form, row=row, sms_on=sms_on,
                           cancel_form=ActionForm()), 400 if form.errors else 200


@bp.route("/agency/subscriptions/cancel", methods=["POST"])
@access(OrgKind.AGENCY)
def cancel_subscription() -> ResponseReturnValue:
    """The agency stops hearing of new notices (取消订阅)."""
    org = _agency()
    form = ActionForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        subscriptions.cancel(org, current_user)
    except subscriptions.SubscriptionError as error:
        show_error(form, error)
        return redirect(url_for("notify.subscription"))
    flash(_("已取消订阅。"), "success")
    return redirect(url_for("notify.subscription"))
