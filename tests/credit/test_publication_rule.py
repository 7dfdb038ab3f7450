"""The classes of 失信信息 and their publication periods (《信用修复管理办法》, 国家发展改革委令
2025 年第 36 号): a warning is 轻微 (published at most 3 months, repairable at once), a
suspension 一般 (3 months to 1 year), a blacklisting 严重 (1 to 3 years)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from market.domain.credit_repair import (
    LONGEST_MONTHS,
    SHORTEST_MONTHS,
    Severity,
    add_months,
    earliest_repair,
    publication,
    published_on,
    severity,
)

KINDS = st.sampled_from(["warning", "suspension", "blacklist"])
DAYS = st.dates(date(2000, 1, 1), date(2100, 12, 31))


def test_the_classes_and_their_periods() -> None:
    assert [severity(k) for k in ("warning", "suspension", "blacklist")] == [
        Severity.MINOR, Severity.GENERAL, Severity.SERIOUS]
    assert (SHORTEST_MONTHS[Severity.GENERAL], LONGEST_MONTHS[Severity.GENERAL]) == (3, 12)
    assert (SHORTEST_MONTHS[Severity.SERIOUS], LONGEST_MONTHS[Severity.SERIOUS]) == (12, 36)
    assert LONGEST_MONTHS[Severity.MINOR] == 3
    # a warning may be repaired from its second day; the others after their shortest period
    assert earliest_repair("warning", date(2026, 3, 2)) == date(2026, 3, 3)
    assert earliest_repair("suspension", date(2026, 11, 30)) == date(2027, 2, 28)
    assert earliest_repair("blacklist", date(2024, 2, 29)) == date(2025, 2, 28)
    # published up to the day before the longest period has run
    assert publication("warning", date(2026, 3, 2)).last_day == date(2026, 6, 1)
    assert publication("suspension", date(2026, 3, 2)).last_day == date(2027, 3, 1)
    assert publication("blacklist", date(2024, 2, 29)).ends == date(2027, 2, 28)
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)


@given(KINDS, DAYS)
def test_repair_comes_after_the_start_and_before_publication_ends(kind: str,
                                                                   start: date) -> None:
    pub = publication(kind, start)
    assert start < pub.earliest_repair < pub.ends
    # the shortest period, in whole months, has run at the earliest repair and not the day
    # before (but for a minor one, which has none)
    months = SHORTEST_MONTHS[pub.severity]
    if months:
        assert pub.earliest_repair == add_months(start, months)
        assert add_months(start, months - 1) < pub.earliest_repair
    # the longest period is between its months in days: 28..31 a month
    length = (pub.ends - start).days
    assert 28 * LONGEST_MONTHS[pub.severity] <= length <= 31 * LONGEST_MONTHS[pub.severity]


@given(DAYS, DAYS)
def test_a_more_serious_class_is_published_at_least_as_long(start: date, other: date) -> None:
    ends = [publication(k, start).ends for k in ("warning", "suspension", "blacklist")]
    repairs = [publication(k, start).earliest_repair
               for k in ("warning", "suspension", "blacklist")]
    assert ends == sorted(ends) and repairs == sorted(repairs)
    # a later start never ends earlier
    first, second = sorted((start, other))
    for kind in ("warning", "suspension", "blacklist"):
        assert publication(kind, first).ends <= publication(kind, second).ends
        assert earliest_repair(kind, first) <= earliest_repair(kind, second)


@given(KINDS, DAYS, st.integers(0, 2000), st.none() | st.integers(1, 2000))
def test_published_until_the_longest_period_or_the_repair(kind: str, start: date, offset: int,
                                                         repair_after: int | None) -> None:
    on = start + timedelta(days=offset)
    repaired_on = None if repair_after is None else start + timedelta(days=repair_after)
    shown = published_on(kind, start, repaired_on, on)
    ends = publication(kind, start).ends
    assert shown == (on < ends and (repaired_on is None or on < repaired_on))
    # once no longer published, never again
    assert not shown or published_on(kind, start, repaired_on, on - timedelta(days=1)) \
        or offset == 0
    if not shown:
        assert not published_on(kind, start, repaired_on, on + timedelta(days=1))
