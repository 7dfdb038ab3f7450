"""Sealed quotes at rest (密封报价): what a request's current round holds, read by the opening
(:mod:`market.selection.opening`) and by the sealed bid (:mod:`market.selection.sealed`)."""

from __future__ import annotations

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.db import db
from market.selection.models import Bid, SelectionRequest

# The data-key label of quotes sealed by the platform (requests published before opening keys).
PURPOSE = "sealed-bid"


def current_bids(request: SelectionRequest, *, include_replaced: bool = False) -> list[Bid]:
    query = sa.select(Bid).where(Bid.request_id == request.id, Bid.round == request.bid_round)
    if not include_replaced:
        query = query.where(Bid.replaced_at.is_(None))
    return list(db.session.scalars(query.order_by(Bid.id)))


def my_bid(request: SelectionRequest, agency: Organisation) -> Bid | None:
    """The agency's quote in the request's current round (not replaced), if any."""
    return my_bids([request], agency).get(request.id)


def my_bids(requests: list[SelectionRequest], agency: Organisation) -> dict[int, Bid]:
    """{request id: :func:`my_bid`} for a list of requests, in one statement."""
    if not requests:
        return {}
    rounds = {r.id: r.bid_round for r in requests}
    found: dict[int, Bid] = {}
    for bid in db.session.scalars(sa.select(Bid).where(
            Bid.request_id.in_(list(rounds)), Bid.agency_org_id == agency.id,
            Bid.replaced_at.is_(None)).order_by(Bid.id)):
        if bid.round == rounds[bid.request_id]:
            found.setdefault(bid.request_id, bid)  # one per round: the first if ever more
    return found
