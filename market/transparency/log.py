"""The single platform log of lottery-v1.md §7, stored in the database.

Appends are serialised across processes and machines by locking the one ``log_head`` row
(``SELECT … FOR UPDATE`` on PostgreSQL; on SQLite the first write of a transaction takes the
database's write lock, so we write to the head row before reading it).  The event times are
read while that lock is held and never go backwards, so ``at`` never decreases along the log
even when two machines' clocks disagree.  Everything an append writes — leaves, subtree hashes,
the new size, the signed checkpoint — is part of the caller's transaction: a crash leaves the
old log or the new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lottery.encoding import cjson
from lottery.events import make_event
from lottery.log import MerkleLog
from lottery.note import sign_checkpoint
from market import timeutil
from market.db import db
from market.transparency.keys import platform_key
from market.transparency.models import LogCheckpoint, LogHead, LogLeaf, LogNode

HEAD_ID = 1


class DbNodeStore:
    """:class:`lottery.log.NodeStore` over the ``log_node`` table (reads cached per use)."""

    def __init__(self, size: int, head: LogHead | None = None) -> None:
        self._size = size
        self._head = head
        self._cache: dict[tuple[int, int], bytes] = {}

    def size(self) -> int:
        return self._size

    def get_node(self, level: int, index: int) -> bytes | None:
        key = (level, index)
        if key not in self._cache:
            value = db.session.scalar(
                sa.select(LogNode.hash).where(LogNode.level == level, LogNode.index == index)
            )
            if value is None:
                return None
            self._cache[key] = bytes(value)
        return self._cache[key]

    def set_nodes(self, nodes: Mapping[tuple[int, int], bytes], size: int) -> None:
        if self._head is None:
            raise RuntimeError("read-only node store")
        db.session.add_all(LogNode(level=lv, index=ix, hash=h) for (lv, ix), h in nodes.items())
        self._cache.update(nodes)
        self._size = size
        self._head.size = size


def _ensure_head() -> None:
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.session.execute(
        insert(LogHead).values(id=HEAD_ID, size=0, last_at=None).on_conflict_do_nothing()
    )


def _lock_head() -> LogHead:
    """Take the append lock and return the head row, current as of the lock."""
    dialect = db.session.get_bind().dialect.name
    db.session.flush()
    if dialect == "postgresql":
        stmt = sa.select(LogHead).where(LogHead.id == HEAD_ID).with_for_update()
        head = db.session.scalars(stmt.execution_options(populate_existing=True)).first()
        if head is None:
            _ensure_head()
            head = db.session.scalars(stmt.execution_options(populate_existing=True)).one()
        return head
    # SQLite: writing is what takes the lock; a no-op update of the head row does it.
    _ensure_head()
    db.session.execute(
        sa.update(LogHead).where(LogHead.id == HEAD_ID).values(size=LogHead.size)
    )
    stmt = sa.select(LogHead).where(LogHead.id == HEAD_ID)
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def next_time() -> datetime:
    """Take the append lock and return the time the next append will carry.

    For events whose data depends on their own time (a draw record's ``drawn_at`` equals the
    draw event's ``at``): take the time, build the data, then :func:`append` it.
    """
    head = _lock_head()
    now = timeutil.now()
    return max(now, head.last_at) if head.last_at is not None else now


def append(items: Iterable[tuple[str, str, dict[str, Any]]],
           at: datetime | None = None) -> list[dict[str, Any]]:
    """Log ``(type, lottery_id, data)`` events, in order, in the caller's transaction.

    ``at`` is a time obtained from :func:`next_time` in this transaction (default: now).
    Returns the logged events (with ``seq`` and ``at``); signs and stores the new checkpoint.
    """
    items = list(items)
    if not items:
        return []
    head = _lock_head()
    latest = max(timeutil.now(), head.last_at) if head.last_at is not None else timeutil.now()
    if at is not None:
        if head.last_at is not None and at < head.last_at:
            raise ValueError("an event time may not precede the log's last event")
        latest = at
    at_dt = latest
    at_text = timeutil.iso_z(at_dt)
    store = DbNodeStore(head.size, head)
    log = MerkleLog(store)
    events = [
        make_event(head.size + i, type_, lottery_id, at_text, data)
        for i, (type_, lottery_id, data) in enumerate(items)
    ]
    leaves = [cjson(e) for e in events]
    log.append_many(leaves)
    db.session.add_all(
        LogLeaf(seq=e["seq"], lottery_id=e["lottery_id"], type=e["type"], at=at_dt, data=leaf)
        for e, leaf in zip(events, leaves, strict=True)
    )
    head.last_at = at_dt
    key = platform_key()
    root = log.root()
    note = sign_checkpoint(key.private, key.name, key.name, store.size(), root)
    db.session.add(LogCheckpoint(size=store.size(), root=root, note=note, at=at_dt))
    db.session.flush()
    return events


def size() -> int:
    return db.session.scalar(sa.select(LogHead.size).where(LogHead.id == HEAD_ID)) or 0


def latest_checkpoint() -> LogCheckpoint | None:
    return db.session.scalars(
        sa.select(LogCheckpoint).order_by(LogCheckpoint.size.desc()).limit(1)
    ).first()


def checkpoint_at(size_: int) -> LogCheckpoint | None:
    return db.session.get(LogCheckpoint, size_)


def reader(tree_size: int) -> MerkleLog:
    """A read-only view for proofs against any committed size."""
    return MerkleLog(DbNodeStore(tree_size))


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
    import json

    rows = db.session.scalars(
        sa.select(LogLeaf.data).where(LogLeaf.lottery_id == lottery_id).order_by(LogLeaf.seq)
    ).all()
    return [json.loads(bytes(r)) for r in rows]
