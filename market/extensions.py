"""Unbound extensions, initialised in :func:`market.create_app`."""

from __future__ import annotations

from flask import request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf import CSRFProtect

babel = Babel()
cache = Cache()  # market.pagecache: whole public responses, keyed by a generation
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(key_func=get_remote_address, default_limits=[])


def login_account_key() -> str:
    """Rate-limit key for the account being tried, whether or not it exists."""
    return "account:" + (request.form.get("email") or "").strip().lower()
