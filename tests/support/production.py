"""Starting the app as production (``MARKET_ENV=production``) from the environment."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest
from flask import Flask

from market import create_app

# every setting production requires, each valid
PRODUCTION = {
    "MARKET_ENV": "production",
    "MARKET_SECRET_KEY": "a" * 64,
    "MARKET_SIGNING_KEY": base64.b64encode(bytes(range(32))).decode(),
    "MARKET_DATA_KEY": "11" * 32,
    "MARKET_LOG_ORIGIN": "market.example.gov.cn/draws",
    "MARKET_SITE_NAME": "某市中介服务超市",
    "MARKET_SITE_URL": "https://market.example.gov.cn",
    "MARKET_OCDS_OCID_PREFIX": "ocds-abc123",
}


def production(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **changes: str | None) -> Flask:
    """An app started as production from the environment (PRODUCTION, ``changes`` on top; a
    None value removes the variable), its instance folder and SQLite file in ``tmp_path``."""
    monkeypatch.setenv("MARKET_INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.setenv("MARKET_DATABASE_URL", f"sqlite:///{tmp_path / 'prod.db'}")
    for name in [n for n in os.environ if n.startswith("MARKET_") and n not in (
            "MARKET_INSTANCE_PATH", "MARKET_DATABASE_URL")]:
        monkeypatch.delenv(name)
    for name, value in {**PRODUCTION, **changes}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
    return create_app()
