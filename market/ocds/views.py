"""``GET /api/ocds/<request_id>.json``: a request as an OCDS 1.1 release package."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, jsonify, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from market.accounts.auth import ANYONE, access
from market.db import db
from market.ocds.export import bulk_package, package
from market.ocds.schemas import OCDS_BULK_PAGE, OcdsBulkQuery, OcdsReleasePackage
from market.selection.models import RequestState, SelectionRequest
from market.web.openapi import ApiError, PathParam, endpoint

bp = Blueprint("ocds", __name__)


@bp.route("/api/ocds/<request_id>.json")
@access(ANYONE)
@endpoint(response=OcdsReleasePackage, tag="ocds", errors=(404,), path={
    "request_id": PathParam("a published selection request's public id (RQ-000123)",
                            r"^RQ-[0-9]+$")})
def request_package(request_id: str) -> ResponseReturnValue:
    """One published selection request as an OCDS 1.1 release package (one release)."""
    req: SelectionRequest | None = db.session.scalar(sa.select(SelectionRequest).where(
        SelectionRequest.public_id == request_id,
        SelectionRequest.state != RequestState.DRAFT.value))
    if req is None:
        raise ApiError(404, "not_found", _("没有已发布的采购公告 %(id)s。", id=request_id))
    response = jsonify(package(req))
    response.headers["Content-Type"] = "application/json; charset=utf-8"
    return response


@bp.route("/api/ocds/releases.json")
@access(ANYONE)
@endpoint(query=OcdsBulkQuery, response=OcdsReleasePackage, tag="ocds", errors=(404,),
          headers={"X-Total-Count": "published selection requests, all pages"})
def bulk(query: OcdsBulkQuery) -> ResponseReturnValue:
    """Every published selection request as one OCDS 1.1 release package, newest first.

    100 releases a page (`?page=`); the `links.next` of OCDS 1.1 packages is not in 1.1's
    schema, so the total is in the `X-Total-Count` header.  A page past the last one (or any
    page before the first publication) is 404 `no_releases`: a release package must hold at
    least one release."""
    published = sa.select(SelectionRequest).where(
        SelectionRequest.state != RequestState.DRAFT.value)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(published.subquery())) or 0
    offset = (query.page - 1) * OCDS_BULK_PAGE
    rows = list(db.session.scalars(published.order_by(SelectionRequest.id.desc())
                                   .limit(OCDS_BULK_PAGE).offset(offset)))
    if not rows:
        raise ApiError(404, "no_releases",
                       f"page {query.page} holds no release ({total} published in all)")
    response = jsonify(bulk_package(rows, url_for("ocds.bulk", page=query.page, _external=True)))
    response.headers["X-Total-Count"] = str(total)
    return response
