"""The app served by gunicorn on a free loopback port, for the benches that drive it with wrk."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.support.postgres import free_port  # noqa: E402

GUNICORN = str(ROOT / ".venv/bin/gunicorn")


@contextlib.contextmanager
def gunicorn(env: dict[str, str], workers: int, log: Path | None = None) -> Iterator[str]:
    """Serve ``wsgi:app`` with ``workers`` sync workers (the README's command); yields the base
    URL once ``/healthz`` answers.  Output goes to ``log``, or only warnings are shown."""
    port = free_port()
    with contextlib.ExitStack() as stack:
        out = stack.enter_context(log.open("a", encoding="utf-8")) if log else None
        quiet = [] if log else ["--log-level", "warning"]
        server = subprocess.Popen([GUNICORN, "--bind", f"127.0.0.1:{port}", "--workers",
                                   str(workers), *quiet, "wsgi:app"], cwd=ROOT, env=env,
                                  stdout=out, stderr=out, start_new_session=True)
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)  # noqa: S310
                    break
                except OSError:
                    time.sleep(0.1)
            else:
                raise RuntimeError(f"gunicorn did not start (see {log or 'its output'})")
            yield f"http://127.0.0.1:{port}"
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
