"""The operator's pages for the approval systems' integration (系统对接): machine clients
(create, see the secret once, revoke, last use), their webhook endpoints and the delivery log
(every attempt; replay)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from market.accounts.auth import access
from market.accounts.models import OrgKind
from market.catalogue.models import Department
from market.db import db
from market.forms import ActionForm, show_error
from market.i18n import N_
from market.integration import clients as ops
from market.integration import replay as replays
from market.integration.forms import PLATFORM, ClientForm
from market.integration.models import (
    SCOPES,
    ApiClient,
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
)

bp = Blueprint("integration", __name__, url_prefix="/operator")

SCOPE_LABELS = {
    "cases:write": _l("写入办件事件"),
    "projects:read": _l("读取项目"),
    "deliverables:read": _l("读取服务成果"),
    "webhooks:manage": _l("管理推送地址"),
}
STATE_LABELS = {
    DeliveryState.PENDING.value: _l("待送达"),
    DeliveryState.DELIVERED.value: _l("已送达"),
    DeliveryState.FAILED.value: _l("已放弃"),
    DeliveryState.CANCELLED.value: _l("已取消"),
}


def _client_form() -> ClientForm:
    form = ClientForm()
    departments = db.session.scalars(sa.select(Department).order_by(Department.name)).all()
    form.department.choices = [SelectChoice("", _("（请选择）")),
                               SelectChoice(PLATFORM, _("省级平台（可见全部项目）")),
                               *(SelectChoice(str(d.code), d.name)
                                 for d in departments)]
    # The scope's code is what the integrator writes in its token request: shown as code.
    form.scopes.choices = [SelectChoice(s, Markup("{} <code>{}</code>").format(SCOPE_LABELS[s], s))
                           for s in SCOPES]
    return form


@bp.route("/clients", methods=["GET", "POST"])
@access(OrgKind.OPERATOR)
def clients() -> ResponseReturnValue:
    form = _client_form()
    created = None
    if form.validate_on_submit():
        department = form.department.data or ""
        try:
            if not department:
                raise ops.ClientError("department", N_("请选择所属部门，或省级平台。"))
            created = ops.create_client(
                form.name.data or "", None if department == PLATFORM else department,
                list(form.scopes.data or []), created_by_id=current_user.id)
        except ops.ClientError as error:
            show_error(form, error)
        else:
            form = _client_form()
            form.name.data, form.department.data, form.scopes.data = "", "", []
    rows = db.session.scalars(sa.select(ApiClient).options(selectinload(ApiClient.department))
                              .order_by(ApiClient.revoked_at.is_not(None), ApiClient.id.desc())
                              ).all()
    return render_template("integration/clients.html", form=form, rows=rows, created=created,
                           scope_labels=SCOPE_LABELS), 400 if form.errors else 200


@bp.route("/clients/<client_id>/revoke", methods=["POST"])
@access(OrgKind.OPERATOR)
def revoke(client_id: str) -> Response:
    row = db.session.scalar(sa.select(ApiClient).where(ApiClient.client_id == client_id))
    if row is None:
        abort(404)
    if ActionForm().validate_on_submit():
        try:
            ops.revoke_client(client_id, by_user_id=current_user.id)
        except ops.ClientError as error:
            flash(_(error.message, **error.params), "error")
        else:
            flash(_("已停用接入系统 %(name)s，其令牌立即失效。", name=row.name), "success")
    return redirect(url_for("integration.clients"))


@bp.route("/webhooks")
@access(OrgKind.OPERATOR)
def webhooks() -> ResponseReturnValue:
    state = request.args.get("state", "")
    if state and state not in STATE_LABELS:
        abort(400)
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).options(
        selectinload(WebhookEndpoint.client)).order_by(
        WebhookEndpoint.removed_at.is_not(None), WebhookEndpoint.id.desc())).all()
    query = sa.select(WebhookDelivery).options(
        selectinload(WebhookDelivery.message), selectinload(WebhookDelivery.endpoint))
    if state:
        query = query.where(WebhookDelivery.state == state)
    deliveries = db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(200)).all()
    counts = dict(db.session.execute(sa.select(WebhookDelivery.state, sa.func.count())
                                     .group_by(WebhookDelivery.state)).all())
    return render_template("integration/webhooks.html", endpoints=endpoints,
                           deliveries=deliveries, state=state, counts=counts,
                           state_labels=STATE_LABELS)


def _delivery(delivery_id: int) -> WebhookDelivery:
    row = db.session.get(WebhookDelivery, delivery_id)
    if row is None:
        abort(404)
    return row


@bp.route("/webhooks/deliveries/<int:delivery_id>")
@access(OrgKind.OPERATOR)
def delivery(delivery_id: int) -> ResponseReturnValue:
    row = _delivery(delivery_id)
    return render_template("integration/delivery.html", d=row, state_labels=STATE_LABELS,
                           can_replay=replays.can_replay(row))


@bp.route("/webhooks/deliveries/<int:delivery_id>/replay", methods=["POST"])
@access(OrgKind.OPERATOR)
def replay(delivery_id: int) -> Response:
    row = _delivery(delivery_id)
    if ActionForm().validate_on_submit():
        try:
            replays.request_replay(row, by_user_id=current_user.id)
        except replays.ReplayError as error:
            flash(_(error.message), "error")
        else:
            flash(_("已安排重新推送：推送任务下次运行时发出（同一 webhook-id）。"), "success")
    return redirect(url_for("integration.delivery", delivery_id=delivery_id))
