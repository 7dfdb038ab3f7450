"""Properties of the draw (hypothesis) and its uniformity."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.draw import canonical_pool, rank
from lottery.errors import Invalid

SOURCES = [{"kind": "witness", "label": "w", "value": "123456"}]
ids = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,11}", fullmatch=True)
pools = st.lists(ids, min_size=1, max_size=30, unique=True)
secrets = st.binary(min_size=32, max_size=32)


@settings(max_examples=60, deadline=None)
@given(pools, secrets, st.randoms(use_true_random=False), st.integers(1, 5))
def test_ranking_independent_of_input_order(
    pool: list[str], secret: bytes, rnd: random.Random, k: int
) -> None:
    k = min(k, len(pool))
    shuffled = list(pool)
    rnd.shuffle(shuffled)
    a = rank("L-1", b"\x00" * 32, secret, SOURCES, pool, k)
    b = rank("L-1", b"\x00" * 32, secret, SOURCES, shuffled, k)
    assert a == b


@settings(max_examples=60, deadline=None)
@given(pools.filter(lambda p: len(p) >= 2), secrets, st.data())
def test_removing_a_non_winner_never_changes_winners(
    pool: list[str], secret: bytes, data: st.DataObject
) -> None:
    k = data.draw(st.integers(1, len(pool) - 1))
    full = rank("L-1", b"\x11" * 32, secret, SOURCES, pool, k)
    loser = data.draw(st.sampled_from(full.ranking[k:]))
    smaller = rank("L-1", b"\x11" * 32, secret, SOURCES, [p for p in pool if p != loser], k)
    assert smaller.winners == full.winners
    assert smaller.ranking == [p for p in full.ranking if p != loser]


combining = st.sampled_from([("é", "e\u0301"), ("Å", "A\u030a"), ("ñ", "n\u0303"),
                             ("가", "\u1100\u1161")])  # fmt: skip


@settings(max_examples=30, deadline=None)
@given(combining, st.text(alphabet="ABC-0123", max_size=5), pools)
def test_nfc_equivalent_ids_are_one_id(pair: tuple[str, str], stem: str, pool: list[str]) -> None:
    composed, decomposed = (stem + pair[0], stem + pair[1])
    assert composed != decomposed
    with pytest.raises(Invalid, match="duplicate"):
        canonical_pool([*pool, composed, decomposed])
    with pytest.raises(Invalid, match="duplicate"):
        rank("L-1", b"\x00" * 32, b"\x00" * 32, SOURCES, [composed, decomposed], 1)


def test_k_outside_pool_is_refused() -> None:
    with pytest.raises(Invalid):
        rank("L-1", b"\x00" * 32, b"\x00" * 32, SOURCES, ["A", "B"], 3)
    with pytest.raises(Invalid):
        rank("L-1", b"\x00" * 32, b"\x00" * 32, SOURCES, ["A", "B"], 0)


CHI2_CRITICAL_11_DOF_P001 = 31.264
DRAWS = 20_000
AGENCIES = 12


def _chi2(counts: list[int]) -> float:
    expected = sum(counts) / len(counts)
    return sum((c - expected) ** 2 / expected for c in counts)


def _assert_uniform(counts: list[int]) -> None:
    assert _chi2(counts) < CHI2_CRITICAL_11_DOF_P001, counts
    for c in counts:
        assert abs(c / DRAWS - 1 / AGENCIES) <= 0.015, counts


def test_uniform_by_id_order() -> None:
    rng = random.Random(20261201)  # seeded: a statistical test must not be flaky
    pool = [f"AG-{i:04d}" for i in range(AGENCIES)]
    counts = [0] * AGENCIES
    for _ in range(DRAWS):
        result = rank("ZJ-1", rng.randbytes(32), rng.randbytes(32), SOURCES, pool, 1)
        counts[pool.index(result.winners[0])] += 1
    _assert_uniform(counts)


def test_uniform_by_registration_order() -> None:
    rng = random.Random(7)
    counts = [0] * AGENCIES
    for _ in range(DRAWS):
        # Random ids, so registration order is unrelated to id (canonical) order.
        registered = [f"AG-{rng.getrandbits(40):010x}" for _ in range(AGENCIES)]
        result = rank("ZJ-1", rng.randbytes(32), rng.randbytes(32), SOURCES, registered, 1)
        counts[registered.index(result.winners[0])] += 1
    _assert_uniform(counts)
