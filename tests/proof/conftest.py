"""tests/proof: with ``MARKET_PROOF_REPORT`` set (``make proof``), record every test's outcome
and duration (:mod:`tests.proof.outcomes`) for ``tools/proof_report.py``."""

from __future__ import annotations

import pytest

from tests.proof import outcomes


def pytest_configure(config: pytest.Config) -> None:
    outcomes.register(config)
