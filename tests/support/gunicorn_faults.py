"""gunicorn settings for the crash tests only (tests/proof/test_faults.py, through
``Instance(config=...)``): every worker installs the pause points of
:mod:`tests.support.fault_points` once it has loaded the app."""

from __future__ import annotations

import os
from typing import Any


def post_worker_init(worker: Any) -> None:
    from tests.support import fault_points

    fault_points.install(os.environ[fault_points.ENV_NAME])
