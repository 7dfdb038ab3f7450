"""The CPU of a command's processes by kind: chromium split by its ``--type=`` (browser,
renderer, gpu-process, utility:NetworkService, zygote), Playwright's node driver, python.

    python3 bench/process_cpu.py -- .venv/bin/pytest -q -p no:cacheprovider tests/x/test_y.py

Every process below the command is read from ``/proc`` every 0.05 s, under a child subreaper
(as ``bench/tree_cpu.py``) so chromium's orphaned renderers stay in the tree; a process is known
by its start time as well as its pid (pids are reused fast on a busy machine).  A process that
lives less than 0.05 s may be missed: for the total, use ``bench/tree_cpu.py``.  Kinds are told
by the executable's name, not its path (a checkout's path may contain any word).  Linux only.
"""

from __future__ import annotations

import collections
import ctypes
import os
import subprocess
import sys
import time

PR_SET_CHILD_SUBREAPER = 36
TICK = os.sysconf("SC_CLK_TCK")


def kind(pid: int) -> str | None:
    """What ``pid`` is, from its command line; None once it has exited (a zombie's is empty)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            args = f.read().replace(b"\0", b" ").split()
    except OSError:
        return None
    if not args:
        return None
    exe = os.path.basename(args[0]).decode(errors="replace")
    if not exe.startswith("chrom"):
        return exe
    found = "browser"
    for arg in args:
        if arg.startswith(b"--type="):
            found = arg[7:].decode()
        if arg.startswith(b"--utility-sub-type="):
            return "chromium:utility:" + arg.split(b"=", 1)[1].decode().rsplit(".", 1)[-1]
    return "chromium:" + found


def main(argv: list[str]) -> int:
    command = argv[argv.index("--") + 1:] if "--" in argv else argv
    if not command:
        sys.exit(__doc__)
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    me = os.getpid()
    tree: dict[int, str | None] = {me: None}  # pid -> its start time
    cpu: dict[tuple[int, str], float] = {}
    kinds: dict[tuple[int, str], str] = {}
    load_start = os.getloadavg()[0]
    start = time.monotonic()
    process = subprocess.Popen(command)
    while process.poll() is None:
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as f:
                    stat = f.read()
            except OSError:
                continue
            fields = stat[stat.rindex(")") + 2:].split()
            pid, ppid, started = int(entry), int(fields[1]), fields[19]
            if pid in tree and tree[pid] not in (None, started):
                del tree[pid]  # the pid was reused
            if pid not in tree and ppid not in tree:
                continue
            tree.setdefault(pid, started)
            if pid == me:
                continue
            key = (pid, started)
            kinds[key] = kind(pid) or kinds.get(key, "?")
            cpu[key] = (int(fields[11]) + int(fields[12])) / TICK
        time.sleep(0.05)
    wall = time.monotonic() - start
    total: collections.Counter[str] = collections.Counter()
    count: collections.Counter[str] = collections.Counter()
    for key, seconds in cpu.items():
        total[kinds[key]] += seconds
        count[kinds[key]] += 1
    print(f"wall {wall:.1f} s, exit {process.returncode}, load {load_start:.1f} -> "
          f"{os.getloadavg()[0]:.1f}")
    for name, seconds in total.most_common():
        print(f"{seconds:8.1f} s {count[name]:4d} x {name}")
    print(f"{sum(total.values()):8.1f} s in all")
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
