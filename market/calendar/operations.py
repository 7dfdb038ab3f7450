"""Operators enter each year's State Council notice (节假日安排)."""

from __future__ import annotations

import re
from datetime import date, timedelta

from market import events, timeutil
from market.accounts import audit
from market.calendar.models import CalendarDay, CalendarYear
from market.calendar.service import (
    bump_revision,
    changed_days,
    current_calendar,
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
    """Operators only: replace ``year``'s schedule.  Weekend days in the "off" list are ignored
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
