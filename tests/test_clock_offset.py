"""MARKET_CLOCK_OFFSET: in development the app's clock can run ahead of the real one, so a person
trying the demo reaches a sign-up close or a draw without waiting; production refuses it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from market import config as config_module
from market import timeutil
from market.config import ConfigError
from tests.conftest import make_app
from tests.support.production import production as _production


@pytest.fixture(autouse=True)
def _real_time_afterwards() -> object:
    yield
    timeutil.set_offset(timedelta(0))


@pytest.mark.parametrize(("text", "ahead"), [
    ("", timedelta(0)), ("3d", timedelta(days=3)), ("36h", timedelta(hours=36)),
    ("2d4h30m", timedelta(days=2, hours=4, minutes=30)), (" 1D 2H ", timedelta(days=1, hours=2)),
])
def test_offsets_read(text: str, ahead: timedelta) -> None:
    assert config_module.clock_offset({"CLOCK_OFFSET": text}) == ahead


@pytest.mark.parametrize("text", ["-1d", "3 days", "1.5d", "h", "2h3d", "tomorrow"])
def test_what_is_not_a_time_ahead_stops_start_up(tmp_path: Path, monkeypatch,
                                                 text: str) -> None:
    monkeypatch.setenv("MARKET_CLOCK_OFFSET", text)
    with pytest.raises(ConfigError, match="MARKET_CLOCK_OFFSET"):
        make_app(tmp_path)


def test_development_runs_the_clock_ahead_and_the_next_app_without_it_does_not(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MARKET_CLOCK_OFFSET", "3d2h")
    make_app(tmp_path / "ahead")
    real = datetime.now(UTC)
    assert abs(timeutil.now() - (real + timedelta(days=3, hours=2))) < timedelta(seconds=5)
    with timeutil.frozen(datetime(2026, 1, 5, tzinfo=UTC)):  # tests still freeze it exactly
        assert timeutil.now() == datetime(2026, 1, 5, tzinfo=UTC)
    monkeypatch.delenv("MARKET_CLOCK_OFFSET")
    make_app(tmp_path / "real")
    assert abs(timeutil.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_production_refuses_a_moved_clock(tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(ConfigError, match="MARKET_CLOCK_OFFSET .*production runs on the real"):
        _production(tmp_path, monkeypatch, MARKET_CLOCK_OFFSET="1d")
    assert abs(timeutil.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_clock_never_moves_back() -> None:
    with pytest.raises(ValueError, match="forward"):
        timeutil.set_offset(timedelta(hours=-1))
