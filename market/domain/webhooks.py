"""Webhook rules (推送规则), pure: the Standard Webhooks signature, the retry schedule and which
URLs and addresses an endpoint may have.

The signature (https://www.standardwebhooks.com, "Signature scheme"): the secret is ``whsec_``
followed by the base64 of its bytes; the signed content is ``id + "." + timestamp + "." +
body`` (timestamp in Unix seconds, body the exact bytes sent); the header is ``v1,`` and the
base64 of the HMAC-SHA256 of that content under the secret's bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import ipaddress
from datetime import datetime, timedelta
from typing import Final
from urllib.parse import urlsplit

SECRET_PREFIX: Final = "whsec_"  # noqa: S105  # the format's prefix, not a secret
SECRET_BYTES: Final = 32
# A receiver that has not answered with a 2xx within this long has failed the attempt.
TIMEOUT_SECONDS: Final = 10
# Retried at least this long after the first attempt, then given up.
RETRY_WINDOW: Final = timedelta(hours=24)
FIRST_RETRY: Final = timedelta(seconds=30)
LONGEST_WAIT: Final = timedelta(hours=4)
MAX_URL_LENGTH: Final = 2000


def encode_secret(raw: bytes) -> str:
    """``whsec_`` + base64 of the secret's bytes."""
    return SECRET_PREFIX + base64.b64encode(raw).decode()


def decode_secret(secret: str) -> bytes:
    """The bytes of a ``whsec_`` secret; ValueError if it is not one."""
    if not secret.startswith(SECRET_PREFIX):
        raise ValueError("a webhook secret starts with whsec_")
    try:
        raw = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except binascii.Error:
        raise ValueError("a webhook secret is whsec_ and base64") from None
    if not raw:
        raise ValueError("empty webhook secret")
    return raw


def signature(secret: bytes, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one attempt."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret, content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_delay(failed_attempts: int) -> timedelta:
    """How long to wait after the ``failed_attempts``-th failure: 30 s, doubling, at most 4 h
    (30 s, 1 min, 2 min … 2 h 8 min, then every 4 h)."""
    if failed_attempts < 1:
        raise ValueError("failed_attempts counts from 1")
    doublings = min(failed_attempts - 1, 20)
    wait: timedelta = FIRST_RETRY * (2 ** doublings)
    return min(wait, LONGEST_WAIT)


def next_attempt(first_attempt_at: datetime, failed_at: datetime,
                 failed_attempts: int) -> datetime | None:
    """When to try again after a failed attempt, or None to give up: the failed attempt was at
    least :data:`RETRY_WINDOW` after the first one, so the receiver had the whole window."""
    if failed_at - first_attempt_at >= RETRY_WINDOW:
        return None
    return failed_at + retry_delay(failed_attempts)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be a webhook endpoint (an error key), or None.  http(s) only, with a
    host, without credentials or a fragment."""
    if len(url) > MAX_URL_LENGTH:
        return "too_long"
    if any(ord(c) <= 32 or ord(c) == 127 for c in url):
        return "not_a_url"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "not_a_url"
    if parts.scheme not in ("http", "https"):
        return "scheme"
    if not parts.hostname:
        return "not_a_url"
    if parts.username is not None or parts.password is not None:
        return "credentials"
    if parts.fragment:
        return "fragment"
    if port == 0:
        return "not_a_url"
    return None


def is_public_address(address: str) -> bool:
    """Whether an IP address is one a webhook may be sent to from production: globally routed
    unicast, so not loopback, private (RFC 1918, fc00::/7), link-local (cloud metadata at
    169.254.169.254), shared (100.64/10), multicast, reserved or unspecified.  IPv4-mapped and
    NAT64-embedded IPv6 addresses are judged by the IPv4 address inside."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in ipaddress.IPv6Network("64:ff9b::/96"):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return bool(ip.is_global) and not ip.is_multicast
