"""The provincial operator enters each year's State Council notice (节假日安排); a division's
operator its local days (地方性节假日)."""

from __future__ import annotations

import re
from datetime import date, timedelta

import sqlalchemy as sa

from market import events, timeutil
from market.accounts import audit
from market.calendar.models import CalendarDay, CalendarLocalDay, CalendarYear
from market.calendar.service import (
    bump_local_revision,
    bump_revision,
    changed_days,
    current_calendar,
    local_revision,
    revision,
    stored_schedules,
)
from market.db import db
from market.domain.calendar import WorkingCalendar, YearSchedule
from market.i18n import N_
from market.refusal import Refused


class CalendarError(Refused):
    def __init__(self, field: str, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.detail = detail


_RANGE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:\s*(?:\.\.|至|~|–)\s*(\d{4}-\d{2}-\d{2}))?$")


def parse_days(field: str, text: str) -> set[date]:
    """Dates one per line (or separated by commas); ``a..b`` is an inclusive range."""
    days: set[date] = set()
    for raw in re.split(r"[\n,，;；]+", text or ""):
        item = raw.strip()
        if not item:
            continue
        match = _RANGE.match(item)
        if not match:
            raise CalendarError(field, N_("无法识别的日期：%(item)s（格式如 2026-10-01 或 2026-10-01..2026-10-07）"), item)
        try:
            first = date.fromisoformat(match.group(1))
            last = date.fromisoformat(match.group(2) or match.group(1))
        except ValueError:
            raise CalendarError(field, N_("不存在的日期：%(item)s"), item) from None
        if last < first or (last - first).days > 60:
            raise CalendarError(field, N_("日期范围不合理：%(item)s"), item)
        days.update(first + timedelta(i) for i in range((last - first).days + 1))
    return days


def save_year(year: int, *, days_off_text: str, days_on_text: str, source: str,
              confirmed: bool, user_id: int | None) -> CalendarYear:
    """The provincial operator only (the view checks): replace ``year``'s schedule.  Weekend days in the "off" list are ignored
    (they are off anyway); a weekday in the "on" list is refused (it is on anyway)."""
    off = {d for d in parse_days("days_off", days_off_text) if d.weekday() < 5}
    on = parse_days("days_on", days_on_text)
    for d in sorted(on):
        if d.weekday() < 5:
            raise CalendarError("days_on", N_("%(item)s 是工作日，无需调休。"), d.isoformat())
    try:
        YearSchedule(year, frozenset(off), frozenset(on), confirmed, source)
    except ValueError:
        clash = sorted(off & on)
        if clash:
            raise CalendarError("days_on", N_("%(item)s 同时出现在休息日和调休上班日中。"),
                                clash[0].isoformat()) from None
        raise CalendarError("days_off", N_("日期须在 %(item)s 年内（或相邻的 12 月、1 月）。"),
                            str(year)) from None
    if not source.strip():
        raise CalendarError("source", N_("请注明依据（如国务院办公厅通知的文号）。"))
    before = (revision(), current_calendar())
    row = db.session.get(CalendarYear, year)
    if row is None:
        row = CalendarYear(year=year)
        db.session.add(row)
    row.days = [CalendarDay(day=d, working=False) for d in sorted(off)] + [
        CalendarDay(day=d, working=True) for d in sorted(on)
    ]
    row.confirmed = confirmed
    row.source = source.strip()
    row.updated_at = timeutil.now()
    row.updated_by = user_id
    bump_revision()
    db.session.flush()
    changed = changed_days(before[1], WorkingCalendar.build(stored_schedules()))
    events.send(events.CalendarChanged(
        at=timeutil.now(), year=year, revision=revision(), previous_revision=before[0],
        first_changed=changed[0] if changed else None,
        last_changed=changed[1] if changed else None))
    audit.record("operator:calendar:save", str(year), {
        "confirmed": confirmed, "source": row.source,
        "days_off": [d.isoformat() for d in sorted(off)],
        "days_on": [d.isoformat() for d in sorted(on)],
    })
    return row


