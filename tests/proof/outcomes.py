"""pytest plugin of ``make proof``: each test's outcome and duration, and the machine, into the
evidence file named by ``MARKET_PROOF_REPORT`` (see :mod:`tests.proof.report`).

Registered by ``tests/proof/conftest.py`` when the variable is set, as a global plugin, so it
also sees the tests of ``tests/backup`` that ``make proof`` runs in the same session.
"""

from __future__ import annotations

import glob
import os
import platform
import sqlite3
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest

from tests.proof import report

PACKAGES = ("flask", "sqlalchemy", "gunicorn", "psycopg", "hypothesis", "schemathesis",
            "pytest", "requests")


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def machine() -> dict[str, Any]:
    """Cores, CPU, RAM, OS, kernel and the versions the run used."""
    info: dict[str, Any] = {"cores": os.cpu_count(), "arch": platform.machine()}
    cpu = _read("/proc/cpuinfo")
    for line in cpu.splitlines():
        if line.startswith("model name"):
            info["cpu"] = line.split(":", 1)[1].strip()
            break
    if "hypervisor" in cpu:
        info["virtualised"] = True
    for line in _read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            info["ram_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
    for line in _read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            info["os"] = line.split("=", 1)[1].strip('"')
    info["kernel"] = f"{platform.system()} {platform.release()}"
    info["python"] = platform.python_version()
    info["sqlite"] = sqlite3.sqlite_version
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if found:  # the newest, as tests/support/postgres.py picks it
        try:
            done = subprocess.run([found[-1], "--version"], capture_output=True, text=True,
                                  timeout=30, check=False)
            info["postgresql"] = done.stdout.strip() or done.stderr.strip()
        except OSError as error:
            info["postgresql"] = f"not runnable: {error}"
    else:
        info["postgresql"] = "not installed (PostgreSQL tests skip)"
    info["user_is_root"] = hasattr(os, "geteuid") and os.geteuid() == 0
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    info["packages"] = versions
    return info


class ProofOutcomes:
    """Collects the phase reports of each test and writes one ``outcome`` line per test."""

    def __init__(self, config: pytest.Config) -> None:
        self.reports: dict[str, list[pytest.TestReport]] = {}
        self.started = time.time()
        report.write({"kind": "session", "started": self.started,
                      "args": [str(a) for a in config.invocation_params.args],
                      "cwd": str(config.invocation_params.dir), "machine": machine(),
                      "pid": os.getpid(), "argv": sys.argv})

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.reports.setdefault(report.nodeid, []).append(report)

    @pytest.hookimpl
    def pytest_runtest_logfinish(self, nodeid: str, location: tuple[str, int | None, str]) -> None:
        phases = self.reports.pop(nodeid, [])
        outcome, reason = "passed", ""
        for rep in phases:
            if rep.failed:
                outcome = "failed" if rep.when == "call" else "error"
                reason = _failure(rep)
                break
            if rep.skipped:
                if hasattr(rep, "wasxfail"):
                    outcome, reason = "xfailed", str(rep.wasxfail)
                else:
                    outcome, reason = "skipped", _skip_reason(rep)
        report.write({"kind": "outcome", "nodeid": nodeid, "outcome": outcome, "reason": reason,
                      "duration": round(sum(r.duration for r in phases), 3),
                      "time": time.time()})

    @pytest.hookimpl
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            _write_collect_error(report)

    @pytest.hookimpl
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        report.write({"kind": "end", "finished": time.time(), "exitstatus": int(exitstatus),
                      "duration": round(time.time() - self.started, 1),
                      "collected": session.testscollected, "failed": session.testsfailed})


def _write_collect_error(rep: pytest.CollectReport) -> None:
    report.write({"kind": "outcome", "nodeid": rep.nodeid, "outcome": "error",
                  "reason": "collection failed: " + _failure(rep), "duration": 0.0,
                  "time": time.time()})


def _skip_reason(rep: pytest.TestReport) -> str:
    longrepr = rep.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr)


def _failure(rep: pytest.TestReport | pytest.CollectReport) -> str:
    crash = getattr(rep.longrepr, "reprcrash", None)
    text = crash.message if crash is not None else str(rep.longrepr)
    lines = [line for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else "failed"
    return first if len(first) <= 300 else first[:297] + "..."


NAME = "market-proof-outcomes"


def register(config: pytest.Config) -> None:
    """Register once per session, and only when the evidence file is asked for."""
    if report.enabled() and not config.pluginmanager.has_plugin(NAME):
        config.pluginmanager.register(ProofOutcomes(config), NAME)
