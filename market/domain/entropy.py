"""The external randomness of a draw (lottery-v1.md §5): which future public result a plan
names, and what a valid result of it looks like.

A plan names a welfare-lottery issue (福彩双色球 or 福彩3D) or a drand quicknet round.  The issue
is computed, never typed: from the first official draw at or after the earliest time the
value may become public, by the game's published schedule —

* 福彩双色球 draws on Tuesday, Thursday and Sunday, 福彩3D every day, both at 21:15 Beijing time;
* an issue number is the year (of the Beijing draw date) and the 3-digit sequence number of
  that draw among the year's draws (``2026001`` is the first draw of 2026);
* the games pause on dates the welfare lottery centre announces each year (春节休市, and any
  other draw it cancels).  Operators enter those dates per year and game
  (:class:`DrawYear`); a year whose dates are not *confirmed* has no issue numbers:
  :meth:`DrawCalendar.next_draw` raises :class:`ScheduleUnknown` rather than guess.

Why counting matters: a plan that names an issue number *lower* than the real one at its date
could name a draw that already happened.  Counting a day as a draw that the centre later
cancels only moves the named issue later (still in the future), so the failure that matters
is a suspension entered that did not happen — which the operator's confirmation guards.

Values: the official result is accepted as people read it (leading zeros, commas, full-width
characters, the 双色球 blue ball after a ``+`` or as the seventh number) and checked against
the game's rules (双色球: six different red balls 1–33 and one blue ball 1–16; 3D: three digits
0–9, repeats allowed), then written in the spec's one spelling: each group ascending, no
leading zeros, ``" + "`` between groups.
"""

from __future__ import annotations

import enum
import math
import re
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
DRAW_TIME = time(21, 15)


class ExternalKind(enum.StrEnum):
    SSQ = "ssq"  # 福彩双色球: Tue, Thu, Sun; six red and one blue
    FC3D = "fc3d"  # 福彩3D: daily; three digits
    DRAND = "drand"  # drand quicknet: a round every 3 s


@dataclass(frozen=True)
class Game:
    """A welfare-lottery game (福彩游戏): when it draws and what a result is."""

    name: str
    weekdays: frozenset[int]  # Monday = 0
    groups: tuple[int, ...]  # numbers per group (双色球: 6 red, 1 blue)
    ranges: tuple[tuple[int, int], ...]  # inclusive range of each group's numbers
    distinct: tuple[bool, ...]  # each group's numbers pairwise different
    example: str  # the official spelling, for hints

    def draws_on_weekday(self, day: date) -> bool:
        return day.weekday() in self.weekdays


GAMES: dict[ExternalKind, Game] = {
    ExternalKind.SSQ: Game("福彩双色球", frozenset({1, 3, 6}), (6, 1), ((1, 33), (1, 16)),
                           (True, True), "01 05 12 19 25 31 + 09"),
    ExternalKind.FC3D: Game("福彩3D", frozenset(range(7)), (3,), ((0, 9),), (False,), "5 2 8"),
}
LOTTERY_KINDS = tuple(GAMES)

QUICKNET_CHAIN = "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971"
QUICKNET_GENESIS = 1692803367
QUICKNET_PERIOD = 3


# --- the draw schedule ------------------------------------------------------------------------


class ScheduleUnknown(Exception):  # noqa: N818 - a state, not a failure of the caller
    """No confirmed draw schedule for ``year``: its issue numbers cannot be computed."""

    def __init__(self, kind: ExternalKind, year: int) -> None:
        super().__init__(f"no confirmed {kind} schedule for {year}")
        self.kind = kind
        self.year = year


@dataclass(frozen=True)
class DrawYear:
    """One year's arrangement (开奖安排) as the welfare lottery centre announced it: the dates
    on which each game does not draw (休市、停开).  ``confirmed`` is set once an operator has
    checked the dates against the centre's notices; only then are issue numbers computed."""

    year: int
    no_draw: Mapping[ExternalKind, frozenset[date]] = field(default_factory=dict)
    confirmed: bool = False

    def __post_init__(self) -> None:
        for days in self.no_draw.values():
            if any(d.year != self.year for d in days):
                raise ValueError(f"no-draw dates must lie in {self.year}")


@dataclass(frozen=True)
class PlannedDraw:
    """An official draw: its game, issue (``2026138``) and time (aware UTC)."""

    kind: ExternalKind
    issue: str
    at: datetime

    @property
    def label(self) -> str:
        """The plan label: game and issue, e.g. ``福彩双色球 2026138期``."""
        return f"{GAMES[self.kind].name} {self.issue}期"


