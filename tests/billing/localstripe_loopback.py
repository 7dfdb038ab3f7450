"""Run localstripe listening on 127.0.0.1 only: ``python -m tests.billing.localstripe_loopback PORT``.

``python -m localstripe`` binds ``::`` (every interface) and has no host option, so this
launcher serves localstripe's own aiohttp application with ``host="127.0.0.1"`` instead.  It is
only ever started by the test session as a separate process (localstripe is GPL: run, never
imported into the market or its tests' process).  Never loading the pickle it leaves in /tmp is
localstripe's ``--from-scratch``.
"""

from __future__ import annotations

import sys

from aiohttp import web


def main() -> None:
    from localstripe.server import app  # the separate process's own import

    web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)


if __name__ == "__main__":
    main()
