"""Append a long history to the draw log in bulk, storing exactly what
:mod:`market.transparency.log` stores: ``log_leaf`` rows (``cjson(event)``), every complete
subtree hash in ``log_node``, signed checkpoints, the head row.

The per-append path reads the stored left siblings from the database; here the tree is
computed in memory by the same :class:`lottery.log.MerkleLog`, over a store that keeps only the
right edge of the tree (the newest node of each level: all an append or a root needs) and
streams every new node to the database.  ``flask transparency audit`` then replays the whole
log as it would any other.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from devdata.loadgen.agencies import insert_rows
from lottery.encoding import cjson
from lottery.events import make_event
from lottery.log import MerkleLog
from lottery.note import sign_checkpoint
from market.db import db
from market.timeutil import iso_z
from market.transparency.keys import platform_key
from market.transparency.log import DRAWS
from market.transparency.models import LogCheckpoint, LogHead, LogLeaf, LogNode
from market.transparency.stored import HEAD_ID, DbNodeStore

FLUSH_ROWS = 20_000


class Sink:
    """Rows for one table, inserted ``FLUSH_ROWS`` at a time."""

    def __init__(self, table: sa.Table, rows: int = FLUSH_ROWS) -> None:
        self.table, self.rows = table, rows
        self.buffer: list[dict[str, Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.buffer.append(row)
        if len(self.buffer) >= self.rows:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            insert_rows(self.table.name, self.buffer, batch=len(self.buffer))
            self.buffer = []


class EdgeStore:
    """A :class:`lottery.log.NodeStore` that remembers only the right edge of the tree and hands
    each new node to ``sink``; nodes of the log as it was before come from the database."""

    def __init__(self, size: int, sink: Callable[[int, int, bytes], None]) -> None:
        self._size = size
        self._sink = sink
        self._edge: dict[int, tuple[int, bytes]] = {}
        self._before = DbNodeStore(LogNode, size)

    def size(self) -> int:
        return self._size

    def get_node(self, level: int, index: int) -> bytes | None:
        newest = self._edge.get(level)
        if newest is not None and newest[0] == index:
            return newest[1]
        return self._before.get_node(level, index)

    def set_nodes(self, nodes: Any, size: int) -> None:
        for (level, index), h in nodes.items():
            self._sink(level, index, h)
            newest = self._edge.get(level)
            if newest is None or index > newest[0]:
                self._edge[level] = (index, h)
        self._size = size


class BulkLog:
    """Events appended in order; :meth:`checkpoint` where the app would have ended an append
    (it signs one checkpoint per append call); :meth:`close` writes the head row."""

    def __init__(self) -> None:
        head = db.session.get(LogHead, HEAD_ID)
        self.size = int(head.size) if head is not None else 0
        self.last_at: datetime | None = head.last_at if head is not None else None
        self._leaves = Sink(LogLeaf.__table__)
        self._nodes = Sink(LogNode.__table__, 50_000)
        self._checkpoints = Sink(LogCheckpoint.__table__, 2_000)
        self._tree = MerkleLog(EdgeStore(self.size, lambda lv, ix, h: self._nodes.add(
            {"level": lv, "index": ix, "hash": h})))
        self._pending: list[bytes] = []
        self._key = platform_key()
        self._origin = DRAWS.origin()
        self.checkpoints = 0

    def append(self, type_: str, lottery_id: str, at: datetime, data: dict[str, Any]
               ) -> dict[str, Any]:
        """Log one event (times must not go backwards); returns it, with its ``seq``."""
        if self.last_at is not None and at < self.last_at:
            raise ValueError(f"{type_} of {lottery_id} at {at} precedes the log's last event")
        seq = self.size + len(self._pending)
        event = make_event(seq, type_, lottery_id, iso_z(at), data)
        leaf = cjson(event)
        self._leaves.add({"seq": seq, "lottery_id": lottery_id, "type": type_, "at": at,
                          "data": leaf})
        self._pending.append(leaf)
        self.last_at = at
        return event

    def checkpoint(self) -> None:
        """End the current append: hash its leaves into the tree and sign the new size."""
        if not self._pending:
            return
        self._tree.append_many(self._pending)
        self._pending = []
        self.size = self._tree.size
        root = self._tree.root()
        note = sign_checkpoint(self._key.private, self._key.name, self._origin, self.size, root)
        self._checkpoints.add({"size": self.size, "root": root, "note": note,
                               "at": self.last_at})
        self.checkpoints += 1

    def close(self) -> None:
        """Write what is buffered and the head row (size and last event time)."""
        self.checkpoint()
        for sink in (self._leaves, self._nodes, self._checkpoints):
            sink.flush()
        head = LogHead.__table__
        conn = db.session.connection()
        if conn.execute(sa.select(head.c.id).where(head.c.id == HEAD_ID)).first() is None:
            conn.execute(head.insert().values(id=HEAD_ID, size=self.size, last_at=self.last_at))
        else:
            conn.execute(head.update().where(head.c.id == HEAD_ID)
                         .values(size=self.size, last_at=self.last_at))
