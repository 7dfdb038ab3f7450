"""Helpers shared by the lottery tests: vectors and a small platform history."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.support.lottery_history import Platform, run_lottery

# The project's own copy of the published vectors (docs/spec/vectors): the suite needs nothing
# outside the repository.  tests/lottery/test_lottery_vectors.py checks it against the shared
# copy where one sits beside the checkout.
VECTORS = Path(__file__).resolve().parents[2] / "docs" / "spec" / "vectors"
SHARED_VECTORS = Path(__file__).resolve().parents[3] / "shared" / "vectors"
START = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)
LOTTERY = "ZJ-2026-000001"
# A fixed key keeps failures reproducible.
SEED = bytes(range(32))


def vectors(name: str) -> Any:
    return json.loads((VECTORS / name).read_text("utf-8"))


def make_platform() -> Platform:
    p = Platform(key=Ed25519PrivateKey.from_private_bytes(SEED))
    # Another lottery first, so the log is shared and indexes are not contiguous.
    run_lottery(p, "ZJ-2026-000000", ["AG-0100", "AG-0101", "AG-0102"], START, seed=1)
    agencies = ["AG-0007", "AG-0003", "AG-0011", "AG-0001", "AG-0005", "AG-0009", "AG-0002",
                "AG-0004"]  # fmt: skip
    run_lottery(p, LOTTERY, agencies, START + timedelta(days=2), k=2, declines=1, withdraw=1, exclude=1, seed=2)
    return p


