"""The machine description every benchmark prints with its table."""

from __future__ import annotations

import os
import platform
from datetime import UTC, datetime
from pathlib import Path


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    except OSError:
        pass
    return 0.0


def machine_lines(extra: list[str] | None = None) -> list[str]:
    """Markdown list items: cores, CPU, RAM, kernel, Python, date (and ``extra`` items)."""
    return [
        f"- {os.cpu_count()} cores, {cpu_model()}, {memory_gib():.0f} GiB RAM, "
        f"Linux {platform.release()}",
        f"- Python {platform.python_version()} ({platform.python_implementation()})"
        + "".join(f"; {e}" for e in extra or []),
        f"- Date: {datetime.now(UTC).strftime('%Y-%m-%d')}",
    ]
