"""The public calendar page, the operators' yearly schedule page, and the calendar API."""

from __future__ import annotations

import calendar as pycal
from datetime import date

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market import timeutil
from market.api.spec import error_response
from market.auth import ANYONE, access
from market.calendar import operations as ops
from market.calendar.forms import YearScheduleForm
from market.calendar.models import CalendarYear
from market.calendar.service import current_calendar
from market.db import db
from market.domain.calendar import library_schedule

bp = Blueprint("calendar", __name__)

MAX_DAYS = 10_000


def _year_arg() -> int:
    year = request.args.get("year", type=int) or timeutil.today_local().year
    if not 2000 <= year <= 2100:
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
                           today=timeutil.today_local())


@bp.route("/operator/calendar/<int:year>", methods=["GET", "POST"])
@access("operator")
def edit_year(year: int) -> ResponseReturnValue:
    if not 2000 <= year <= 2100:
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

def _bad(message: str) -> ResponseReturnValue:
    return error_response(400, "bad_request", message)


def _date_arg(name: str) -> date | None:
    raw = request.args.get(name, "")
    try:
        value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None
    if value is None or not 2000 <= value.year <= 2100:
        return None
    return value


@bp.route("/api/calendar/add")
@access(ANYONE)
def api_add() -> ResponseReturnValue:
    """The N-th working day strictly after ``start`` (the start day is not counted)."""
    start = _date_arg("start")
    if start is None:
        return _bad("start must be a date YYYY-MM-DD between 2000 and 2100")
    raw_days = request.args.get("days", "")
    if not raw_days.isdigit() or int(raw_days) > MAX_DAYS:
        return _bad(f"days must be an integer from 0 to {MAX_DAYS}")
    try:
        due = current_calendar().add_with_flag(start, int(raw_days))
    except ValueError:
        return _bad("the due date falls after 2100")
    return jsonify({"due": due.date.isoformat(), "provisional": due.provisional})


@bp.route("/api/calendar/count")
@access(ANYONE)
def api_count() -> ResponseReturnValue:
    """Working days in (from, to]."""
    first, last = _date_arg("from"), _date_arg("to")
    if first is None or last is None:
        return _bad("from and to must be dates YYYY-MM-DD between 2000 and 2100")
    if last < first:
        return _bad("to must not be before from")
    counted = current_calendar().count_with_flag(first, last)
    return jsonify({"working_days": counted.days, "provisional": counted.provisional})
