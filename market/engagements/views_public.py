"""The contract notices (合同公告): once both sides have confirmed the contract, its parties,
service, fee, committed working days, deliverables and the standard contract as confirmed are
public — listed, and each on its own page linked from the selection notice (采购公告)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, render_template, request
from sqlalchemy.orm import joinedload

from market.accounts import tenants
from market.accounts.auth import ANYONE, access
from market.accounts.models import Division
from market.db import db
from market.engagements import operations as ops
from market.engagements.models import Engagement
from market.selection.models import SelectionRequest
from market.selection.scope import division_ids
from market.web.openapi import MAX_PAGE

bp = Blueprint("contracts", __name__)
PER_PAGE = 20


def _published() -> Any:
    return sa.select(Engagement).where(Engagement.contract_confirmed_at.is_not(None))


@bp.app_context_processor
def contract_notices() -> dict[str, Any]:
    """``contract_notices_of(request)``: the public ids of a request's contract notices, for
    the selection notice's link (the selection area knows nothing of engagements)."""

    def of(request_id: int) -> list[str]:
        return list(db.session.scalars(sa.select(Engagement.public_id).where(
            Engagement.request_id == request_id, Engagement.contract_confirmed_at.is_not(None))
            .order_by(Engagement.id)))

    return {"contract_notices_of": of}


@bp.route("/contracts")
@access(ANYONE)
def index() -> str:
    """Contract notices, the latest confirmed first."""
    return _contracts(None)


@bp.route("/d/<code>/contracts")
@access(ANYONE)
def place_index(code: str) -> str:
    """A city's or county's contract notices (``/d/<code>/contracts``, 404 for a code the
    platform does not serve): those of its requests, a city's with its counties'."""
    return _contracts(tenants.page_place(code))


def _contracts(place: Division | None) -> str:
    page = min(max(1, request.args.get("page", 1, type=int) or 1), MAX_PAGE)
    published = _published()
    if place is not None:
        published = published.where(Engagement.request_id.in_(
            sa.select(SelectionRequest.id).where(
                SelectionRequest.tenant_id.in_(division_ids(place.code)))))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(
        published.subquery())) or 0
    # what each row shows, read with the rows rather than one row at a time
    shown = (joinedload(Engagement.project), joinedload(Engagement.service_type),
             joinedload(Engagement.owner), joinedload(Engagement.agency))
    rows = db.session.scalars(published.options(*shown)
                              .order_by(Engagement.contract_confirmed_at.desc(),
                                        Engagement.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return render_template("engagements/contracts.html", rows=rows, page=page,
                           pages=max(1, -(-total // PER_PAGE)), total=total,
                           pager_to=(("contracts.place_index", {"code": place.code})
                                  if place is not None else ("contracts.index", {})))


@bp.route("/contracts/<public_id>")
@access(ANYONE)
def notice(public_id: str) -> str:
    """One contract notice (合同公告); an engagement whose contract is not confirmed yet has
    none (404, for everyone)."""
    eng = db.session.scalar(_published().where(Engagement.public_id == public_id))
    if eng is None:
        abort(404)
    return render_template("engagements/contract_notice.html", eng=eng,
                           text=ops.contract_text(eng))
