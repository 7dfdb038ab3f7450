"""``GET /api/ocds/<request_id>.json``: a request as an OCDS 1.1 release package."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, request, url_for
from flask.typing import ResponseReturnValue

from market.api.spec import MAX_PAGE, error_response
from market.auth import ANYONE, access
from market.db import db
from market.ocds.export import bulk_package, package
from market.selection.models import RequestState, SelectionRequest

bp = Blueprint("ocds", __name__)


@bp.route("/api/ocds/<request_id>.json")
@access(ANYONE)
def request_package(request_id: str) -> ResponseReturnValue:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == request_id,
        SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        return error_response(404, "not_found", f"no published selection request {request_id}")
    response = jsonify(package(req))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


BULK_PAGE = 100


@bp.route("/api/ocds/releases.json")
@access(ANYONE)
def bulk() -> ResponseReturnValue:
    """Every published request as one release package, 100 per page (``?page=``), newest
    first; the ``links.next`` of OCDS 1.1 packages is not in 1.1's schema, so the total is
    in the ``X-Total-Count`` header."""
    raw = request.args.get("page", "1")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        return error_response(400, "bad_request", "page is a positive integer")
    page = int(raw)
    query = sa.select(SelectionRequest).where(SelectionRequest.state != RequestState.DRAFT.value)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    rows = list(db.session.scalars(query.order_by(SelectionRequest.id.desc())
                                   .limit(BULK_PAGE).offset((page - 1) * BULK_PAGE)))
    response = jsonify(bulk_package(rows, url_for("ocds.bulk", page=page, _external=True)))
    response.headers["X-Total-Count"] = str(total)
    return response
