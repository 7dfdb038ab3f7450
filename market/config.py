"""Configuration: defaults, then ``MARKET_*`` environment variables, then an explicit mapping.

Secrets never live in the repository: they come from the environment or the instance folder.
"""

from __future__ import annotations

import os
import re
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import current_app
from limits import parse_many

from lottery import keys as lkeys
from lottery.errors import Invalid
from market.crypto import parse_data_key

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
    # A regulator decides an objection (异议) to a result notice within this; the same term as
    # a purchaser's answer to a 质疑 (政府采购质疑和投诉办法, 财政部令第94号, art. 13).
    "OBJECTION_WORKING_DAYS": 7,
    # Electronic supervision (电子监察): working days past the due date at which a late matter
    # gets its warning (预警提醒), yellow card (黄牌, with a 督办) and red card (红牌); the
    # working days the regulator has to answer a 督办; the managing department's public id
    # (red cards; every regulator when empty).
    "ESCALATION_WARNING_DAYS": 1,
    "ESCALATION_YELLOW_DAYS": 3,
    "ESCALATION_RED_DAYS": 10,
    "ESCALATION_ANSWER_WORKING_DAYS": 5,
    # the managing departments (主管部门) red cards go to: public ids, one per tenant; a
    # tenant with none named: the regulators whose scope covers the late matter
    "ESCALATION_MANAGING_ORG": "",
    # A poor rating (差评: 不满意 or 非常不满意) gives the agency this long to correct and answer
    # (好差评: 15 working days, the term the provinces' 好差评 rules use).
    "CORRECTION_WORKING_DAYS": 15,
    # Rotation (轮换): an agency selected this many times by one owner within the period (days)
    # may not take part in that owner's next request; 0 turns the limit off.  Provinces set
    # their own number, so the platform ships it off.
    # An avoid list (回避名单) naming more agencies than this is published only after a
    # regulator approved it.
    "AVOID_LIST_MAX": 3,
    "REPEAT_WIN_LIMIT": 0,
    "REPEAT_WIN_DAYS": 365,
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
    # The province and the first tenant ("code name"): what migration 0036 makes of a
    # one-city database and what an empty division tree starts with (market.accounts.tenants).
    "MARKET_PROVINCE": ("PROVINCE", str),
    "MARKET_FIRST_TENANT": ("FIRST_TENANT", str),
    "MARKET_OCDS_OCID_PREFIX": ("OCDS_OCID_PREFIX", str),
    "MARKET_LOGIN_LIMIT": ("LOGIN_LIMIT", str),
    "MARKET_LOGIN_IP_LIMIT": ("LOGIN_IP_LIMIT", str),
    "MARKET_TRUSTED_PROXIES": ("TRUSTED_PROXIES", int),
    "MARKET_SESSION_IDLE_MINUTES": ("SESSION_IDLE_MINUTES", int),
    "MARKET_SESSION_MAX_HOURS": ("SESSION_MAX_HOURS", int),
    # The roles whose people must have a second factor (动态口令) to log in with a password,
    # separated by commas; "none" for nobody (market.accounts.second_factor).
    "MARKET_SECOND_FACTOR_ROLES": ("SECOND_FACTOR_ROLES", str),
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
    # SMS of subscribed notices through a gateway speaking market.notify.sms's HTTP form; no
    # URL = SMS off.  The hour (Beijing) at which the daily digests of new notices go out.
    "MARKET_SMS_GATEWAY_URL": ("SMS_GATEWAY_URL", str),
    "MARKET_SMS_GATEWAY_TOKEN": ("SMS_GATEWAY_TOKEN", str),
    "MARKET_DIGEST_HOUR": ("DIGEST_HOUR", int),
    "MARKET_SEALED_OPENING_THRESHOLD": ("SEALED_OPENING_THRESHOLD", int),
    "MARKET_SEALED_OPENING_WORKING_DAYS": ("SEALED_OPENING_WORKING_DAYS", int),
    "MARKET_OBJECTION_WORKING_DAYS": ("OBJECTION_WORKING_DAYS", int),
    "MARKET_ESCALATION_WARNING_DAYS": ("ESCALATION_WARNING_DAYS", int),
    "MARKET_ESCALATION_YELLOW_DAYS": ("ESCALATION_YELLOW_DAYS", int),
    "MARKET_ESCALATION_RED_DAYS": ("ESCALATION_RED_DAYS", int),
    "MARKET_ESCALATION_ANSWER_WORKING_DAYS": ("ESCALATION_ANSWER_WORKING_DAYS", int),
    "MARKET_ESCALATION_MANAGING_ORG": ("ESCALATION_MANAGING_ORG", str),
    "MARKET_CORRECTION_WORKING_DAYS": ("CORRECTION_WORKING_DAYS", int),
    "MARKET_AVOID_LIST_MAX": ("AVOID_LIST_MAX", int),
    "MARKET_REPEAT_WIN_LIMIT": ("REPEAT_WIN_LIMIT", int),
    "MARKET_REPEAT_WIN_DAYS": ("REPEAT_WIN_DAYS", int),
    # Development only: the app's clock runs this far ahead of the real one ("3d", "36h",
    # "2d4h30m"), so a person trying the demo can reach a sign-up close or a draw without
    # waiting.  Refused in production.
    "MARKET_CLOCK_OFFSET": ("CLOCK_OFFSET", str),
    # Machine clients (shared/spec/integration.md §2) and webhooks (§5).
    "MARKET_API_CLIENT_LIMIT": ("API_CLIENT_LIMIT", str),
    "MARKET_API_TOKEN_LIMIT": ("API_TOKEN_LIMIT", str),
    "MARKET_API_TOKEN_SECONDS": ("API_TOKEN_SECONDS", int),
    "MARKET_WEBHOOK_ALLOW_PRIVATE": ("WEBHOOK_ALLOW_PRIVATE", bool),
    # OpenID Connect login for owners and agencies (统一身份认证, market.accounts.oidc): off
    # unless issuer, client id and secret are all set.  The secret may instead sit in the
    # instance folder's file ``oidc_client_secret``.
    "MARKET_OIDC_ISSUER": ("OIDC_ISSUER", str),
    "MARKET_OIDC_CLIENT_ID": ("OIDC_CLIENT_ID", str),
    "MARKET_OIDC_CLIENT_SECRET": ("OIDC_CLIENT_SECRET", str),
    "MARKET_OIDC_CREDIT_CODE_CLAIM": ("OIDC_CREDIT_CODE_CLAIM", str),
    "MARKET_OIDC_SCOPES": ("OIDC_SCOPES", str),
}


