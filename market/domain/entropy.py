"""Choosing the external randomness of a draw (lottery-v1.md §5): a public source whose value
becomes known only well after sign-up closes, so nobody can know it when the pool is frozen.

Times are aware UTC datetimes; the official lotteries draw at 21:15 Beijing time.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DRAW_TIME = time(21, 15)


class ExternalKind(enum.StrEnum):
    SSQ = "ssq"  # 福彩双色球: Tue, Thu, Sun; six red and one blue
    FC3D = "fc3d"  # 福彩3D: daily; three digits
    DRAND = "drand"  # drand quicknet: a round every 3 s


@dataclass(frozen=True)
class Game:
    name: str
    weekdays: frozenset[int]  # Monday = 0
    groups: tuple[int, ...]


GAMES = {
    ExternalKind.SSQ: Game("福彩双色球", frozenset({1, 3, 6}), (6, 1)),
    ExternalKind.FC3D: Game("福彩3D", frozenset(range(7)), (3,)),
}

QUICKNET_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
QUICKNET_GENESIS = 1692803367
QUICKNET_PERIOD = 3


def next_official_draw(kind: ExternalKind, not_before: datetime) -> datetime:
    """The first official draw of ``kind`` at or after ``not_before`` (aware), in UTC."""
    game = GAMES[kind]
    local = not_before.astimezone(SHANGHAI)
    day = local.date()
    for _ in range(15):
        at = datetime.combine(day, DRAW_TIME, tzinfo=SHANGHAI)
        if day.weekday() in game.weekdays and at >= local:
            return at.astimezone(UTC)
        day += timedelta(days=1)
    raise AssertionError("a game draws at least weekly")


def drand_round_at_or_after(not_before: datetime) -> tuple[int, datetime]:
    """The first quicknet round published at or after ``not_before``, with its time."""
    seconds = not_before.timestamp() - QUICKNET_GENESIS
    rnd = max(1, math.ceil(seconds / QUICKNET_PERIOD) + 1)
    at = datetime.fromtimestamp(QUICKNET_GENESIS + (rnd - 1) * QUICKNET_PERIOD, tz=UTC)
    return rnd, at


def iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def external_entry(kind: ExternalKind, label: str, not_before: datetime) -> dict[str, object]:
    """The plan entry (without its value) for an external source available after
    ``not_before``.  ``label`` names the game's issue (e.g. ``福彩双色球 2026138期``)."""
    if kind == ExternalKind.DRAND:
        rnd, _at = drand_round_at_or_after(not_before)
        return {"kind": "drand", "label": label, "chain": QUICKNET_CHAIN,
                "genesis": QUICKNET_GENESIS, "period": QUICKNET_PERIOD, "round": rnd}
    game = GAMES[kind]
    return {"kind": "public_lottery", "label": label, "groups": list(game.groups),
            "available_at": iso_z(next_official_draw(kind, not_before))}
