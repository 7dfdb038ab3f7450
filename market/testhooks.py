"""A pause for the crash tests (tests/proof/test_faults.py) — no effect in production.

The crash tests need ``kill -9`` to land in the middle of a transaction.  Five places call
:func:`pause` right after their transaction's first write:

``draw``          :func:`market.selection.draw.run_draw`, after the ``draw`` event is logged
``log``           :func:`market.transparency.log.append`, after the leaves are written
``ledger``        :func:`billing.ledger.post`, after the transaction row is written
``upload-temp``   :func:`market.storage.store`, after the bytes are in the temporary file
``upload``        :func:`market.storage.store`, after the file is linked and its row written

``MARKET_TEST_PAUSE`` (read here and nowhere else) names a folder.  A point is armed by a file
of its name in that folder; when the code reaches an armed point it writes ``<point>.<pid>``
there (so the test knows which worker to kill) and sleeps up to 30 seconds.  Unset — always in
production — :func:`pause` returns at once; with ``MARKET_ENV=production`` it is ignored even
when set.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

ENV_NAME = "MARKET_TEST_PAUSE"
MAX_SECONDS = 30.0


def pause(point: str) -> None:
    folder = os.environ.get(ENV_NAME)
    if not folder or os.environ.get("MARKET_ENV") == "production":
        return
    armed = Path(folder) / point
    if not armed.exists():
        return
    (Path(folder) / f"{point}.{os.getpid()}").write_text(str(os.getpid()))
    deadline = time.monotonic() + MAX_SECONDS
    while armed.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
