"""Loopback ports for servers the tests start in other processes (PostgreSQL, gunicorn,
localstripe, the approval system's stand-in)."""

from __future__ import annotations

import random
import socket
from pathlib import Path

_RANGE = Path("/proc/sys/net/ipv4/ip_local_port_range")


def _ephemeral_start() -> int:
    try:
        return int(_RANGE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default start


def free_port() -> int:
    """A port free on 127.0.0.1 now, for a server another process binds next.

    It is chosen below the kernel's ephemeral range (``ip_local_port_range``), never from it:
    a port handed out by binding port 0 is free again once that socket closes, and the next
    socket bound to port 0 (a server this process serves in a thread, a client connection)
    may be given it before the other process binds it.  That happened: a stand-in's health
    check was answered by the app's own server on the stand-in's port.  Below the range only an
    explicit bind takes a port; the choice is random and checked by binding it."""
    high = _ephemeral_start()
    low = max(1024, high - 12000)
    for _ in range(200):
        port = random.randrange(low, high)  # noqa: S311  # a port number, not a secret
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port on 127.0.0.1 between {low} and {high}")
