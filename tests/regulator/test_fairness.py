"""The fairness statistics on synthetic data: a fair city is not flagged, a rigged one is."""

from __future__ import annotations

import random

import pytest

from market.domain.fairness import Draw, analyse, chi_square_sf, poisson_binomial, two_sided_p


def _fair(rng: random.Random, n: int, service: str = "EIA") -> list[Draw]:
    agencies = [f"AG-{i:06d}" for i in range(1, 13)]
    out = []
    for _ in range(n):
        pool = rng.sample(agencies, rng.randint(3, 8))
        k = rng.randint(1, 2)
        out.append(Draw(service, tuple(pool), frozenset(rng.sample(pool, k))))
    return out


def test_known_values() -> None:
    assert chi_square_sf(3.841458820694124, 1) == pytest.approx(0.05, abs=1e-6)
    assert chi_square_sf(18.307038053275146, 10) == pytest.approx(0.05, abs=1e-6)
    assert chi_square_sf(100.0, 50) == pytest.approx(3.4549e-05, rel=1e-3)
    dist = poisson_binomial([0.5, 0.5])
    assert dist == pytest.approx([0.25, 0.5, 0.25])
    assert two_sided_p([0.25] * 4, 1) == 1.0
    assert two_sided_p([0.2] * 30, 30) == pytest.approx(2 * 0.2 ** 30)


def test_a_fair_city_is_not_flagged() -> None:
    for seed in range(5):
        report = analyse(_fair(random.Random(seed), 200))
        assert not report.flagged, seed


def test_a_favoured_agency_and_its_service_are_flagged() -> None:
    rng = random.Random(7)
    draws = _fair(rng, 150)
    rigged = []
    for d in draws:  # AG-000001 wins whenever it is in the pool
        if "AG-000001" in d.pool and "AG-000001" not in d.winners:
            winners = set(d.winners)
            winners.discard(sorted(winners)[0])
            winners.add("AG-000001")
            d = Draw(d.service, d.pool, frozenset(winners))
        rigged.append(d)
    report = analyse(rigged)
    service = report.services[0]
    assert service.flagged
    flagged = [a.agency for a in service.agencies if a.flagged]
    assert "AG-000001" in flagged


def test_an_order_effect_is_flagged() -> None:
    rng = random.Random(11)
    draws = []
    for d in _fair(rng, 120):  # the first registrant always wins
        winners = set(rng.sample(d.pool[1:], len(d.winners) - 1)) | {d.pool[0]}
        draws.append(Draw(d.service, d.pool, frozenset(winners)))
    report = analyse(draws)
    first = next(o for o in report.order if o.position == "first")
    assert first.flagged and first.wins == first.draws
    last = next(o for o in report.order if o.position == "last")
    assert not last.flagged or last.wins < last.expected
