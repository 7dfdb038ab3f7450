"""An append-only RFC 6962 log kept in database tables, for every log the platform signs.

The draw log (lottery-v1.md §7, :mod:`market.transparency.log`) and the sealed-bid log
(:mod:`market.selection.bidlog`) are two instances: each has a head row that serialises appends,
a table of perfect-subtree hashes (:class:`lottery.log.NodeStore`) and a table of signed
checkpoints; leaves are stored by the caller, in its own table, because their columns differ.

Appends are serialised across processes and machines by locking the head row (``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite the first write of a transaction takes the database's write
lock, so we write the head row to itself before reading it).  Event times are read while that
lock is held and never go backwards, even when two machines' clocks disagree.  Everything an
append writes is part of the caller's transaction: a crash leaves the old log or the new one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from lottery.log import MerkleLog
from lottery.note import sign_checkpoint
from market import timeutil
from market.db import db
from market.transparency.keys import platform_key

HEAD_ID = 1


class DbNodeStore:
    """:class:`lottery.log.NodeStore` over a node table (reads cached per use)."""

    def __init__(self, node_model: Any, size: int, head: Any = None) -> None:
        self._model = node_model
        self._size = size
        self._head = head
        self._cache: dict[tuple[int, int], bytes] = {}

    def size(self) -> int:
        return self._size

    def get_node(self, level: int, index: int) -> bytes | None:
        key = (level, index)
        if key not in self._cache:
            value = db.session.scalar(sa.select(self._model.hash).where(
                self._model.level == level, self._model.index == index))
            if value is None:
                return None
            self._cache[key] = bytes(value)
        return self._cache[key]

    def set_nodes(self, nodes: Mapping[tuple[int, int], bytes], size: int) -> None:
        if self._head is None:
            raise RuntimeError("read-only node store")
        db.session.add_all(self._model(level=lv, index=ix, hash=h) for (lv, ix), h in nodes.items())
        self._cache.update(nodes)
        self._size = size
        self._head.size = size


@dataclass(frozen=True)
class StoredLog:
    """One signed log: its head, node and checkpoint models and its origin."""

    head_model: Any
    node_model: Any
    checkpoint_model: Any
    origin: Callable[[], str]

    def lock_head(self) -> Any:
        """Take the append lock and return the head row, current as of the lock."""
        head = self.head_model
        dialect = db.session.get_bind().dialect.name
        db.session.flush()
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        db.session.execute(insert(head).values(id=HEAD_ID, size=0, last_at=None)
                           .on_conflict_do_nothing())
        stmt = sa.select(head).where(head.id == HEAD_ID)
        if dialect == "postgresql":
            stmt = stmt.with_for_update()
        else:  # SQLite: writing is what takes the lock
            db.session.execute(sa.update(head).where(head.id == HEAD_ID).values(size=head.size))
        return db.session.scalars(stmt.execution_options(populate_existing=True)).one()

    def next_time(self) -> datetime:
        """Take the lock; the time the next append will carry (never before the last one).

        For events whose data depends on their own time (a draw record's ``drawn_at``): take
        the time, build the data, then append it with ``at=`` that time."""
        head = self.lock_head()
        now = timeutil.now()
        return max(now, head.last_at) if head.last_at is not None else now

    def append_leaves(self, make: Callable[[int, datetime], Sequence[bytes]],
                      at: datetime | None = None) -> tuple[int, datetime]:
        """Append the leaves ``make(first_index, time)`` returns; sign the new checkpoint.

        Returns the first index and the time used.  ``at`` is a time from :meth:`next_time` in
        this transaction (default: now, or the last event's time if that is later)."""
        head = self.lock_head()
        latest = max(timeutil.now(), head.last_at) if head.last_at is not None else timeutil.now()
        if at is not None:
            if head.last_at is not None and at < head.last_at:
                raise ValueError("an event time may not precede the log's last event")
            latest = at
        first = head.size
        leaves = make(first, latest)
        if not leaves:
            return first, latest
        store = DbNodeStore(self.node_model, first, head)
        tree = MerkleLog(store)
        tree.append_many(leaves)
        head.last_at = latest
        key = platform_key()
        root = tree.root()
        note = sign_checkpoint(key.private, key.name, self.origin(), store.size(), root)
        db.session.add(self.checkpoint_model(size=store.size(), root=root, note=note, at=latest))
        return first, latest

    def size(self) -> int:
        head = self.head_model
        return db.session.scalar(sa.select(head.size).where(head.id == HEAD_ID)) or 0

    def latest_checkpoint(self) -> Any:
        cp = self.checkpoint_model
        return db.session.scalars(sa.select(cp).order_by(cp.size.desc()).limit(1)).first()

    def checkpoint_at(self, size: int) -> Any:
        return db.session.get(self.checkpoint_model, size)

    def reader(self, tree_size: int) -> MerkleLog:
        """A read-only view for proofs against any committed size."""
        return MerkleLog(DbNodeStore(self.node_model, tree_size))
