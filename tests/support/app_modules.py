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

    folder = tempfile.mkdtemp(prefix="market-preload-")
    saved = os.environ.get("MARKET_INSTANCE_PATH")
    os.environ["MARKET_INSTANCE_PATH"] = folder
    try:
        create_app({"TESTING": True, "SECRET_KEY": "preload-only",
                    "SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_ENABLED": False})
    finally:
        if saved is None:
            os.environ.pop("MARKET_INSTANCE_PATH", None)
        else:
            os.environ["MARKET_INSTANCE_PATH"] = saved
        shutil.rmtree(folder, ignore_errors=True)


_import_what_an_app_imports()
