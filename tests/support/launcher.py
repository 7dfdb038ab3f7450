"""``flask`` commands as separate processes, forked from one that has imported the product.

A ``flask`` command started from scratch spends about four seconds of CPU importing Flask,
SQLAlchemy and every module making an app loads before it does anything; the proof tests run
a dozen of them (``flask selection tick`` and ``flask clocks tick`` on two instances, twice).
Here one launcher process, spawned clean (a new interpreter that imports none of the test
session's fixtures or patches, holds no database connection and sees no ``MARKET_*`` setting),
imports those modules once by making a throwaway app from the defaults, as ``gunicorn
--preload`` does for its workers; each command is a fork of it.  The fork then
runs the real command line: its own environment (an instance's ``MARKET_*`` variables), its
own ``create_app`` through ``FLASK_APP``, its own engine and connections, its own exit code.
So two commands "at once" are still two processes racing on the database.  What the forks
skip, a fresh interpreter importing the product, the launcher itself does once per session, and
the scale-out test's gunicorn workers (not preloaded) each do it as well.

The launcher reads requests from a pipe and is single-threaded (it waits on the pipe and on
its children's sentinels together), so no lock of another thread is held when it forks.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.connection
import os
import shutil
import sys
import tempfile
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _preload() -> None:
    """Import what making an app imports: a throwaway app from the defaults, its instance
    folder removed at once (the launcher keeps no app, file or connection)."""
    from market import create_app

    folder = tempfile.mkdtemp(prefix="market-launcher-")
    os.environ["MARKET_INSTANCE_PATH"] = folder
    try:
        create_app({"SECRET_KEY": "preload-only", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    finally:
        del os.environ["MARKET_INSTANCE_PATH"]
        shutil.rmtree(folder, ignore_errors=True)


def _command(env: dict[str, str], args: list[str], out: str, err: str) -> None:
    """In the fork: the command line ``flask <args>`` in ``env``, output to two files."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(ROOT)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)  # noqa: SIM115 (closed at exit)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)  # noqa: SIM115
    sys.argv = ["flask", *args]
    from flask.cli import main

    main()  # exits: click's SystemExit carries the exit code to the process's own


def _serve(conn: Connection) -> None:
    """The launcher: preload, then fork one process per request until the pipe closes."""
    for key in [k for k in os.environ if k.startswith(("MARKET_", "FLASK_"))]:
        del os.environ[key]
    _preload()
    fork = multiprocessing.get_context("fork")
    running: dict[Any, tuple[int, Any]] = {}  # sentinel -> (request number, process)
    while True:
        ready = multiprocessing.connection.wait([conn, *running])
        for item in ready:
            if item is conn:
                try:
                    number, env, args, out, err = conn.recv()
                except EOFError:
                    return
                process = fork.Process(target=_command, args=(env, args, out, err))
                process.start()
                running[process.sentinel] = (number, process)
            else:
                number, process = running.pop(item)
                process.join()
                conn.send((number, process.exitcode))


class Command:
    """A running ``flask`` command; ``communicate`` and ``returncode`` as a ``Popen``'s."""

    def __init__(self, launcher: Launcher, number: int, args: list[str], folder: Path) -> None:
        self.launcher, self.number, self.folder = launcher, number, folder
        self.args = ["flask", *args]
        self.returncode: int | None = None

    def communicate(self, timeout: float) -> tuple[str, str]:
        self.returncode = self.launcher.wait(self.number, timeout)
        out, err = ((self.folder / name).read_text(encoding="utf-8") for name in ("out", "err"))
        shutil.rmtree(self.folder, ignore_errors=True)
        return out, err


class Launcher:
    def __init__(self) -> None:
        ctx = multiprocessing.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(child,))
        self.process.start()
        child.close()
        # one lock per direction: a thread waiting for a command's end never holds up a start
        self.sending, self.receiving = threading.Lock(), threading.Lock()
        self.numbers = 0
        self.ended: dict[int, int] = {}

    def start(self, env: dict[str, str], args: list[str]) -> Command:
        folder = Path(tempfile.mkdtemp(prefix="market-command-"))
        with self.sending:
            self.numbers += 1
            number = self.numbers
            self.conn.send((number, env, args, str(folder / "out"), str(folder / "err")))
        return Command(self, number, args, folder)

    def wait(self, number: int, timeout: float) -> int:
        deadline = time.monotonic() + timeout  # in all, however many other commands end first
        with self.receiving:
            while number not in self.ended:
                if not self.conn.poll(max(0.0, deadline - time.monotonic())):
                    raise TimeoutError(f"flask command {number} still running after {timeout} s")
                done, code = self.conn.recv()
                self.ended[done] = code
            return self.ended.pop(number)

    def stop(self) -> None:
        self.conn.close()  # the launcher returns once its running commands are reaped
        self.process.join(timeout=60)


_launcher: list[Launcher] = []


def launcher() -> Launcher:
    """The session's launcher, started on first use and stopped when the session ends."""
    if not _launcher or not _launcher[0].process.is_alive():
        _launcher[:] = [Launcher()]
        atexit.register(_launcher[0].stop)
    return _launcher[0]
