"""gunicorn settings that profile each request in the worker that serves it (wall-clock
cProfile from gunicorn's ``pre_request`` to its ``post_request``: the WSGI call, the commit and
writing the answer), each worker writing its profile to ``$PULL_PROFILE_DIR/<pid>.prof`` when
it stops.  Used by ``bench/pull_profile.py --gunicorn``."""

from __future__ import annotations

import cProfile
import os
import time
from typing import Any

_profiles: dict[int, cProfile.Profile] = {}


def _profile() -> cProfile.Profile:
    return _profiles.setdefault(os.getpid(), cProfile.Profile(time.perf_counter))


def pre_request(worker: Any, req: Any) -> None:
    _profile().enable()


def post_request(worker: Any, req: Any, environ: Any, resp: Any) -> None:
    _profile().disable()


def worker_exit(server: Any, worker: Any) -> None:
    profile = _profiles.get(os.getpid())
    if profile is not None:
        profile.dump_stats(os.path.join(os.environ["PULL_PROFILE_DIR"], f"{os.getpid()}.prof"))
