"""Are the draws fair?  Statistics for the regulator's fairness page (公平性分析), pure stdlib.

Under agency-lottery/v1 every ranking of the frozen pool is equally likely, so an agency in a
pool of ``n`` with ``k`` winners wins with probability ``k / n``, independently from one
lottery to the next.  An agency's wins over the lotteries it entered therefore follow a
Poisson-binomial distribution, whose exact tail we compute by dynamic programming.

- **Agency**: two-sided exact p-value of its wins (twice the smaller tail, at most 1); flagged
  when below ``alpha`` divided by the number of agencies tested in that service type
  (Bonferroni), so a fair city is flagged with probability at most ``alpha`` per service type.
- **Service type**: ``Σ (wins − expected)² / variance`` over its agencies against a chi-square
  distribution with one degree of freedom per agency (an approximation: wins in one lottery are
  slightly negatively dependent, which makes the test conservative); flagged below ``alpha``.
- **Order**: the first (and the last) registrant of each pool, by sign-up time, against
  ``k / n`` per lottery, with the same exact test; flagged below ``alpha``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

ALPHA = 0.01


@dataclass(frozen=True)
class Draw:
    """One drawn lottery: its service type, its pool in registration order, its winners."""

    service: str
    pool: tuple[str, ...]
    winners: frozenset[str]

    @property
    def p(self) -> float:
        return len(self.winners) / len(self.pool) if self.pool else 0.0


def poisson_binomial(ps: Sequence[float]) -> list[float]:
    """P(X = j) for j = 0..len(ps), X the number of successes of independent Bernoulli(ps)."""
    dist = [1.0]
    for p in ps:
        nxt = [0.0] * (len(dist) + 1)
        q = 1.0 - p
        for j, mass in enumerate(dist):
            nxt[j] += mass * q
            nxt[j + 1] += mass * p
        dist = nxt
    return dist


def two_sided_p(ps: Sequence[float], observed: int) -> float:
    """Exact two-sided p-value: twice the smaller tail of ``observed``, at most 1."""
    dist = poisson_binomial(ps)
    if not 0 <= observed < len(dist):
        return 0.0
    upper = sum(dist[observed:])
    lower = sum(dist[: observed + 1])
    return min(1.0, 2.0 * min(upper, lower))


def _gamma_series(a: float, x: float) -> float:
    """Regularized lower incomplete gamma P(a, x) by its series (x < a + 1)."""
    term = total = 1.0 / a
    ap = a
    for _ in range(10_000):
        ap += 1.0
        term *= x / ap
        total += term
        if abs(term) < abs(total) * 1e-15:
            break
    return total * math.exp(-x + a * math.log(x) - math.lgamma(a))


def _gamma_fraction(a: float, x: float) -> float:
    """Regularized upper incomplete gamma Q(a, x) by Lentz's continued fraction (x ≥ a + 1)."""
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return math.exp(-x + a * math.log(x) - math.lgamma(a)) * h


def chi_square_sf(statistic: float, df: int) -> float:
    """P(χ²(df) ≥ statistic): the regularized upper incomplete gamma Q(df/2, statistic/2)."""
    if df <= 0:
        return 1.0
    if statistic <= 0:
        return 1.0
    a, x = df / 2.0, statistic / 2.0
    if x < a + 1.0:
        return max(0.0, min(1.0, 1.0 - _gamma_series(a, x)))
    return max(0.0, min(1.0, _gamma_fraction(a, x)))


@dataclass(frozen=True)
class AgencyResult:
    agency: str
    entered: int
    wins: int
    expected: float
    p_value: float
    flagged: bool


@dataclass(frozen=True)
class ServiceResult:
    service: str
    draws: int
    agencies: tuple[AgencyResult, ...]
    statistic: float
    df: int
    p_value: float
    flagged: bool


@dataclass(frozen=True)
class OrderResult:
    position: str  # "first" or "last" registrant
    draws: int
    wins: int
    expected: float
    p_value: float
    flagged: bool


@dataclass(frozen=True)
class Report:
    services: tuple[ServiceResult, ...]
    order: tuple[OrderResult, ...]

    @property
    def flagged(self) -> bool:
        return any(s.flagged or any(a.flagged for a in s.agencies) for s in self.services) or \
            any(o.flagged for o in self.order)


def _service(service: str, draws: Sequence[Draw], alpha: float) -> ServiceResult:
    chances: dict[str, list[float]] = {}
    wins: dict[str, int] = {}
    for d in draws:
        for agency in d.pool:
            chances.setdefault(agency, []).append(d.p)
            wins[agency] = wins.get(agency, 0) + (agency in d.winners)
    tested = len(chances)
    rows: list[AgencyResult] = []
    statistic, df = 0.0, 0
    for agency in sorted(chances, key=lambda a: a.encode()):
        ps = chances[agency]
        expected = sum(ps)
        variance = sum(p * (1.0 - p) for p in ps)
        p_value = two_sided_p(ps, wins[agency])
        if variance > 0:
            statistic += (wins[agency] - expected) ** 2 / variance
            df += 1
        rows.append(AgencyResult(agency, len(ps), wins[agency], expected, p_value,
                                 p_value < alpha / max(1, tested)))
    p_service = chi_square_sf(statistic, df)
    return ServiceResult(service, len(draws), tuple(rows), statistic, df, p_service,
                         df > 0 and p_service < alpha)


def _order(position: str, draws: Sequence[Draw], alpha: float) -> OrderResult:
    ps: list[float] = []
    won = 0
    for d in draws:
        if len(d.pool) < 2:
            continue
        who = d.pool[0] if position == "first" else d.pool[-1]
        ps.append(d.p)
        won += who in d.winners
    p_value = two_sided_p(ps, won) if ps else 1.0
    return OrderResult(position, len(ps), won, sum(ps), p_value, bool(ps) and p_value < alpha)


def analyse(draws: Iterable[Draw], alpha: float = ALPHA) -> Report:
    """The fairness report of ``draws`` (lotteries with an empty pool are ignored)."""
    usable = [d for d in draws if d.pool]
    by_service: dict[str, list[Draw]] = {}
    for d in usable:
        by_service.setdefault(d.service, []).append(d)
    services = tuple(_service(s, by_service[s], alpha) for s in sorted(by_service))
    return Report(services, (_order("first", usable, alpha), _order("last", usable, alpha)))
