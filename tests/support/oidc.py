"""A real OpenID Connect provider on loopback for the tests (npm's oidc-provider, run by node
from tests/support/oidc_provider.mjs), and a person signing in at it without a browser."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("oidc_provider.mjs")
CLIENT_ID, CLIENT_SECRET = "market-test", "loopback-client-secret-0123456789"


def missing_reason() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (ROOT / "node_modules" / "oidc-provider").is_dir():
        return "oidc-provider is not installed (`make install` runs `npm ci`)"
    return None


@contextmanager
def provider(redirect_uris: list[str], accounts: dict[str, dict[str, str]],
             claim: str = "uscc") -> Iterator[str]:
    """Start the provider; yields its issuer (http://127.0.0.1:<free port>)."""
    reason = missing_reason()
    if reason:
        pytest.skip(reason)
    config = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
              "redirect_uris": redirect_uris, "claim": claim, "accounts": accounts}
    process = subprocess.Popen(
        ["node", str(SCRIPT)], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, env={**os.environ, "OIDC_TEST_CONFIG": json.dumps(config)})
    found: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("LISTENING "):
                found.append(line.split()[1])
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=30)
    try:
        if not found:
            process.kill()
            _, err = process.communicate(timeout=10)
            raise RuntimeError(f"the OpenID Connect provider did not start: {err[-2000:]}")
        yield found[0]
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


_FORM = re.compile(r'<form[^>]*action="([^"]+)"[^>]*method="post"', re.S)


def sign_in(authorize_url: str, login: str, redirect_prefix: str) -> str:
    """A person at the provider's own (development) login and consent pages: follows its
    redirects from ``authorize_url``, logs in as ``login`` (any password), consents, and
    returns the URL the provider sends the browser back to (it starts with
    ``redirect_prefix``)."""
    s = requests.Session()
    url, method, data = authorize_url, "GET", None
    for _ in range(12):
        r = s.request(method, url, data=data, allow_redirects=False, timeout=10)
        if r.is_redirect:
            target = urljoin(url, r.headers["Location"])
            if target.startswith(redirect_prefix):
                return target
            url, method, data = target, "GET", None
            continue
        assert r.status_code == 200, (r.status_code, r.text[:1000])
        form = _FORM.search(r.text)
        assert form, r.text[:2000]
        url, method = urljoin(url, unescape(form.group(1))), "POST"
        data = ({"prompt": "login", "login": login, "password": "any"}
                if 'name="login"' in r.text else {"prompt": "consent"})
    raise AssertionError("the provider never sent the browser back")


def app_config(issuer: str, **extra: Any) -> dict[str, Any]:
    return {"OIDC_ISSUER": issuer, "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_SCOPES": "openid email profile organisation", **extra}
