"""Imported once by the race workers' fork server (tests/support/processes.py): every module an
app loads when it is made (the areas' views and forms, the crypto and OAuth libraries: about 500
modules, two to three seconds), so that a forked worker's ``make_app`` only builds its app.

Without it each of the 20 workers of a race imported them itself, after the fork: most of the
race tests' time.  The modules are the ones making an app imports, found by making one
throwaway app here, so no list has to follow market/__init__.py.  That app is on an in-memory
SQLite database it never connects to, with an instance folder removed straight after: the fork
server still holds no database connection, file or app of the test session, and every worker
makes its own app as before.
"""

from __future__ import annotations

import os
import shutil
import tempfile


def _import_what_an_app_imports() -> None:
    from market import create_app
    from tests.support.url_builders import reuse_url_builders

    # The throwaway app's URL builders stay compiled for every worker's app, as in the session.
    reuse_url_builders()

    folder = tempfile.mkdtemp(prefix="market-preload-")
    # Whatever MARKET_* settings the test session had when the fork server started play no
    # part in which modules load: made from the defaults alone (a production setting left in
    # the environment could refuse them, and the fork server would not start).
    saved = {k: v for k, v in os.environ.items() if k.startswith("MARKET_")}
    for key in saved:
        del os.environ[key]
    os.environ["MARKET_INSTANCE_PATH"] = folder
    try:
        create_app({"TESTING": True, "SECRET_KEY": "preload-only",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})
    finally:
        del os.environ["MARKET_INSTANCE_PATH"]
        os.environ.update(saved)
        shutil.rmtree(folder, ignore_errors=True)


_import_what_an_app_imports()
