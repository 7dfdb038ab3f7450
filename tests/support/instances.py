"""Real app instances for the proof tests: gunicorn processes and ``flask`` commands on loopback,
configured only through ``MARKET_*`` variables, as in production (README "Production")."""

from __future__ import annotations

import base64
import contextlib
import os
import re
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.support import launcher
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')

# Keys every instance shares (README "Running on more than one machine"); test values only.
SECRET_KEY = "proof-secret-key-shared-by-every-instance"
SIGNING_SEED_B64 = base64.b64encode(bytes(range(32))).decode()
DATA_KEY_HEX = "11" * 32
LOG_ORIGIN = "proof.market.example/draws"
# How long a started instance may take to answer.  A worker that is not forked from a preloaded
# master imports the whole app first: a few seconds on an idle machine, but past 30 s of wall
# time with two test workers' chromium and servers sharing two cores.  Only the wait is longer;
# a ready instance answers at the next poll.
READY_SECONDS = 120.0


def environment(database_url: str, upload_dir: Path, instance_dir: Path,
                **extra: str) -> dict[str, str]:
    """The environment of one instance: everything from ``MARKET_*``, nothing from the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MARKET_", "FLASK_"))}
    instance_dir.mkdir(parents=True, exist_ok=True)
    env.update({
        "FLASK_APP": "market",
        "MARKET_DATABASE_URL": database_url,
        "MARKET_SECRET_KEY": SECRET_KEY,
        "MARKET_SIGNING_KEY": SIGNING_SEED_B64,
        "MARKET_DATA_KEY": DATA_KEY_HEX,
        "MARKET_UPLOAD_DIR": str(upload_dir),
        "MARKET_INSTANCE_PATH": str(instance_dir),
        "MARKET_LOGIN_LIMIT": "10000 per minute",  # the tests log in often; limits are tested elsewhere
        "MARKET_LOGIN_IP_LIMIT": "10000 per minute",
        # The witnesses and regulators log in with a password only, as in make run and the
        # in-process test app; the second factor is tested in tests/accounts.
        "MARKET_SECOND_FACTOR_ROLES": "none",
        # Production refuses the demo city's defaults for these (market.config).
        "MARKET_LOG_ORIGIN": LOG_ORIGIN,
        "MARKET_SITE_NAME": "验证用中介服务超市",
        "MARKET_SITE_URL": "http://127.0.0.1",
        "MARKET_OCDS_OCID_PREFIX": "ocds-proof1",
        **extra,
    })
    return env


def app_config() -> dict[str, Any]:
    """The same keys for an in-process app (tests.conftest.make_app) on the same database."""
    return {"SECRET_KEY": SECRET_KEY, "SIGNING_KEY": SIGNING_SEED_B64, "DATA_KEY": DATA_KEY_HEX,
            "LOG_ORIGIN": LOG_ORIGIN}


@dataclass
class Instance:
    name: str
    env: dict[str, str]
    logfile: Path
    config: Path | None = None  # a gunicorn settings file, for tests that hook the workers
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    _log: Any = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, workers: int = 2, timeout: float = READY_SECONDS) -> Instance:
        self.port = free_port()
        self._log = self.logfile.open("ab")
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers", str(workers),
             "--timeout", "120", "--graceful-timeout", "5",
             *(["--config", str(self.config)] if self.config else []), "wsgi:app"],
            cwd=ROOT, env=self.env, stdout=self._log, stderr=subprocess.STDOUT,
            start_new_session=True)
        try:
            self.wait_ready(timeout)
        except BaseException:
            self.stop()  # no gunicorn left running after a failed start
            raise
        return self

    def wait_ready(self, timeout: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} exited: {self.logfile.read_text()[-3000:]}")
            with contextlib.suppress(requests.RequestException):
                if requests.get(self.url + "/transparency/key", timeout=2).status_code == 200:
                    return
            time.sleep(0.1)
        raise AssertionError(f"{self.name} did not answer within {timeout} s")

    def workers(self) -> list[int]:
        assert self.process is not None
        pid = self.process.pid
        path = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(p) for p in path.read_text().split()] if path.exists() else []

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None


def start_flask(env: dict[str, str], *args: str) -> launcher.Command:
    """Start ``flask <args>`` with an instance's environment (the caller waits, with a
    timeout): its own process, forked from one that has imported the product
    (tests/support/launcher.py), so that it skips the interpreter's and the imports' start."""
    return launcher.launcher().start(env, list(args))


def run_flask(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    command = start_flask(env, *args)
    out, err = command.communicate(timeout=timeout)
    assert command.returncode == 0, out + err
    return out


def session() -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # loopback only, never a proxy
    return s


def token(s: requests.Session, url: str) -> str:
    match = CSRF_RE.search(s.get(url, timeout=30).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def login(base: str, email: str, password: str) -> requests.Session:
    s = session()
    r = s.post(base + "/login", data={"email": email, "password": password,
                                      "csrf_token": token(s, base + "/login")},
               allow_redirects=False, timeout=30)
    assert r.status_code == 302, r.text[-2000:]
    return s
