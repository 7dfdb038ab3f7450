"""The public calendar page, the operators' yearly schedule page, and the calendar API."""

from __future__ import annotations

import calendar as pycal
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market import timeutil
from market.accounts.auth import ANYONE, access
from market.calendar import operations as ops
from market.calendar.forms import YearScheduleForm
from market.calendar.models import CalendarYear
from market.calendar.schemas import CalendarAddQuery, CalendarCountQuery, DueDateOut, WorkingDaysOut
from market.calendar.service import current_calendar
from market.db import db
from market.domain.calendar import library_schedule
from market.web.openapi import ApiError, endpoint

bp = Blueprint("calendar", __name__)

# The years the calendar knows (the working-day arithmetic refuses dates after 2100).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _year_arg() -> int:
    year = request.args.get("year", type=int) or timeutil.today_local().year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


@bp.route("/calendar")
@access(ANYONE)
def year_page() -> str:
    """A year at a glance: every working day, day off and make-up day (调休)."""
    year = _year_arg()
    cal = current_calendar()
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([
                None if d.month != month else {
                    "date": d,
                    "working": cal.is_working_day(d),
                    "weekend": d.weekday() >= 5,
                }
                for d in week
            ])
        months.append({"month": month, "weeks": weeks})
    row = db.session.get(CalendarYear, year)
    return render_template("calendar/year.html", year=year, months=months, schedule=row,
                           provisional=cal.provisional(date(year, 6, 30)),
                           today=timeutil.today_local(), first_year=FIRST_YEAR,
                           last_year=LAST_YEAR)


@bp.route("/operator/calendar/<int:year>", methods=["GET", "POST"])
@access("operator")
def edit_year(year: int) -> ResponseReturnValue:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    row = db.session.get(CalendarYear, year)
    form = YearScheduleForm()
    if request.method == "GET":
        if row is not None:
            form.days_off.data = "\n".join(d.day.isoformat() for d in row.days if not d.working)
            form.days_on.data = "\n".join(d.day.isoformat() for d in row.days if d.working)
            form.source.data = row.source
            form.confirmed.data = row.confirmed
        else:
            lib = library_schedule(year)
            form.days_off.data = "\n".join(
                d.isoformat() for d in sorted(lib.days_off) if d.weekday() < 5)
            form.days_on.data = "\n".join(d.isoformat() for d in sorted(lib.days_on))
            form.source.data = ""
    if form.validate_on_submit():
        try:
            ops.save_year(year, days_off_text=form.days_off.data or "",
                          days_on_text=form.days_on.data or "", source=form.source.data or "",
                          confirmed=bool(form.confirmed.data), user_id=current_user.id)
        except ops.CalendarError as error:
            getattr(form, error.field).errors.append(_(error.message, item=error.detail))
        else:
            flash(_("%(year)s 年工作日历已保存。", year=year), "success")
            return redirect(url_for("calendar.year_page", year=year))
    return render_template("calendar/edit.html", form=form, year=year, schedule=row)


# --- API ----------------------------------------------------------------------------------

@bp.route("/api/calendar/add")
@access(ANYONE)
@endpoint(query=CalendarAddQuery, response=DueDateOut, tag="calendar")
def api_add(query: CalendarAddQuery) -> DueDateOut:
    """The N-th working day strictly after `start` (the start day is not counted).

    Working days follow the published holiday schedule (调休 included); a due date after
    2100-12-31 is refused."""
    try:
        due = current_calendar().add_with_flag(query.start, query.days)
    except ValueError:
        raise ApiError(400, "invalid_parameter", "days: the due date falls after 2100") from None
    return DueDateOut(due=due.date, provisional=due.provisional)


@bp.route("/api/calendar/count")
@access(ANYONE)
@endpoint(query=CalendarCountQuery, response=WorkingDaysOut, tag="calendar")
def api_count(query: CalendarCountQuery) -> WorkingDaysOut:
    """Working days in (from, to]: `from` is not counted, `to` is."""
    if query.to < query.from_:
        raise ApiError(400, "invalid_parameter", "to: must not be before from")
    counted = current_calendar().count_with_flag(query.from_, query.to)
    return WorkingDaysOut(working_days=counted.days, provisional=counted.provisional)
