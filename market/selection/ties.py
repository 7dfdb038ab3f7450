"""The tie-break draw after an opening (密封报价 and 方案择优): when several agencies share the
best result, a lottery-v1 draw among them decides, with its own id, the tied registered by the
system and the pool frozen at once; the request's witnesses then type their digits and the
external source named in the notice decides (the draw and its bundle are every lottery's)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from lottery.draw import pool_root
from market.accounts import audit
from market.db import db
from market.selection.draw import announce
from market.selection.models import Lottery, LotteryState, SelectionRequest
from market.transparency import log

SYSTEM = "system"


def announce_tie(request: SelectionRequest, tied: list[str], replaces: str | None,
                 extra: dict[str, Any]) -> Lottery:
    """Announce the draw among ``tied`` (public ids) for the request's current round, register
    them and freeze the pool now; ``extra`` goes into the announcement (its purpose and the tied
    result).  ``replaces`` names the voided draw it replaces (lottery-v1 §7 rule 7)."""
    at = log.next_time()  # the pool is frozen now: the external source is planned from now
    lottery = announce(request, replaces, closes_at=at, at=at, fallback=True,
                       extra={**extra, "bid_round": request.bid_round})
    pool = sorted(tied, key=lambda a: a.encode())
    items: list[tuple[str, str, dict[str, Any]]] = [
        ("register", lottery.lottery_id, {"agency_id": a, "by": SYSTEM}) for a in pool]
    items.append(("freeze", lottery.lottery_id, {"pool": pool, "pool_root": pool_root(pool).hex()}))
    log.append(items, at=at)
    lottery.pool = pool
    lottery.state = LotteryState.FROZEN.value
    audit.record("system:lottery:freeze", lottery.lottery_id, {"pool": len(pool), "tie": True})
    return lottery


def unreplaced_void(request: SelectionRequest) -> str | None:
    """The request's last voided lottery not yet replaced (a new draw must name it, §7 rule 7)."""
    rows = db.session.scalars(sa.select(Lottery).where(Lottery.request_id == request.id)
                              .order_by(Lottery.id)).all()
    replaced = {r.replaces for r in rows if r.replaces}
    voided = [r.lottery_id for r in rows
              if r.state == LotteryState.VOID and r.lottery_id not in replaced]
    return voided[-1] if voided else None


def drawn_tie(request: SelectionRequest) -> Lottery | None:
    """The drawn tie-break lottery of the request's current round, if any."""
    rows = db.session.scalars(sa.select(Lottery).where(
        Lottery.request_id == request.id, Lottery.state == LotteryState.DRAWN.value)
        .order_by(Lottery.id.desc())).all()
    return next((r for r in rows if r.announcement.get("bid_round") == request.bid_round), None)
