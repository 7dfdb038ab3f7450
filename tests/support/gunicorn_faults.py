"""gunicorn settings for the crash tests only (tests/proof/test_faults.py, through
``Instance(config=...)``): every worker installs the pause points of
:mod:`tests.support.fault_points` once it has loaded the app.

``preload_app``: the master makes the app once and every worker is a fork of it.  The crash
test kills a worker fifteen times; without preloading, each replacement imported and made the
app again (about 2.6 s of CPU, beside the test's own requests), most of the test's time.  What
the test checks does not change: each worker is still a separate process killed with ``kill -9``
mid-transaction, the master still replaces it by itself, and the master opens no database
connection before forking (making the app connects to nothing; the pause points and every
connection come in the worker).  Starting without preloading, as the README's command does,
stays tested by the scale-out test's two instances (tests/proof/test_scale_out.py).
"""

from __future__ import annotations

import os
from typing import Any

preload_app = True


def post_worker_init(worker: Any) -> None:
    from tests.support import fault_points

    fault_points.install(os.environ[fault_points.ENV_NAME])
