"""Where the suite writes its temporary files: in memory (a tmpfs) when the machine has room.

Every test writes a SQLite file (commits synced to disk), many make a PostgreSQL database, and
each worker's throwaway PostgreSQL cluster, schema templates, uploads and chromium profiles sit
in the temporary folder too.  On a disk mounted with online discard (this machine's root is),
deleting them is slow: removing a cluster of 150 test databases took 79 s on
``/tmp`` and 4 s on ``/dev/shm``, and the workers wait for it at the end of the session; syncs
wait behind the other worker's writes all along.  Nothing the tests check depends on the
medium: the files are the same files.

``MARKET_TEST_TMPDIR`` names the folder to use instead (``/tmp`` to keep the old place).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

MEMORY = Path("/dev/shm")
# The suite's peak on it: each worker's cluster (databases are dropped after their test), the
# schema templates, the files of a test that failed (kept; a passing test's are removed).
ROOM_NEEDED = 4 * 1024**3


def _is_tmpfs(path: Path) -> bool:
    try:
        with open("/proc/mounts", encoding="utf-8") as mounts:
            return any(line.split()[1:3] == [str(path), "tmpfs"] for line in mounts)
    except OSError:
        return False


def chosen() -> Path | None:
    """The folder the suite's temporary files go to, or None for the system's default."""
    named = os.environ.get("MARKET_TEST_TMPDIR")
    if named:
        return Path(named)
    if not _is_tmpfs(MEMORY) or not os.access(MEMORY, os.W_OK):
        return None
    if shutil.disk_usage(MEMORY).free < ROOM_NEEDED:
        return None
    return MEMORY / "market-tests"


def use() -> Path | None:
    """Point ``tempfile`` (and through ``TMPDIR`` every process the tests start) at
    :func:`chosen`; return it.  Called on importing the root conftest, before pytest makes its
    temporary folders, in the main process and in each worker."""
    folder = chosen()
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True)
    except FileExistsError:
        pass  # made by an earlier session, or by the other process that got here first
    else:
        # Shared like /tmp: the PostgreSQL server runs as its own user in a folder made here.
        folder.chmod(0o1777)
    os.environ["TMPDIR"] = str(folder)
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again on next use
    return folder
