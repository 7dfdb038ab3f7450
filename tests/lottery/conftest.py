"""Shared fixtures: a small platform history with a drawn lottery and its bundle."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.lottery.lottery_helpers import LOTTERY, make_platform
from tests.support.lottery_history import Platform


@pytest.fixture(scope="session")
def platform() -> Platform:
    return make_platform()


@pytest.fixture(scope="session")
def _bundle(platform: Platform) -> dict[str, Any]:
    return platform.bundle(LOTTERY)


@pytest.fixture()
def bundle(_bundle: dict[str, Any]) -> dict[str, Any]:
    """A fresh deep copy per test, so tests may mutate it."""
    return copy.deepcopy(_bundle)