class DrawCalendar:
    """Draw days and issue numbers of the welfare-lottery games, from operators' years."""

    def __init__(self, years: Iterable[DrawYear]) -> None:
        self.years = {y.year: y for y in years}
        self._days: dict[tuple[ExternalKind, int], list[date]] = {}

    def _year(self, kind: ExternalKind, year: int) -> DrawYear:
        known = self.years.get(year)
        if known is None or not known.confirmed:
            raise ScheduleUnknown(kind, year)
        return known

    def confirmed(self, year: int) -> bool:
        known = self.years.get(year)
        return known is not None and known.confirmed

    def draws_on(self, kind: ExternalKind, day: date) -> bool:
        """Whether ``kind`` draws on local date ``day`` (its year must be confirmed)."""
        off = self._year(kind, day.year).no_draw.get(kind, frozenset())
        return GAMES[kind].draws_on_weekday(day) and day not in off

    def issue_number(self, kind: ExternalKind, day: date) -> int:
        """The sequence number in its year of ``kind``'s draw on ``day`` (a draw day)."""
        days = self._draw_days(kind, day.year)
        i = bisect_left(days, day)
        if i == len(days) or days[i] != day:
            raise ValueError(f"{kind} does not draw on {day}")
        return i + 1

    def _draw_days(self, kind: ExternalKind, year: int) -> list[date]:
        key = (kind, year)
        if key not in self._days:
            first = date(year, 1, 1)
            every = (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))
            self._days[key] = [d for d in every if self.draws_on(kind, d)]
        return self._days[key]

    def next_draw(self, kind: ExternalKind, not_before: datetime) -> PlannedDraw:
        """The first official draw of ``kind`` at or after ``not_before`` (aware)."""
        if kind not in GAMES:
            raise ValueError(f"{kind} is not a welfare-lottery game")
        local = not_before.astimezone(SHANGHAI)
        day = local.date()
        for _ in range(370):  # a game never pauses for a whole year; stop rather than loop
            at = datetime.combine(day, DRAW_TIME, tzinfo=SHANGHAI)
            if at >= local and self.draws_on(kind, day):
                issue = f"{day.year}{self.issue_number(kind, day):03d}"
                return PlannedDraw(kind, issue, at.astimezone(UTC))
            day += timedelta(days=1)
        raise ScheduleUnknown(kind, day.year)


def drand_round_at_or_after(not_before: datetime) -> tuple[int, datetime]:
    """The first quicknet round published at or after ``not_before``, with its time."""
    seconds = not_before.timestamp() - QUICKNET_GENESIS
    rnd = max(1, math.ceil(seconds / QUICKNET_PERIOD) + 1)
    at = datetime.fromtimestamp(QUICKNET_GENESIS + (rnd - 1) * QUICKNET_PERIOD, tz=UTC)
    return rnd, at


def iso_z(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def lottery_plan_entry(draw: PlannedDraw) -> dict[str, Any]:
    """The plan entry (without its value) naming an official draw."""
    return {"kind": "public_lottery", "label": draw.label, "groups": list(GAMES[draw.kind].groups),
            "available_at": iso_z(draw.at)}


def drand_plan_entry(not_before: datetime) -> dict[str, Any]:
    """The plan entry naming the first quicknet round at or after ``not_before``."""
    rnd, _at = drand_round_at_or_after(not_before)
    return {"kind": "drand", "label": f"drand quicknet 第{rnd}轮", "chain": QUICKNET_CHAIN,
            "genesis": QUICKNET_GENESIS, "period": QUICKNET_PERIOD, "round": rnd}


def game_of(entry: Mapping[str, Any]) -> ExternalKind | None:
    """The game a ``public_lottery`` plan entry names (by its label), or None."""
    label = str(entry.get("label", ""))
    for kind, game in GAMES.items():
        if label.startswith(game.name + " ") and list(entry.get("groups", [])) == list(game.groups):
            return kind
    return None


# --- results ----------------------------------------------------------------------------------


class ResultError(ValueError):
    """A typed result that is not a valid result of the game: ``code`` says why (``empty``,
    ``groups``, ``shape``, ``number``, ``range``, ``repeat``) and ``params`` what; the app
    words it in the reader's language."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(f"{code}: {params}")
        self.code = code
        self.params = params


_SEPARATORS = re.compile(r"[\s,，、;；]+")
_GROUP_JOINERS = re.compile(r"\s*[+|＋]\s*")


def canonical_result(kind: ExternalKind, text: str) -> str:
    """The spec's one spelling of a typed official result of ``kind``, or ResultError."""
    game = GAMES[kind]
    raw = unicodedata.normalize("NFKC", text or "").strip()
    if not raw:
        raise ResultError("empty")
    groups = [[n for n in _SEPARATORS.split(p.strip()) if n] for p in _GROUP_JOINERS.split(raw)]
    if any(not g for g in groups):
        raise ResultError("groups", example=game.example)
    if len(game.groups) == 1 and len(groups) == 1 and len(groups[0]) == 1 \
            and len(groups[0][0]) == game.groups[0]:
        groups = [list(groups[0][0])]  # 3D read as one number: "528"
    if len(groups) == 1 and len(game.groups) > 1 and len(groups[0]) == sum(game.groups):
        numbers, groups = groups[0], []
        for size in game.groups:  # the official listing: red balls, then the blue ball
            groups.append(numbers[:size])
            numbers = numbers[size:]
    if [len(g) for g in groups] != list(game.groups):
        raise ResultError("shape", example=game.example)
    out = []
    for g, (lo, hi), distinct in zip(groups, game.ranges, game.distinct, strict=True):
        values = []
        for n in g:
            if not (n.isascii() and n.isdigit() and len(n) <= max(2, len(str(hi)))):
                raise ResultError("number", item=n[:20])
            v = int(n)
            if not lo <= v <= hi:
                raise ResultError("range", item=n, lo=lo, hi=hi)
            values.append(v)
        if distinct and len(set(values)) != len(values):
            raise ResultError("repeat", item=" ".join(f"{v:02d}" for v in values))
        out.append(" ".join(str(v) for v in sorted(values)))
    return " + ".join(out)

