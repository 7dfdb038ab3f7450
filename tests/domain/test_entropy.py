"""Issue numbers from the draw schedule, and official results checked against the game."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lottery.sources import check_source
from market.domain.entropy import (
    GAMES,
    SHANGHAI,
    DrawCalendar,
    DrawYear,
    ExternalKind,
    ResultError,
    ScheduleUnknown,
    canonical_result,
    lottery_plan_entry,
)

SSQ, FC3D = ExternalKind.SSQ, ExternalKind.FC3D


def _days(first: date, last: date) -> frozenset[date]:
    return frozenset(first + timedelta(days=i) for i in range((last - first).days + 1))


# 2025 as the published results show it: no 双色球 draw from 28 January (除夕) to 4 February
# (春节休市) nor on 2 October.  The (date, issue) pairs are from a public record of the 2025
# 双色球 results (issue number and draw date of each draw).
YEAR_2025 = DrawYear(2025, {SSQ: _days(date(2025, 1, 28), date(2025, 2, 4)) | {date(2025, 10, 2)}},
                     confirmed=True)
PUBLISHED_2025 = [
    (date(2025, 1, 12), 5), (date(2025, 1, 26), 11), (date(2025, 2, 6), 12),
    (date(2025, 2, 9), 13), (date(2025, 5, 1), 48), (date(2025, 8, 21), 96),
    (date(2025, 9, 30), 113), (date(2025, 10, 5), 114), (date(2025, 11, 9), 129),
]


@pytest.mark.parametrize("day, issue", PUBLISHED_2025)
def test_ssq_issue_numbers_match_the_published_2025_draws(day: date, issue: int) -> None:
    calendar = DrawCalendar([YEAR_2025])
    assert calendar.issue_number(SSQ, day) == issue
    noon = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(hours=12)
    draw = calendar.next_draw(SSQ, noon)
    assert (draw.issue, draw.label) == (f"2025{issue:03d}", f"福彩双色球 2025{issue:03d}期")
    assert draw.at == datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI).astimezone(
        UTC) + timedelta(hours=21, minutes=15)


def test_a_missed_suspension_would_give_other_numbers() -> None:
    # Without the 2 October entry the schedule would call 5 October's draw 2025115.
    calendar = DrawCalendar([DrawYear(2025, {SSQ: YEAR_2025.no_draw[SSQ] - {date(2025, 10, 2)}},
                                      confirmed=True)])
    assert calendar.issue_number(SSQ, date(2025, 10, 5)) == 115


def test_the_draw_after_the_spring_festival_pause() -> None:
    calendar = DrawCalendar([YEAR_2025])
    after = datetime(2025, 1, 26, 21, 16, tzinfo=SHANGHAI)  # just after issue 2025011
    draw = calendar.next_draw(SSQ, after)
    assert draw.issue == "2025012"
    assert draw.at.astimezone(SHANGHAI) == datetime(2025, 2, 6, 21, 15, tzinfo=SHANGHAI)
    at_draw = datetime(2025, 2, 6, 21, 15, tzinfo=SHANGHAI)  # at the draw time: that draw
    assert calendar.next_draw(SSQ, at_draw).issue == "2025012"


def test_fc3d_draws_daily_and_counts_its_own_pauses() -> None:
    calendar = DrawCalendar([DrawYear(2026, {FC3D: _days(date(2026, 2, 16), date(2026, 2, 22))},
                                      confirmed=True)])
    assert calendar.issue_number(FC3D, date(2026, 1, 1)) == 1
    assert calendar.issue_number(FC3D, date(2026, 2, 15)) == 46
    assert calendar.issue_number(FC3D, date(2026, 2, 23)) == 47
    draw = calendar.next_draw(FC3D, datetime(2026, 2, 16, 8, 0, tzinfo=SHANGHAI))
    assert (draw.issue, draw.label) == ("2026047", "福彩3D 2026047期")
    entry = lottery_plan_entry(draw)
    assert entry == {"kind": "public_lottery", "label": "福彩3D 2026047期", "groups": [3],
                     "available_at": "2026-02-23T13:15:00Z"}


def test_a_year_without_a_confirmed_schedule_has_no_issue_numbers() -> None:
    provisional = DrawYear(2026, {}, confirmed=False)
    for years in ([], [provisional]):
        with pytest.raises(ScheduleUnknown) as info:
            DrawCalendar([YEAR_2025, *years]).next_draw(SSQ, datetime(2026, 3, 1, tzinfo=UTC))
        assert info.value.year == 2026
    # The last draw of a confirmed year cannot lead into an unconfirmed one either.
    with pytest.raises(ScheduleUnknown):
        DrawCalendar([YEAR_2025]).next_draw(SSQ, datetime(2025, 12, 30, 22, tzinfo=SHANGHAI))


def test_no_draw_dates_belong_to_their_year() -> None:
    with pytest.raises(ValueError):
        DrawYear(2026, {SSQ: frozenset({date(2025, 12, 31)})}, confirmed=True)


@settings(deadline=None, max_examples=50)
@given(st.sets(st.dates(date(2027, 1, 1), date(2027, 12, 31)), max_size=40),
       st.sampled_from([SSQ, FC3D]))
def test_issue_numbers_count_every_draw_of_the_year_once(off: set[date],
                                                         kind: ExternalKind) -> None:
    calendar = DrawCalendar([DrawYear(2027, {kind: frozenset(off)}, confirmed=True),
                             DrawYear(2028, {}, confirmed=True)])
    at = datetime(2027, 1, 1, tzinfo=SHANGHAI)
    seen = []
    while True:
        draw = calendar.next_draw(kind, at)
        if draw.at.astimezone(SHANGHAI).year != 2027:
            assert draw.issue == "2028001"
            break
        local = draw.at.astimezone(SHANGHAI).date()
        assert local not in off and GAMES[kind].draws_on_weekday(local)
        seen.append(int(draw.issue[4:]))
        at = draw.at + timedelta(seconds=1)
    assert seen == list(range(1, len(seen) + 1))


# --- results ----------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, typed, canonical", [
    (SSQ, "01 05 12 19 25 31 + 09", "1 5 12 19 25 31 + 9"),
    (SSQ, "3 7 12 19 25 31 + 9", "3 7 12 19 25 31 + 9"),
    (SSQ, "31,05,12,01,25,19+09", "1 5 12 19 25 31 + 9"),  # drawing order, commas
    (SSQ, "01 05 12 19 25 31 09", "1 5 12 19 25 31 + 9"),  # the blue ball seventh
    (SSQ, "０１，０５，１２，１９，２５，３１＋０９", "1 5 12 19 25 31 + 9"),  # full-width
    (SSQ, " 01 05 12 19 25 31 | 16 ", "1 5 12 19 25 31 + 16"),
    (FC3D, "5 2 8", "2 5 8"),
    (FC3D, "528", "2 5 8"),
    (FC3D, "0 0 0", "0 0 0"),
    (FC3D, "9,0,9", "0 9 9"),
])  # fmt: skip
def test_official_spellings_become_the_one_canonical_value(kind: ExternalKind, typed: str,
                                                           canonical: str) -> None:
    assert canonical_result(kind, typed) == canonical
    entry = {"kind": "public_lottery", "label": "x", "groups": list(GAMES[kind].groups),
             "available_at": "2026-01-01T13:15:00Z", "value": canonical}
    check_source(entry)


@pytest.mark.parametrize("kind, typed, code", [
    (SSQ, "", "empty"),
    (SSQ, "   ", "empty"),
    (SSQ, "0 0 0 0 0 0 + 0", "range"),  # the red-team's value
    (SSQ, "1 2 3 4 5 34 + 9", "range"),
    (SSQ, "1 2 3 4 5 6 + 17", "range"),
    (SSQ, "1 2 3 4 5 5 + 9", "repeat"),
    (SSQ, "1 2 3 4 5 + 9", "shape"),
    (SSQ, "1 2 3 4 5 6 + 9 + 1", "shape"),
    (SSQ, "1 2 3 4 5 6 +", "groups"),
    (SSQ, "1 2 3 4 5 six + 9", "number"),
    (SSQ, "001 2 3 4 5 6 + 9", "number"),
    (SSQ, "1 2 3 4 5 6 + -9", "number"),
    (FC3D, "5 2", "shape"),
    (FC3D, "5 2 10", "range"),
    (FC3D, "52", "shape"),
])  # fmt: skip
def test_values_outside_the_game_rules_are_refused(kind: ExternalKind, typed: str,
                                                   code: str) -> None:
    with pytest.raises(ResultError) as info:
        canonical_result(kind, typed)
    assert info.value.code == code


@given(st.lists(st.integers(1, 33), min_size=6, max_size=6, unique=True), st.integers(1, 16),
       st.sampled_from([" ", ",", "，", "、", "  "]), st.booleans(), st.booleans())
def test_any_valid_ssq_result_in_any_spelling(reds: list[int], blue: int, sep: str,
                                              zeros: bool, plus: bool) -> None:
    def num(n: int) -> str:
        return f"{n:02d}" if zeros else str(n)

    typed = sep.join(map(num, reds)) + (" + " if plus else sep) + num(blue)
    assert canonical_result(SSQ, typed) == " ".join(map(str, sorted(reds))) + f" + {blue}"


@given(st.lists(st.integers(0, 99), min_size=7, max_size=7), )
def test_a_value_is_accepted_only_when_the_game_allows_it(numbers: list[int]) -> None:
    reds, blue = numbers[:6], numbers[6]
    valid = all(1 <= r <= 33 for r in reds) and len(set(reds)) == 6 and 1 <= blue <= 16
    typed = " ".join(map(str, reds)) + f" + {blue}"
    if valid:
        assert canonical_result(SSQ, typed)
    else:
        with pytest.raises(ResultError):
            canonical_result(SSQ, typed)