class ConfigError(RuntimeError):
    """Start-up cannot continue: the message says what to set."""


def _parse(name: str, kind: type, raw: str) -> Any:
    if kind is bool:
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if kind is int:
        try:
            return int(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a whole number, not {raw!r}.") from None
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
        # market.accounts.throttle: per account from browsers that never logged in to it, and
        # per browser that did (device cookie); every attempt counts.  100 a day keeps within
        # NIST SP 800-63B §5.2.2 (at most 100 consecutive failures on one account).
        "LOGIN_LIMIT": "10 per 5 minutes; 100 per day",
        # Failed logins per client address from browsers without a device cookie.
        "LOGIN_IP_LIMIT": "50 per 5 minutes",
        # Proxies in front of the app that set X-Forwarded-For / -Proto (werkzeug ProxyFix);
        # 0 = the app is reached directly and forwarded headers are ignored.
        "TRUSTED_PROXIES": 0,
        # market.accounts.sessions: NIST SP 800-63B (rev. 3) §4.2.3, second assurance level.
        "SESSION_IDLE_MINUTES": 30,
        "SESSION_MAX_HOURS": 12,
        # The platform's and the supervisors' accounts act for others (accounts, admission,
        # sanctions, approvals): a stolen password alone must not be enough.  The demo
        # (make run) and the tests' app set "none"; anyone may enrol whatever this says.
        "SECOND_FACTOR_ROLES": "operator,regulator,department_staff",
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
        "SMS_GATEWAY_URL": None,
        "SMS_GATEWAY_TOKEN": None,
        "DIGEST_HOUR": 8,
        "CLOCK_OFFSET": "",
        "SITE_NAME": "云川市中介服务超市",
        # GB/T 2260 code and name.  The demo city is fictional: 5399xx is a city code no real
        # division of 云南省 uses.
        "PROVINCE": "530000 云南省",
        "FIRST_TENANT": "539900 云川市",
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
        # Calls per machine client (market.integration.oauth), token requests per address.
        "API_CLIENT_LIMIT": "600 per minute",
        "API_TOKEN_LIMIT": "30 per minute",
        "API_TOKEN_SECONDS": 3600,  # a bearer token's life, at most an hour
        # Webhooks to loopback and private addresses: refused in production unless set
        # (None: allowed outside production, for development and the tests' receivers).
        "WEBHOOK_ALLOW_PRIVATE": None,
        "OIDC_ISSUER": None,
        "OIDC_CLIENT_ID": None,
        "OIDC_CLIENT_SECRET": None,
        # the claim that carries the organisation's unified social credit code (统一社会信用代码)
        "OIDC_CREDIT_CODE_CLAIM": "uscc",
        # the scopes asked for; the credit-code claim must come with one of them
        "OIDC_SCOPES": "openid email profile",
        **DEFAULT_SETTINGS,
    }


