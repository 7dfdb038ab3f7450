"""Pause points for the crash tests (tests/proof/test_faults.py), installed from outside the
product: tests/support/gunicorn_faults.py calls :func:`install` in every gunicorn worker of the
test instance once the app is loaded.  Nothing in market/ or billing/ knows about them.

The crash tests need ``kill -9`` to land in the middle of a transaction, after its writes have
reached the database and before the commit.  Five points, each found from what was written:

``draw``         the flush that ends a log append carrying a ``draw`` event
                 (:func:`market.selection.draw.run_draw`, before the lottery row changes)
``log``          the flush that ends any log append: the one that writes its signed checkpoint
                 (:func:`market.transparency.log.append`, leaves and tree nodes written)
``ledger``       the flush that writes a ledger transaction row, before its entries
                 (:func:`billing.ledger.post`)
``upload-temp``  the upload's bytes complete in their temporary file, nothing linked
                 (:func:`market.storage.write_temporary` returns)
``upload``       the flush that writes an upload row, the file already stored
                 (:func:`market.storage.store`)

The first four are SQLAlchemy ``after_flush`` listeners on every session (the session still
lists what the flush wrote as new); the fifth wraps the storage module's write step.

``FAULTS_PAUSE_DIR`` names a folder.  A point is armed by a file of its name there; a worker
that reaches an armed point writes ``<point>.<pid>`` there (so the test knows which worker to
kill) and waits up to 30 seconds while the point stays armed.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

ENV_NAME = "FAULTS_PAUSE_DIR"
MAX_SECONDS = 30.0
_DRAW_PENDING = "fault_points.draw_pending"  # key in Session.info: a draw leaf awaits its checkpoint

_installed: list[Path] = []


def pause(folder: Path, point: str) -> None:
    armed = folder / point
    if not armed.exists():
        return
    (folder / f"{point}.{os.getpid()}").write_text(str(os.getpid()))
    deadline = time.monotonic() + MAX_SECONDS
    while armed.exists() and time.monotonic() < deadline:
        time.sleep(0.05)


def install(folder: str | Path) -> None:
    """Arm-able pauses in this process, at the five points above.  Once per process."""
    if _installed:
        return
    where = Path(folder)
    _installed.append(where)

    from billing.models import LedgerTransaction
    from market import storage
    from market.transparency.models import LogCheckpoint, LogLeaf

    @sa.event.listens_for(Session, "after_flush")
    def after_flush(session: Session, _context: Any) -> None:
        written = list(session.new)
        if any(isinstance(o, LogLeaf) and o.type == "draw" for o in written):
            session.info[_DRAW_PENDING] = True
        if any(isinstance(o, LogCheckpoint) for o in written):  # the append's last flush
            pause(where, "log")
            if session.info.pop(_DRAW_PENDING, False):
                pause(where, "draw")
        if any(isinstance(o, LedgerTransaction) for o in written):
            pause(where, "ledger")
        if any(isinstance(o, storage.Upload) for o in written):
            pause(where, "upload")

    @sa.event.listens_for(Session, "after_rollback")
    def after_rollback(session: Session) -> None:
        session.info.pop(_DRAW_PENDING, None)

    write: Callable[[IO[bytes], int, int, str], tuple[int, bytes, str]] = storage.write_temporary

    def write_then_pause(stream: IO[bytes], fd: int, limit: int, field: str
                         ) -> tuple[int, bytes, str]:
        received = write(stream, fd, limit, field)
        pause(where, "upload-temp")
        return received

    storage.write_temporary = write_then_pause  # type: ignore[assignment]
