"""Home page, language and care-mode switches, health check."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session
from werkzeug.wrappers import Response

from market import pagecache, timeutil
from market.accounts.auth import ANYONE, access
from market.accounts.models import Organisation, OrgKind, OrgStatus
from market.catalogue.models import ServiceType
from market.db import db
from market.forms import ActionForm
from market.public import front

bp = Blueprint("public", __name__)


def _back() -> str:
    target = request.form.get("next") or request.referrer or "/"
    # Same-site paths only.
    if not target.startswith("/") or target.startswith("//"):
        host = request.host_url
        target = target[len(host) - 1 :] if target.startswith(host) else "/"
    return target


@bp.route("/")
@access(ANYONE)
# contract notices are engagements, whose writes count in the ``records`` scope
@pagecache.cached(pagecache.DIRECTORY, pagecache.SELECTION, pagecache.RECORDS)
def home() -> str:
    """The city's front window: search, the notices open for sign-up, today's draws, the
    latest results and contract notices, last month's headline figures, and where the open
    data is."""
    now = timeutil.now()
    stats = {
        "agencies": db.session.scalar(
            sa.select(sa.func.count(Organisation.id)).where(
                Organisation.kind == OrgKind.AGENCY.value,
                Organisation.status == OrgStatus.ADMITTED.value,
            )
        ),
        "service_types": db.session.scalar(sa.select(sa.func.count(ServiceType.id))),
        "owners": db.session.scalar(
            sa.select(sa.func.count(Organisation.id)).where(
                Organisation.kind == OrgKind.OWNER.value,
                Organisation.status == OrgStatus.ACTIVE.value,  # checked by the operator
            )
        ),
    }
    service_types = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).all()
    window = front.open_for_signup(now)
    draws = front.draws_today(now)
    # a deadline passing (a close, a draw's external value) changes this page without a write
    for moment in [r.signup_closes_at for r in window] + [d.external_at for d in draws]:
        if moment is not None and moment > now:
            pagecache.fresh_until(moment)
    return render_template("public/home.html", stats=stats, service_types=service_types,
                           window=window, draws=draws, results=front.latest_results(),
                           contracts=front.latest_contracts(),
                           headline=front.headline(), now=now)


@bp.route("/language", methods=["POST"])
@access(ANYONE)
def language() -> Response:
    """Switch the interface language (中文 / English); kept in the session."""
    code = request.form.get("lang", "")
    if ActionForm().validate_on_submit() and code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(_back())


@bp.route("/care-mode", methods=["POST"])
@access(ANYONE)
def care_mode() -> Response:
    """Toggle 关怀版: larger text and higher contrast, as government sites offer."""
    if ActionForm().validate_on_submit():
        session["care"] = not session.get("care", False)
    return redirect(_back())


@bp.route("/healthz")
@access(ANYONE)
def healthz() -> Response:
    db.session.execute(sa.text("SELECT 1"))
    return jsonify({"status": "ok"})
