"""The CPU of a command and of every process below it, chromium's renderers included.

``/usr/bin/time`` counts only the processes reaped up its own line of parents, and chromium's
helpers (crashpad, the renderers of closed contexts) are orphaned on the way and reaped by init:
for a browser test file it reports about half.  Here the command runs under a child subreaper
(``PR_SET_CHILD_SUBREAPER``), so those orphans are re-parented to this process and reaped by it,
and ``getrusage(RUSAGE_CHILDREN)`` holds them all.  Linux only.

    python3 bench/tree_cpu.py -- .venv/bin/pytest -q -p no:cacheprovider tests/test_browser.py

Prints one JSON line: user and sys CPU seconds, wall seconds, the exit code and the 1-minute
load average at the start and the end.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
ORPHAN_WAIT = 60.0  # seconds to wait for orphans still running when the command ends


def reap_orphans(deadline: float) -> int:
    """Reap every child left; return how many were still running at ``deadline``."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return 0
        if pid:
            continue
        if time.monotonic() > deadline:
            path = f"/proc/{os.getpid()}/task/{os.getpid()}/children"
            with open(path, encoding="ascii") as f:
                return len(f.read().split())
        time.sleep(0.2)


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    if not command:
        sys.exit(__doc__)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0:
        sys.exit(f"prctl(PR_SET_CHILD_SUBREAPER) failed: {os.strerror(ctypes.get_errno())}")
    load_start = os.getloadavg()[0]
    start = time.monotonic()
    code = subprocess.call(command)
    wall = time.monotonic() - start
    left = reap_orphans(time.monotonic() + ORPHAN_WAIT)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(json.dumps({"user": round(usage.ru_utime, 1), "sys": round(usage.ru_stime, 1),
                      "wall": round(wall, 1), "exit": code, "load_start": load_start,
                      "load_end": os.getloadavg()[0], "still_running": left}))
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
