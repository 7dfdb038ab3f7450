"""The fairness page's data: every drawn lottery as a :class:`market.domain.fairness.Draw`,
its pool in registration order (the order of the ``register`` events in the log)."""

from __future__ import annotations

import json

import sqlalchemy as sa

from market.accounts.models import Organisation
from market.catalogue.models import ServiceType
from market.db import db
from market.domain.fairness import Draw, Report, analyse
from market.selection.models import Lottery, SelectionRequest
from market.transparency.models import LogLeaf


def draws() -> list[Draw]:
    rows = db.session.execute(
        sa.select(Lottery.lottery_id, Lottery.record, ServiceType.code)
        .join(SelectionRequest, Lottery.request_id == SelectionRequest.id)
        .join(ServiceType, SelectionRequest.service_type_id == ServiceType.id)
        .where(Lottery.record.is_not(None)).order_by(Lottery.id)).all()
    order: dict[str, list[str]] = {}
    for lottery_id, data in db.session.execute(
            sa.select(LogLeaf.lottery_id, LogLeaf.data).where(LogLeaf.type == "register")
            .order_by(LogLeaf.seq)):
        order.setdefault(lottery_id, []).append(json.loads(bytes(data))["data"]["agency_id"])
    out = []
    for lottery_id, record, code in rows:
        pool = list(record["pool"])
        registered = [a for a in order.get(lottery_id, []) if a in pool]
        ordered = registered + [a for a in pool if a not in registered]
        out.append(Draw(code, tuple(ordered), frozenset(record["winners"])))
    return out


def report() -> Report:
    return analyse(draws())


def names(public_ids: set[str]) -> dict[str, str]:
    if not public_ids:
        return {}
    rows = db.session.execute(sa.select(Organisation.public_id, Organisation.name).where(
        Organisation.public_id.in_(sorted(public_ids))))
    return {public_id: name for public_id, name in rows}
