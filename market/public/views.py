"""Home page, language and care-mode switches, health check."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from market import pagecache, timeutil
from market.accounts import tenants
from market.accounts.auth import ANYONE, access
from market.accounts.models import Division, Organisation, OrgKind, OrgStatus
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


@bp.app_context_processor
def site() -> dict[str, Any]:
    """The site's name (header, titles) and the city or county whose pages these are, if any
    (:func:`market.accounts.tenants.page_place`)."""
    place: Division | None = g.get("place")
    if "site_name" not in g:
        try:
            g.site_name = tenants.site_name(place)
        except SQLAlchemyError:  # an error page while the database fails: the configured name
            g.site_name = current_app.config["SITE_NAME"]
    return {"site_name": g.site_name, "place": place}


@bp.route("/")
@access(ANYONE)
# contract notices are engagements, whose writes count in the ``records`` scope
@pagecache.cached(pagecache.DIRECTORY, pagecache.SELECTION, pagecache.RECORDS)
def home() -> str:
    """The platform's front window: search, the notices open for sign-up, today's draws, the
    latest results and contract notices, last month's headline figures, and where the open
    data is."""
    return _home(None)


@bp.route("/d/<code>/")
@access(ANYONE)
@pagecache.cached(pagecache.DIRECTORY, pagecache.SELECTION, pagecache.RECORDS)
def place_home(code: str) -> str:
    """A city's or county's front window (``code``: its GB/T 2260 code): the same as the
    platform's, with its own requests (a city's with its counties'), its own owners, and the
    province's agencies (one register)."""
    return _home(tenants.page_place(code))


def _home(where: Division | None) -> str:
    division = where.code if where is not None else None
    now = timeutil.now()
    owners = sa.select(sa.func.count(Organisation.id)).where(
        Organisation.kind == OrgKind.OWNER.value,
        Organisation.status == OrgStatus.ACTIVE.value,  # checked by the operator
    )
    if division:
        owners = owners.where(Organisation.tenant_id.in_(tenants.ids_under(division)))
    stats = {
        "agencies": db.session.scalar(
            sa.select(sa.func.count(Organisation.id)).where(
                Organisation.kind == OrgKind.AGENCY.value,
                Organisation.status == OrgStatus.ADMITTED.value,
            )
        ),
        "service_types": db.session.scalar(sa.select(sa.func.count(ServiceType.id))),
        "owners": db.session.scalar(owners),
    }
    service_types = db.session.scalars(sa.select(ServiceType).order_by(ServiceType.code)).all()
    served = tenants.tenants()
    window = front.open_for_signup(now, division)
    draws = front.draws_today(now, division)
    # a deadline passing (a close, a draw's external value) changes this page without a write
    for moment in [r.signup_closes_at for r in window] + [d.external_at for d in draws]:
        if moment is not None and moment > now:
            pagecache.fresh_until(moment)
    return render_template("public/home.html", stats=stats, service_types=service_types,
                           window=window, draws=draws,
                           results=front.latest_results(division),
                           contracts=front.latest_contracts(division),
                           headline=front.headline(), now=now,
                           places=[] if where is not None or len(served) < 2 else served)


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