def _changed_span(days: list[date]) -> tuple[date, date] | None:
    return (min(days), max(days)) if days else None


def _local_changed(division_id: int, previous_local: int, days: list[date]) -> None:
    """The event of a change of ``division_id``'s local days (the national revision stays)."""
    span = _changed_span(days)
    national = revision()
    events.send(events.CalendarChanged(
        at=timeutil.now(), year=min(days).year if days else timeutil.today_local().year,
        revision=national, previous_revision=national,
        first_changed=span[0] if span else None, last_changed=span[1] if span else None,
        division_id=division_id, previous_local=previous_local))


def add_local_days(division_id: int, *, days_text: str, working: bool, name: str,
                   source: str, user_id: int | None) -> list[CalendarLocalDay]:
    """The operator of ``division_id`` (a city's or county's; the provincial operator for the
    province's, which reach every tenant) declares local days (地方性节假日): rest days its
    own regulation sets (e.g. a prefecture's 火把节), or working days (a local 调休), with
    the name and the regulation they follow.  Refuses an unreadable or out-of-range date, a
    day the division already has, an empty name or source, and a working day that the
    national calendar already counts as one.  Bumps the division's counter; the clocks of
    the tenants under it are refolded by the ``calendar.changed`` receiver."""
    name = name.strip()
    source = source.strip()
    found = sorted(parse_days("days", days_text))
    if not found:
        raise CalendarError("days", N_("请填写日期（格式如 2026-07-27 或 2026-07-27..2026-07-29）。"))
    for d in found:
        if not 2000 <= d.year <= 2100:
            raise CalendarError("days", N_("日期须在 2000 至 2100 年之间：%(item)s"), d.isoformat())
    if not name or len(name) > 100:
        raise CalendarError("name", N_("请填写节日或调休的名称（至多 100 字）。"))
    if not source or len(source) > 300:
        raise CalendarError("source", N_("请注明依据的地方性法规或通知名称（至多 300 字）。"))
    taken = set(db.session.scalars(sa.select(CalendarLocalDay.day).where(
        CalendarLocalDay.division_id == division_id, CalendarLocalDay.day.in_(found))))
    if taken:
        raise CalendarError("days", N_("%(item)s 已有本地日历条目，请先删除。"),
                            min(taken).isoformat())
    if working:
        national = current_calendar()
        for d in found:
            if national.is_working_day(d):
                raise CalendarError("days", N_("%(item)s 按全国日历已是工作日，无需调休上班。"),
                                    d.isoformat())
    previous = local_revision(division_id)
    now = timeutil.now()
    rows = [CalendarLocalDay(division_id=division_id, day=d, working=working, name=name,
                             source=source, created_at=now, created_by=user_id) for d in found]
    db.session.add_all(rows)
    bump_local_revision(division_id)
    db.session.flush()
    _local_changed(division_id, previous, found)
    audit.record("operator:calendar:local-add", str(division_id), {
        "days": [d.isoformat() for d in found], "working": working, "name": name,
        "source": source})
    return rows


def remove_local_day(division_id: int, entry_id: int) -> CalendarLocalDay:
    """The operator of ``division_id`` deletes one of its local days (another division's is
    not found: 404 for the caller).  Bumps the division's counter as :func:`add_local_days`."""
    row = db.session.get(CalendarLocalDay, entry_id)
    if row is None or row.division_id != division_id:
        raise LookupError(entry_id)
    previous = local_revision(division_id)
    day = row.day
    db.session.delete(row)
    bump_local_revision(division_id)
    db.session.flush()
    _local_changed(division_id, previous, [day])
    audit.record("operator:calendar:local-remove", str(division_id), {
        "day": day.isoformat(), "working": row.working, "name": row.name,
        "source": row.source})
    return row
