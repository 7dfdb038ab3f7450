"""Log leaves, stored subtree hashes, the head row that serialises appends, checkpoints.

The column mixins serve every signed log (the draw log here, the sealed-bid log in
:mod:`market.selection.models`)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from market.db import UTCDateTime, db


class LogLeaf(db.Model):  # type: ignore[name-defined,misc]
    """One event of the log: ``data`` is exactly the leaf bytes, ``cjson(event)``."""

    __tablename__ = "log_leaf"

    seq: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    lottery_id: Mapped[str] = mapped_column(sa.String(128), index=True)
    type: Mapped[str] = mapped_column(sa.String(16))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)


class NodeColumns:
    """The hash of a complete, aligned subtree ``(level, index)`` (level 0: leaf hashes)."""

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class HeadColumns:
    """The single row every append locks first: the size and the last event time."""

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class CheckpointColumns:
    """A signed checkpoint (C2SP signed note) of the log at ``size``."""

    size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class LogNode(NodeColumns, db.Model):  # type: ignore[name-defined,misc]
    """A subtree hash of the draw log."""

    __tablename__ = "log_node"


class LogHead(HeadColumns, db.Model):  # type: ignore[name-defined,misc]
    """The draw log's head row."""

    __tablename__ = "log_head"


class LogCheckpoint(CheckpointColumns, db.Model):  # type: ignore[name-defined,misc]
    """A signed checkpoint of the draw log."""

    __tablename__ = "log_checkpoint"
