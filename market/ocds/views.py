"""``GET /api/ocds/<request_id>.json``: a request as an OCDS 1.1 release package."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify
from flask.typing import ResponseReturnValue

from market.auth import ANYONE, access
from market.db import db
from market.ocds.export import package
from market.selection.models import RequestState, SelectionRequest

bp = Blueprint("ocds", __name__)


@bp.route("/api/ocds/<request_id>.json")
@access(ANYONE)
def request_package(request_id: str) -> ResponseReturnValue:
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == request_id,
        SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        return jsonify({"error": {"code": "not_found",
                                  "message": f"no published selection request {request_id}"}}), 404
    response = jsonify(package(req))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response