def from_environment(environ: os._Environ[str] | dict[str, str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for name, (key, kind) in _ENV.items():
        if name in environ and environ[name] != "":
            found[key] = _parse(name, kind, environ[name])
    return found


def finalise(config: dict[str, Any], instance_path: str) -> None:
    """Derive dependent values and enforce the rules that stop start-up."""
    secure = bool(config.get("HTTPS"))
    config["SESSION_COOKIE_SECURE"] = secure
    config["REMEMBER_COOKIE_SECURE"] = secure
    if secure:
        config["PREFERRED_URL_SCHEME"] = "https"
    if config.get("WEBHOOK_ALLOW_PRIVATE") is None:
        config["WEBHOOK_ALLOW_PRIVATE"] = config.get("ENV") != "production"
    if config.get("OIDC_ISSUER") and not config.get("OIDC_CLIENT_SECRET"):
        stored = Path(instance_path) / "oidc_client_secret"
        if stored.is_file():
            config["OIDC_CLIENT_SECRET"] = stored.read_text().strip()
    problems = _setting_problems(config)
    if config.get("ENV") == "production":
        problems += production_problems(config, instance_path)
        if config.get("CLOCK_OFFSET"):
            problems.append("MARKET_CLOCK_OFFSET moves the clock for trying the demo in "
                            "development; production runs on the real time: unset it.")
    if problems:
        raise ConfigError("Refusing to start:\n" + "\n".join(f"  - {p}" for p in problems))
    # The signed cookie dies with the server-side session (market.accounts.sessions).
    config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(config["SESSION_MAX_HOURS"]))
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _development_secret(instance_path)


def _setting_problems(config: dict[str, Any]) -> list[str]:
    """Values that would only fail later, at the first request that reads them."""
    problems = []
    for key in ("LOGIN_LIMIT", "LOGIN_IP_LIMIT", "API_CLIENT_LIMIT", "API_TOKEN_LIMIT"):
        try:
            parse_many(str(config[key]))
        except ValueError:
            problems.append(f"MARKET_{key} is not a rate limit such as '10 per 5 minutes; "
                            f"100 per day': {config[key]!r}")
    for key, low in (("TRUSTED_PROXIES", 0), ("SESSION_IDLE_MINUTES", 1),
                     ("SESSION_MAX_HOURS", 1), ("SEALED_OPENING_THRESHOLD", 1),
                     ("SEALED_OPENING_WORKING_DAYS", 1), ("API_TOKEN_SECONDS", 60),
                     ("OBJECTION_WORKING_DAYS", 1), ("ESCALATION_ANSWER_WORKING_DAYS", 1),
                     ("CORRECTION_WORKING_DAYS", 1), ("REPEAT_WIN_LIMIT", 0), ("AVOID_LIST_MAX", 0),
                     ("REPEAT_WIN_DAYS", 1)):
        if not isinstance(config.get(key), int) or config[key] < low:
            problems.append(f"MARKET_{key} must be a whole number of at least {low}: "
                            f"{config.get(key)!r}")
    if not isinstance(config.get("DIGEST_HOUR"), int) or not 0 <= config["DIGEST_HOUR"] <= 23:
        problems.append("MARKET_DIGEST_HOUR is an hour of the day in Beijing, 0 to 23: "
                        f"{config.get('DIGEST_HOUR')!r}")
    ladder = [config.get(k) for k in ("ESCALATION_WARNING_DAYS", "ESCALATION_YELLOW_DAYS",
                                      "ESCALATION_RED_DAYS")]
    days = [v for v in ladder if isinstance(v, int)]
    if len(days) != 3 or not 1 <= days[0] < days[1] < days[2]:
        problems.append("MARKET_ESCALATION_WARNING_DAYS < MARKET_ESCALATION_YELLOW_DAYS < "
                        f"MARKET_ESCALATION_RED_DAYS, the first at least 1: {ladder!r}")
    if second_factor_roles(config) is None:
        problems.append("MARKET_SECOND_FACTOR_ROLES lists roles (owner_admin, owner_delegate, "
                        "agency_admin, agency_staff, regulator, operator, department_staff) "
                        "separated by commas, or none: "
                        f"{config.get('SECOND_FACTOR_ROLES')!r}")
    oidc = [k for k in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET") if config.get(k)]
    if oidc and len(oidc) < 3:
        problems.append("OpenID Connect login needs MARKET_OIDC_ISSUER, MARKET_OIDC_CLIENT_ID and "
                        "MARKET_OIDC_CLIENT_SECRET (or the instance file oidc_client_secret) "
                        f"together; only {', '.join(oidc)} is set.")
    if oidc and "openid" not in str(config.get("OIDC_SCOPES") or "").split():
        problems.append(f"MARKET_OIDC_SCOPES must include openid: {config.get('OIDC_SCOPES')!r}")
    if clock_offset(config) is None:
        problems.append("MARKET_CLOCK_OFFSET is a time ahead such as '3d', '36h' or '2d4h30m' "
                        f"(days, hours, minutes; forward only): {config.get('CLOCK_OFFSET')!r}")
    if isinstance(config.get("API_TOKEN_SECONDS"), int) and config["API_TOKEN_SECONDS"] > 3600:
        problems.append("MARKET_API_TOKEN_SECONDS must be at most 3600 (one hour): "
                        f"{config['API_TOKEN_SECONDS']!r}")
    return problems


_ROLES = frozenset({"owner_admin", "owner_delegate", "agency_admin", "agency_staff", "regulator",
                    "operator", "department_staff"})


def second_factor_roles(config: Any) -> frozenset[str] | None:
    """The roles ``SECOND_FACTOR_ROLES`` names (empty for "none" or nothing); None when it
    names a role that does not exist."""
    text = str(config.get("SECOND_FACTOR_ROLES") or "").strip().lower()
    if text in ("", "none"):
        return frozenset()
    names = frozenset(n.strip() for n in re.split(r"[,\s]+", text) if n.strip())
    return names if names <= _ROLES else None


_OFFSET = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?")


def clock_offset(config: dict[str, Any]) -> timedelta | None:
    """How far ahead ``MARKET_CLOCK_OFFSET`` puts the clock (zero when unset); None when it
    is not a duration.  Forward only: the draw log's times never go back, so a clock moved back
    would refuse every append until the real time caught up."""
    text = str(config.get("CLOCK_OFFSET") or "").strip().lower().replace(" ", "")
    if not text:
        return timedelta(0)
    found = _OFFSET.fullmatch(text)
    if found is None:
        return None
    days, hours, minutes = (int(g or 0) for g in found.groups())
    return timedelta(days=days, hours=hours, minutes=minutes)


# Settings whose default belongs to one development machine or to the fictional demo city:
# production must name its own (variable, config key, why).
_PRODUCTION_OWN_VALUE = (
    ("MARKET_DATABASE_URL", "SQLALCHEMY_DATABASE_URI",
     "name the database (postgresql+psycopg://user:pass@host/db, or an SQLite file path for "
     "a single machine); the default is a file in the instance folder"),
    ("MARKET_LOG_ORIGIN", "LOG_ORIGIN",
     "the draw log's origin is signed into every checkpoint for good; the default is the "
     "demo city's"),
    ("MARKET_SITE_NAME", "SITE_NAME", "the default is the fictional demo city's name"),
    ("MARKET_SITE_URL", "SITE_URL",
     "the address in e-mailed links; the default is http://127.0.0.1:5000"),
    ("MARKET_OCDS_OCID_PREFIX", "OCDS_OCID_PREFIX",
     "the prefix registered with the Open Contracting Partnership; the default is made up"),
)


def production_problems(config: dict[str, Any], instance_path: str) -> list[str]:
    """Everything production needs that is missing or unusable, each naming its variable."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if not secret:
        problems.append(
            "MARKET_SECRET_KEY is not set: the session and CSRF secret must come from the "
            "environment (for example: export MARKET_SECRET_KEY=$(python -c 'import secrets; "
            "print(secrets.token_hex(32))')).")
    elif len(secret) < 32:
        problems.append("MARKET_SECRET_KEY is shorter than 32 characters: use "
                        "secrets.token_hex(32).")
    problems += _signing_key_problems(config)
    if config.get("OIDC_ISSUER") and not str(config["OIDC_ISSUER"]).startswith("https://"):
        problems.append("MARKET_OIDC_ISSUER must be an https:// address in production: "
                        f"{config['OIDC_ISSUER']!r}")
    if not config.get("DATA_KEY"):
        problems.append("MARKET_DATA_KEY is not set: the key that seals draw secrets and "
                        "sealed bids (32 random bytes as hex: python -c 'import secrets; "
                        "print(secrets.token_hex(32))'); back it up with the database.")
    else:
        try:
            parse_data_key(str(config["DATA_KEY"]))
        except ValueError as error:
            problems.append(f"MARKET_DATA_KEY: {error}")
    fallback = defaults(instance_path)
    for variable, key, why in _PRODUCTION_OWN_VALUE:
        if not config.get(key) or config[key] == fallback[key]:
            problems.append(f"{variable} is not set: {why}.")
    return problems


def _signing_key_problems(config: dict[str, Any]) -> list[str]:
    if config.get("SIGNING_KEY_FILE"):
        variable = "MARKET_SIGNING_KEY_FILE"
        try:
            lkeys.load_private_key_file(config["SIGNING_KEY_FILE"])
        except OSError as error:
            return [f"{variable}: cannot read {config['SIGNING_KEY_FILE']}: {error.strerror} "
                    "(make the key first: MARKET_ENV=development flask transparency keygen "
                    "PATH)."]
        except Invalid as error:
            return [f"{variable}: {error}."]
        return []
    if config.get("SIGNING_KEY"):
        try:
            lkeys.load_private_key_text(config["SIGNING_KEY"])
        except Invalid as error:
            return [f"MARKET_SIGNING_KEY: {error}."]
        return []
    return ["MARKET_SIGNING_KEY_FILE (or MARKET_SIGNING_KEY) is not set: the platform's "
            "Ed25519 key that signs draw records and log checkpoints (make one with `flask "
            "transparency keygen PATH`, keep it secret, back it up)."]


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
    if current_app.config.get("ENV") == "production":
        raise click.UsageError("this command creates accounts whose password is published; "
                               "it does not run with MARKET_ENV=production")
