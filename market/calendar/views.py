"""The public calendar page, the operators' yearly schedule page, and the calendar API."""

from __future__ import annotations

import calendar as pycal
from datetime import date

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from market import timeutil
from market.accounts import tenants
from market.accounts.auth import ANYONE, access, current_org, current_role, require_org
from market.accounts.models import Division
from market.calendar import operations as ops
from market.calendar.forms import LocalDaysForm, YearScheduleForm
from market.calendar.models import CalendarLocalDay, CalendarYear
from market.calendar.schemas import CalendarAddQuery, CalendarCountQuery, DueDateOut, WorkingDaysOut
from market.calendar.service import current_calendar, local_days
from market.db import db
from market.domain.calendar import library_schedule
from market.forms import ActionForm
from market.web.openapi import ApiError, endpoint

bp = Blueprint("calendar", __name__)

# The years the calendar knows (the working-day arithmetic refuses dates after 2100).
FIRST_YEAR, LAST_YEAR = 2000, 2100


def _year_arg() -> int:
    year = request.args.get("year", type=int) or timeutil.today_local().year
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    return year


def _division_arg() -> Division | None:
    """The division ``?division=<code>`` names (404 for a code not in the tree), or None."""
    code = (request.args.get("division") or "").strip()
    if not code:
        return None
    division = tenants.by_code(code)
    if division is None:
        abort(404)
    if tenants.served(code) is not None:
        tenants.page_place(code)  # a city's or county's calendar wears its pages' header
    return division


@bp.route("/calendar")
@access(ANYONE)
def year_page() -> str:
    """A year at a glance: every working day, day off and make-up day (调休); with
    ``?division=<code>``, that division's calendar (the local holidays of it and of the
    divisions above it laid over the national one)."""
    year = _year_arg()
    division = _division_arg()
    cal = current_calendar(division.id if division else None)
    local = {d.day: d for d in local_days(division.id if division else None)}
    months = []
    for month in range(1, 13):
        weeks = []
        for week in pycal.Calendar(firstweekday=0).monthdatescalendar(year, month):
            weeks.append([
                None if d.month != month else {
                    "date": d,
                    "working": cal.is_working_day(d),
                    "weekend": d.weekday() >= 5,
                    "local": local.get(d),
                }
                for d in week
            ])
        months.append({"month": month, "weeks": weeks})
    row = db.session.get(CalendarYear, year)
    return render_template("calendar/year.html", year=year, months=months, schedule=row,
                           provisional=cal.provisional(date(year, 6, 30)),
                           today=timeutil.today_local(), first_year=FIRST_YEAR,
                           last_year=LAST_YEAR, division=division,
                           local_list=[d for d in local.values() if d.day.year == year],
                           national_editor=_national_editor(),
                           divisions=[d for d in tenants.tree() if d.level != "province"])


def _national_editor() -> bool:
    """Whether the visitor is the provincial operator (who alone edits the national year)."""
    org = current_org()
    return current_role() == "operator" and org is not None and tenants.is_province(
        org.tenant_id)


def _provincial() -> bool:
    return tenants.is_province(require_org().tenant_id)


@bp.route("/operator/calendar/<int:year>", methods=["GET", "POST"])
@access("operator")
def edit_year(year: int) -> ResponseReturnValue:
    """The national calendar's year (the State Council notice): the provincial operator's
    alone, since it counts in every tenant; a city's or county's operator is sent to its
    local days (403)."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        abort(404)
    if not _provincial():
        return render_template("calendar/national_only.html", year=year), 403
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
    return render_template("calendar/edit.html", form=form, year=year, schedule=row), \
        400 if form.errors else 200


def _local_page(form: LocalDaysForm, status: int = 200) -> ResponseReturnValue:
    division = db.session.get(Division, require_org().tenant_id)
    if division is None:  # pragma: no cover - an organisation always has its division
        abort(404)
    own = list(db.session.scalars(sa.select(CalendarLocalDay).where(
        CalendarLocalDay.division_id == division.id).order_by(CalendarLocalDay.day)))
    inherited = [d for d in local_days(division.id) if d.division_id != division.id]
    names = {d.id: d.name for d in tenants.tree()}
    return render_template("calendar/local.html", form=form, division=division, own=own,
                           inherited=inherited, names=names, action=ActionForm(),
                           provincial=division.level == "province"), status


@bp.route("/operator/calendar/local", methods=["GET", "POST"])
@access("operator")
def local_days_page() -> ResponseReturnValue:
    """The operator's own division's local days (地方性节假日): listed with those inherited
    from above, added here (a day or a range, its name and the regulation it follows)."""
    form = LocalDaysForm()
    if form.is_submitted():
        if form.validate():
            try:
                rows = ops.add_local_days(
                    require_org().tenant_id, days_text=form.days.data or "",
                    working=form.working.data == "work", name=form.name.data or "",
                    source=form.source.data or "", user_id=current_user.id)
            except ops.CalendarError as error:
                getattr(form, error.field).errors.append(_(error.message, item=error.detail))
            else:
                flash(_("已添加 %(count)s 天本地日历条目。", count=len(rows)), "success")
                return redirect(url_for("calendar.local_days_page"))
        return _local_page(form, 400)
    return _local_page(form)


@bp.route("/operator/calendar/local/<int:entry_id>/delete", methods=["POST"])
@access("operator")
def delete_local_day(entry_id: int) -> ResponseReturnValue:
    """Delete one of the operator's own division's local days (another's: 404)."""
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        row = ops.remove_local_day(require_org().tenant_id, entry_id)
    except LookupError:
        abort(404)
    flash(_("已删除 %(day)s 的本地日历条目。", day=row.day.isoformat()), "success")
    return redirect(url_for("calendar.local_days_page"))


# --- API ----------------------------------------------------------------------------------

def _api_division(code: str | None) -> int | None:
    """The division a ``division`` parameter names: None (the national calendar) without
    one; 400 for a code not in the tree."""
    if not code:
        return None
    division = tenants.by_code(code)
    if division is None:
        raise ApiError(400, "invalid_parameter", "division: not a division of this platform")
    return division.id


@bp.route("/api/calendar/add")
@access(ANYONE)
@endpoint(query=CalendarAddQuery, response=DueDateOut, tag="calendar")
def api_add(query: CalendarAddQuery) -> DueDateOut:
    """The N-th working day strictly after `start` (the start day is not counted).

    Working days follow the published holiday schedule (调休 included); a due date after
    2100-12-31 is refused."""
    try:
        due = current_calendar(_api_division(query.division)).add_with_flag(
            query.start, query.days)
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
    counted = current_calendar(_api_division(query.division)).count_with_flag(
        query.from_, query.to)
    return WorkingDaysOut(working_days=counted.days, provisional=counted.provisional)
