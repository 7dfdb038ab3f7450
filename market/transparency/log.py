"""The single platform draw log of lottery-v1.md §7, stored in the database.

A :class:`market.transparency.stored.StoredLog` (head row lock, subtree hashes, signed
checkpoints) whose leaves are ``cjson(event)`` of §7 events, kept in ``log_leaf``.  Callers
append inside their own transaction, so the event and the state it records commit together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from lottery.encoding import cjson
from lottery.events import make_event
from lottery.log import MerkleLog
from market import timeutil
from market.db import db
from market.transparency.keys import platform_key
from market.transparency.models import LogCheckpoint, LogHead, LogLeaf, LogNode
from market.transparency.stored import StoredLog

DRAWS = StoredLog(LogHead, LogNode, LogCheckpoint, origin=lambda: platform_key().name)


def next_time() -> datetime:
    """Take the append lock and return the time the next append will carry."""
    return DRAWS.next_time()


def append(items: Iterable[tuple[str, str, dict[str, Any]]],
           at: datetime | None = None) -> list[dict[str, Any]]:
    """Log ``(type, lottery_id, data)`` events, in order, in the caller's transaction.

    ``at`` is a time obtained from :func:`next_time` in this transaction (default: now).
    Returns the logged events (with ``seq`` and ``at``); signs and stores the new checkpoint.
    """
    items = list(items)
    # Every event is checked before the head row is locked or a row written: a bad event is a
    # caller's bug (operations check what people typed first, market.selection.logtext), and
    # it must not leave half an append behind.
    placeholder = timeutil.iso_z(at or timeutil.now())
    for type_, lottery_id, data in items:
        make_event(0, type_, lottery_id, placeholder, data)
    events: list[dict[str, Any]] = []

    def make(first: int, when: datetime) -> list[bytes]:
        text = timeutil.iso_z(when)
        for i, (type_, lottery_id, data) in enumerate(items):
            events.append(make_event(first + i, type_, lottery_id, text, data))
        leaves = [cjson(e) for e in events]
        db.session.add_all(
            LogLeaf(seq=e["seq"], lottery_id=e["lottery_id"], type=e["type"], at=when, data=leaf)
            for e, leaf in zip(events, leaves, strict=True))
        return leaves

    if items:
        DRAWS.append_leaves(make, at=at)
        db.session.flush()
    return events


def size() -> int:
    return DRAWS.size()


def latest_checkpoint() -> LogCheckpoint | None:
    cp: LogCheckpoint | None = DRAWS.latest_checkpoint()
    return cp


def checkpoint_at(size_: int) -> LogCheckpoint | None:
    cp: LogCheckpoint | None = DRAWS.checkpoint_at(size_)
    return cp


def reader(tree_size: int) -> MerkleLog:
    """A read-only view for proofs against any committed size."""
    return DRAWS.reader(tree_size)


def inclusion_proof(seq: int, tree_size: int) -> list[bytes]:
    return reader(tree_size).inclusion_proof(seq, tree_size)


def consistency_proof(old: int, new: int) -> list[bytes]:
    return reader(new).consistency_proof(old, new)


def leaves(start: int, end: int, batch: int = 2000) -> Iterator[bytes]:
    """Leaf bytes for ``start <= seq < end``, streamed in batches."""
    seq = start
    while seq < end:
        rows = db.session.scalars(
            sa.select(LogLeaf.data)
            .where(LogLeaf.seq >= seq, LogLeaf.seq < min(end, seq + batch))
            .order_by(LogLeaf.seq)
        ).all()
        if not rows:
            return
        for data in rows:
            yield bytes(data)
        seq += len(rows)


def events_of(lottery_id: str) -> list[dict[str, Any]]:
    """The logged events of one lottery, in order, as dicts."""
    rows = db.session.scalars(
        sa.select(LogLeaf.data).where(LogLeaf.lottery_id == lottery_id).order_by(LogLeaf.seq)
    ).all()
    return [json.loads(bytes(r)) for r in rows]
