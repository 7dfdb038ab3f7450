"""Log leaves, stored subtree hashes, the head row that serialises appends, checkpoints."""

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


class LogNode(db.Model):  # type: ignore[name-defined,misc]
    """The hash of a complete, aligned subtree ``(level, index)`` (level 0: leaf hashes)."""

    __tablename__ = "log_node"

    level: Mapped[int] = mapped_column(sa.SmallInteger, primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(sa.LargeBinary(32))


class LogHead(db.Model):  # type: ignore[name-defined,misc]
    """The single row every append locks first: the size and the last event time."""

    __tablename__ = "log_head"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    size: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    last_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LogCheckpoint(db.Model):  # type: ignore[name-defined,misc]
    """A signed checkpoint (C2SP signed note) of the log at ``size``."""

    __tablename__ = "log_checkpoint"

    size: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[bytes] = mapped_column(sa.LargeBinary(32))
    note: Mapped[str] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
