"""Real separate processes for the race tests, without paying for a fresh interpreter each.

The race tests (tests/billing/test_races.py, tests/billing/test_constraints.py,
tests/transparency/test_log.py) start up to 20 worker processes at once.  With the ``spawn``
start method each one is a new interpreter that imports Flask, SQLAlchemy and the whole app
before it can race: about two seconds of CPU apiece, most of those tests' time.  Here the
workers come from a ``forkserver``: one clean process (started from scratch, holding no
database connection, thread or app of the test session) imports those modules once, including
every module that making an app loads (tests/support/app_modules.py), and every worker is a
fork of it.  Each worker is still its own process with its own app, engine and
database connections, so the database sees the same concurrent writers as before.

The fork server outlives the test that started it, so a worker would otherwise see the
environment of that moment; each task therefore runs in the caller's environment of *now*, as a
spawned process would.
"""

from __future__ import annotations

import atexit
import multiprocessing
import multiprocessing.forkserver
import os
from collections.abc import Callable, Iterable
from functools import partial
from multiprocessing.context import BaseContext
from typing import Any, TypeVar

T = TypeVar("T")

# What every worker imports anyway; a module missing here is imported by the worker itself.
# tests.support.app_modules: the areas and libraries that making an app imports.
PRELOAD = ["market", "market.models", "billing.service", "billing.integration",
           "market.transparency.log", "tests.conftest", "tests.support.app_modules"]


_stop_registered = False


def _stop_server() -> None:
    # Stop the fork server and wait for it, so that no process outlives the test session and
    # its CPU time (and its workers') is counted with the session's (`/usr/bin/time`).
    stop = getattr(multiprocessing.forkserver._forkserver, "_stop", None)
    if stop is not None:
        stop()


def context() -> BaseContext:
    """The start method for race workers: forked from a clean, preloaded server."""
    global _stop_registered
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    if not _stop_registered:
        atexit.register(_stop_server)
        _stop_registered = True
    return ctx


def _in_environment(environment: dict[str, str], function: Callable[..., T], *args: Any) -> T:
    os.environ.clear()
    os.environ.update(environment)
    return function(*args)


def in_caller_environment(function: Callable[..., T]) -> Callable[..., T]:
    """``function`` as a picklable task that runs with the caller's current environment."""
    return partial(_in_environment, dict(os.environ), function)


def pool_map(ctx: BaseContext, processes: int, function: Callable[[Any], T],
             items: Iterable[Any]) -> list[T]:
    """``Pool(processes).map(function, items, chunksize=1)`` in the caller's environment."""
    with ctx.Pool(processes) as pool:
        return pool.map(in_caller_environment(function), list(items), chunksize=1)
