"""Billing pages (费用结算): engagements' money, receipts, statements, the Stripe webhook.

Views parse input, call one backend operation and render; the access wrapper commits.  Until
the engagements issue lands, an engagement is known here only by billing's own record of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import sqlalchemy as sa
import stripe
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from billing import ledger
from billing.errors import BillingError
from billing.forms import OfflinePaymentForm
from billing.integration import backend
from billing.models import BillingEngagement, LedgerTransaction, Payment
from billing.money import format_fen, yuan_to_fen
from billing.stripe_backend import StripeBilling
from market.accounts.auth import (
    ANYONE,
    access,
    current_org,
    current_reach,
    current_role,
    within_reach,
)
from market.accounts.models import Organisation, Role
from market.db import db
from market.extensions import csrf
from market.forms import ActionForm

log = logging.getLogger("billing.webhook")

bp = Blueprint("billing", __name__, url_prefix="/billing")

WEBHOOK_TOLERANCE_SECONDS = 300

STATUS_NAMES = {
    "awaiting_payment": _l("待付款"),
    "partly_paid": _l("部分付款"),
    "funded": _l("已付款，资金托管中"),
    "released": _l("已结算，待中介机构确认收款"),
    "paid_out": _l("已结清"),
    "cancelled": _l("已取消"),
}
KIND_NAMES = {
    "due": _l("合同应付"),
    "funded": _l("业主付款"),
    "released": _l("验收结算"),
    "platform_fee": _l("平台服务费"),
    "payout": _l("中介机构收款"),
    "written_off": _l("取消后免付"),
    "reversal": _l("结算回退"),
    "refunded": _l("退款"),
}


@bp.app_template_filter("yuan")
def yuan_filter(fen: int) -> str:
    return format_fen(fen)


# The project an engagement belongs to: the engagements area, above this one, tells it
# (create_app connects it), so that an owner's delegate sees the payments of its projects'
# engagements only (market.accounts.scope.Reach).
_project_of: Callable[[int], int | None] | None = None


def connect(project_of: Callable[[int], int | None]) -> None:
    global _project_of
    _project_of = project_of


def _owner_sees(eng: BillingEngagement) -> bool:
    if _project_of is None:
        raise RuntimeError("billing's engagement reader is not connected (create_app)")
    return within_reach(eng.owner_org_id, _project_of(eng.id))


def _visible_engagement(engagement_id: int) -> BillingEngagement:
    """The engagement if the current organisation may see it (regulators see all; an owner's
    delegate, those of its projects), else 404."""
    eng: BillingEngagement | None = db.session.get(BillingEngagement, engagement_id)
    if eng is None:
        abort(404)
    if current_role() == Role.REGULATOR:
        return eng
    org = current_org()
    if org is None or not (org.id == eng.agency_org_id or _owner_sees(eng)):
        abort(404)
    return eng


def _orgs(*ids: int) -> dict[int, Organisation]:
    rows = db.session.scalars(sa.select(Organisation).where(Organisation.id.in_(ids)))
    return {o.id: o for o in rows}


def _error(error: BillingError) -> str:
    return str(_(error.message, **error.params))


@bp.route("/")
@access("owner", "agency", "regulator")
def index() -> str:
    billing = backend()
    org = current_org()
    scope = None if current_role() == Role.REGULATOR else (org.id if org else -1)
    engagements = billing.engagements_of(scope)
    reach = current_reach()
    if reach is not None and reach.delegate:
        engagements = [e for e in engagements if _owner_sees(e)]
    orgs = _orgs(*{i for e in engagements for i in (e.owner_org_id, e.agency_org_id)})
    summaries = billing.summaries(engagements)
    return render_template("billing/index.html", rows=[
        (e, summaries[e.id]) for e in engagements], orgs=orgs, status_names=STATUS_NAMES)


@bp.route("/engagements/<int:engagement_id>")
@access("owner", "agency", "regulator")
def engagement(engagement_id: int) -> str:
    eng = _visible_engagement(engagement_id)
    billing = backend()
    return _render_engagement(eng, billing.summary(eng.id), OfflinePaymentForm())


def _render_engagement(eng: BillingEngagement, summary: object, form: OfflinePaymentForm) -> str:
    txns = db.session.scalars(sa.select(LedgerTransaction).where(
        LedgerTransaction.engagement_id == eng.id).order_by(LedgerTransaction.id))
    org = current_org()
    return render_template(
        "billing/engagement.html", eng=eng, summary=summary, txns=list(txns),
        orgs=_orgs(eng.owner_org_id, eng.agency_org_id), form=form,
        is_owner=org is not None and org.id == eng.owner_org_id,
        is_agency_admin=(org is not None and org.id == eng.agency_org_id
                         and current_role() == Role.AGENCY_ADMIN),
        status_names=STATUS_NAMES, kind_names=KIND_NAMES, backend_name=backend().name)


@bp.route("/engagements/<int:engagement_id>/payments", methods=["POST"])
@access("owner")
def record_payment(engagement_id: int) -> ResponseReturnValue:
    eng = _visible_engagement(engagement_id)
    org = current_org()
    if org is None or org.id != eng.owner_org_id:
        abort(404)
    billing = backend()
    form = OfflinePaymentForm()
    if form.validate_on_submit():
        try:
            amount = yuan_to_fen(form.amount.data or "")
            payment_id = billing.record_offline_payment(
                eng.id, reference=form.reference.data or "", paid_on=form.paid_on.data,
                amount_fen=amount)
        except BillingError as error:
            field = getattr(form, error.field or "amount")
            field.errors = [*field.errors, _error(error)]
        else:
            flash(_("付款已登记。"), "success")
            return redirect(url_for("billing.receipt", payment_id=payment_id))
    return _render_engagement(eng, billing.summary(eng.id), form), 400


@bp.route("/engagements/<int:engagement_id>/payout", methods=["POST"])
@access(Role.AGENCY_ADMIN)
def confirm_payout(engagement_id: int) -> ResponseReturnValue:
    eng = _visible_engagement(engagement_id)
    org = current_org()
    if org is None or org.id != eng.agency_org_id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        backend().confirm_payout(eng.id)
    except BillingError as error:
        flash(_error(error), "error")
        return redirect(url_for("billing.engagement", engagement_id=eng.id))
    flash(_("已确认收款。"), "success")
    return redirect(url_for("billing.engagement", engagement_id=eng.id))


@bp.route("/payments/<int:payment_id>/receipt")
@access("owner", "agency", "regulator")
def receipt(payment_id: int) -> str:
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        abort(404)
    eng = _visible_engagement(payment.engagement_id)
    return render_template("billing/receipt.html", payment=payment, eng=eng,
                           orgs=_orgs(eng.owner_org_id, eng.agency_org_id))


@bp.route("/statement")
@access("owner", "agency", "regulator")
def statement() -> str:
    billing = backend()
    if current_role() == Role.REGULATOR:
        org_id = request.args.get("org", type=int)
        if org_id is None:
            return render_template("billing/ledger.html", balances=ledger.balances(db.session),
                                   total=ledger.total(db.session))
    else:
        org = current_org()
        if org is None:
            abort(404)
        org_id = org.id
    organisation = db.session.get(Organisation, org_id)
    if organisation is None:
        abort(404)
    only = None
    reach = current_reach()
    if reach is not None and reach.delegate:
        # a delegate's statement: its assigned projects' engagements and their balance
        only = {e.id for e in billing.engagements_of(org_id) if _owner_sees(e)}
    return render_template("billing/statement.html", statement=billing.statement(org_id, only),
                           organisation=organisation, kind_names=KIND_NAMES,
                           partial=only is not None)


@bp.route("/stripe/webhook", methods=["POST"])
@csrf.exempt  # type: ignore[untyped-decorator]  # Flask-WTF ships no types
@access(ANYONE)
def stripe_webhook() -> ResponseReturnValue:
    """Check the signature on the raw body, then hand the event to the backend.  Anything
    wrong is a 400 and changes nothing (the access wrapper rolls back)."""
    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    billing = backend()
    if not secret or not isinstance(billing, StripeBilling):
        abort(404)
    try:
        event = stripe.Webhook.construct_event(
            request.get_data(), request.headers.get("Stripe-Signature"), secret,
            tolerance=WEBHOOK_TOLERANCE_SECONDS)
    except (ValueError, stripe.SignatureVerificationError) as error:
        log.warning("refused a Stripe webhook: %s", error)
        return jsonify({"error": "bad signature"}), 400
    try:
        outcome = billing.handle_event(event)
    except BillingError as error:
        log.warning("webhook %s could not be applied: %s", event.id, error)
        return jsonify({"error": str(error)}), 400
    return jsonify({"received": event.id, "outcome": outcome})
