"""Configuration: defaults, then ``MARKET_*`` environment variables, then an explicit mapping.

Secrets never live in the repository: they come from the environment or the instance folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Settings an operator may change per region (domain.md marks them *(setting)*).
DEFAULT_SETTINGS: dict[str, Any] = {
    "ADMISSION_REVIEW_DAYS": 2,
    "SIGNUP_MIN_WORKING_DAYS": 3,
    "MIN_ELIGIBLE_REGISTRANTS": 3,
    "PUBLICITY_WORKING_DAYS": 3,
    "CONFIRM_WORKING_DAYS": 2,
    "ACCEPTANCE_WORKING_DAYS": 5,
    "CLOCK_WARNING_DAYS": 2,
    "DIRECT_SELECTION_THRESHOLD_FEN": 50_000_00,
    "UPLOAD_MAX_BYTES": 50 * 1024 * 1024,
    "SCAN_MAX_BYTES": 10 * 1024 * 1024,  # business licences and certificate scans
    "DIRECTORY_PER_PAGE": 20,
    "EXTERNAL_ENTROPY_MIN_DELAY_HOURS": 2,
    "PLATFORM_FEE_BASIS_POINTS": 0,
    "COMPLAINT_WORKING_DAYS": 20,  # a regulator decides a complaint within this
    # Sealed bids: how many of the regulators' opening keys open a request's quotes, and the
    # working days after the opening time within which they must, or the round fails unopened.
    "SEALED_OPENING_THRESHOLD": 1,
    "SEALED_OPENING_WORKING_DAYS": 2,
}

# Environment variables we read, with how to parse them.  Unknown MARKET_* names are ignored so a
# typo cannot silently switch something on.
_ENV: dict[str, tuple[str, type]] = {
    "MARKET_DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "MARKET_SECRET_KEY": ("SECRET_KEY", str),
    "MARKET_UPLOAD_DIR": ("UPLOAD_DIR", str),
    "MARKET_HTTPS": ("HTTPS", bool),
    "MARKET_ENV": ("ENV", str),
    "MARKET_RATELIMIT_STORAGE_URI": ("RATELIMIT_STORAGE_URI", str),
    "MARKET_SIGNING_KEY_FILE": ("SIGNING_KEY_FILE", str),
    "MARKET_SIGNING_KEY": ("SIGNING_KEY", str),
    "MARKET_DATA_KEY": ("DATA_KEY", str),
    "MARKET_LOG_ORIGIN": ("LOG_ORIGIN", str),
    "MARKET_SITE_NAME": ("SITE_NAME", str),
    "MARKET_OCDS_OCID_PREFIX": ("OCDS_OCID_PREFIX", str),
    "MARKET_LOGIN_LIMIT": ("LOGIN_LIMIT", str),
    "MARKET_CACHE_TYPE": ("CACHE_TYPE", str),
    "MARKET_CACHE_REDIS_URL": ("CACHE_REDIS_URL", str),
    # Billing: a Stripe secret key switches from the offline backend to Stripe.
    "MARKET_STRIPE_SECRET_KEY": ("STRIPE_SECRET_KEY", str),
    "MARKET_STRIPE_WEBHOOK_SECRET": ("STRIPE_WEBHOOK_SECRET", str),
    "MARKET_STRIPE_API_BASE": ("STRIPE_API_BASE", str),  # a Stripe stand-in (tests)
    # Reminder e-mail (flask clocks tick); no host = in-app reminders only.
    "MARKET_SMTP_HOST": ("SMTP_HOST", str),
    "MARKET_SMTP_PORT": ("SMTP_PORT", str),
    "MARKET_SMTP_USER": ("SMTP_USER", str),
    "MARKET_SMTP_PASSWORD": ("SMTP_PASSWORD", str),
    "MARKET_SMTP_FROM": ("SMTP_FROM", str),
    "MARKET_SMTP_STARTTLS": ("SMTP_STARTTLS", bool),
    "MARKET_SITE_URL": ("SITE_URL", str),  # absolute links in e-mail
    "MARKET_SEALED_OPENING_THRESHOLD": ("SEALED_OPENING_THRESHOLD", int),
    "MARKET_SEALED_OPENING_WORKING_DAYS": ("SEALED_OPENING_WORKING_DAYS", int),
}


class ConfigError(RuntimeError):
    """Start-up cannot continue: the message says what to set."""


def _parse(kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        try:
            value = int(raw.strip())
        except ValueError:
            raise ConfigError(f"expected a whole number, got {raw!r}") from None
        if value < 1:
            raise ConfigError(f"expected a whole number of at least 1, got {raw!r}")
        return value
    return raw


def defaults(instance_path: str) -> dict[str, Any]:
    return {
        "ENV": "development",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + str(Path(instance_path) / "market.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SECRET_KEY": None,
        "UPLOAD_DIR": str(Path(instance_path) / "uploads"),
        "HTTPS": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        # market.pagecache: per process by default; "RedisCache" + CACHE_REDIS_URL to share
        # between instances, "NullCache" to switch it off.  Correct either way (generations).
        "CACHE_TYPE": "SimpleCache",
        "CACHE_DEFAULT_TIMEOUT": 600,
        "CACHE_THRESHOLD": 2000,
        "LOGIN_LIMIT": "10 per 5 minutes",
        "STRIPE_SECRET_KEY": None,
        "STRIPE_WEBHOOK_SECRET": None,
        "STRIPE_API_BASE": None,
        "BILLING_CURRENCY": "cny",
        "SMTP_HOST": None,
        "SMTP_PORT": "25",
        "SMTP_USER": None,
        "SMTP_PASSWORD": None,
        "SMTP_FROM": "noreply@market.example",
        "SMTP_STARTTLS": False,
        "SITE_URL": "http://127.0.0.1:5000",
        "SITE_NAME": "云川市中介服务超市",
        # OCDS: the ocid prefix registered with the Open Contracting Partnership, and the
        # licence the data is published under.
        "OCDS_OCID_PREFIX": "ocds-yc0000",
        "OCDS_LICENSE": "https://creativecommons.org/licenses/by/4.0/",
        # The log's origin and the signing key's name (no white space, no '+').
        "LOG_ORIGIN": "yunchuan.market.example/draws",
        "SIGNING_KEY_FILE": None,
        "SIGNING_KEY": None,
        "DATA_KEY": None,
        "BABEL_DEFAULT_LOCALE": "zh_Hans_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": {"zh_Hans_CN": "中文", "en": "English"},
        "WTF_CSRF_TIME_LIMIT": None,  # the session lifetime bounds the token; a timeout loses typed text
        "WTF_I18N_ENABLED": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": DEFAULT_SETTINGS["UPLOAD_MAX_BYTES"] + 1024 * 1024,
        **DEFAULT_SETTINGS,
    }


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, (key, kind) in _ENV.items():
        if name in environ and environ[name] != "":
            try:
                found[key] = _parse(kind, environ[name])
            except ConfigError as error:
                raise ConfigError(f"{name}: {error}") from None
    return found


def finalise(config: dict[str, Any], instance_path: str) -> None:
    """Derive dependent values and enforce the rules that stop start-up."""
    secure = bool(config.get("HTTPS"))
    config["SESSION_COOKIE_SECURE"] = secure
    config["REMEMBER_COOKIE_SECURE"] = secure
    if secure:
        config["PREFERRED_URL_SCHEME"] = "https"
    if not config.get("SECRET_KEY"):
        if config.get("ENV") == "production":
            raise ConfigError(
                "MARKET_SECRET_KEY is not set. In production the secret key must come from the "
                "environment (for example: export MARKET_SECRET_KEY=$(python -c 'import secrets; "
                "print(secrets.token_hex(32))')). Refusing to start."
            )
        config["SECRET_KEY"] = _development_secret(instance_path)


def _development_secret(instance_path: str) -> str:
    """A per-checkout key kept in the instance folder, so sessions survive a restart."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(key)
    return key


def refuse_published_passwords_in_production() -> None:
    """Demo and generated data come with published passwords: never into a production
    database (MARKET_ENV=production).  Called by the commands that make such data."""
    import click
    from flask import current_app

    if current_app.config.get("ENV") == "production":
        raise click.UsageError("this command creates accounts whose password is published; "
                               "it does not run with MARKET_ENV=production")
