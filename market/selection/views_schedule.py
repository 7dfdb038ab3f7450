"""The welfare-lottery draw schedule (福彩开奖安排): public, and the operators' yearly page."""

from __future__ import annotations

from datetime import date, datetime, time

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from market import timeutil
from market.accounts import scope
from market.accounts.auth import ANYONE, access, current_org, require_org
from market.calendar.operations import CalendarError
from market.db import db
from market.domain.entropy import GAMES, SHANGHAI, ExternalKind, PlannedDraw, ScheduleUnknown
from market.forms import Form
from market.selection import external as ops
from market.selection.models import DrawScheduleYear

bp = Blueprint("draw_schedule", __name__)


class DrawYearForm(Form):
    ssq_no_draw = TextAreaField(_l("福彩双色球不开奖的日期"), validators=[Length(max=3000)])
    fc3d_no_draw = TextAreaField(_l("福彩3D不开奖的日期"), validators=[Length(max=3000)])
    source = StringField(_l("依据"), validators=[DataRequired(_l("请填写此项。")), Length(max=300)])
    confirmed = BooleanField(_l("已与中国福利彩票发行管理中心的公告逐日核对"))


@bp.app_context_processor
def schedule_words() -> dict[str, object]:
    return {"today_year": lambda: timeutil.today_local().year}


def _year_arg(year: int) -> int:
    if not 2000 <= year <= 2100:
        abort(404)
    return year


@bp.route("/draw-schedule")
@access(ANYONE)
def year_page() -> str:
    """A year's draw arrangement and the issues it gives, so anyone can check a plan's issue."""
    year = _year_arg(request.args.get("year", type=int) or timeutil.today_local().year)
    row = db.session.get(DrawScheduleYear, year)
    calendar = ops.draw_calendar()
    today = timeutil.today_local()
    start = datetime.combine(today if today.year == year else date(year, 1, 1), time(0),
                             tzinfo=SHANGHAI)
    first: dict[ExternalKind, PlannedDraw | None] = {}
    for kind in GAMES:
        try:
            first[kind] = calendar.next_draw(kind, start)
        except ScheduleUnknown:
            first[kind] = None
    return render_template("selection/draw_schedule.html", year=year, row=row, next_draws=first,
                           games=GAMES, kinds=ExternalKind,
                           keeper=scope.keeps_shared(current_org()))


@bp.route("/operator/draw-schedule/<int:year>", methods=["GET", "POST"])
@access("operator")
def edit_year(year: int) -> ResponseReturnValue:
    """A year's draw arrangement: the issues of the national lottery are the same for every
    tenant, so the provincial operator keeps it; any other operator reads it (403 on POST)."""
    year = _year_arg(year)
    keeper = scope.keeps_shared(require_org())
    if request.method == "POST" and not keeper:
        abort(403)
    shown = {"keeper": keeper, "keeper_name": scope.shared_keeper_name()}
    row = db.session.get(DrawScheduleYear, year)
    form = DrawYearForm()
    if request.method == "GET" and row is not None:
        form.ssq_no_draw.data = "\n".join(row.ssq_no_draw)
        form.fc3d_no_draw.data = "\n".join(row.fc3d_no_draw)
        form.source.data, form.confirmed.data = row.source, row.confirmed
    if form.validate_on_submit():
        try:
            ops.save_draw_year(year, ssq_text=form.ssq_no_draw.data or "",
                               fc3d_text=form.fc3d_no_draw.data or "",
                               source=form.source.data or "", confirmed=bool(form.confirmed.data),
                               user_id=current_user.id)
        except CalendarError as error:
            getattr(form, error.field).errors.append(_(error.message, item=error.detail))
        else:
            flash(_("%(year)s 年福彩开奖安排已保存。", year=year), "success")
            return redirect(url_for("draw_schedule.year_page", year=year))
        return render_template("selection/draw_schedule_edit.html", form=form, year=year,
                               row=row, **shown), 400
    years = db.session.scalars(sa.select(DrawScheduleYear.year).order_by(
        DrawScheduleYear.year)).all()
    return render_template("selection/draw_schedule_edit.html", form=form, year=year, row=row,
                           years=years, **shown), 400 if form.errors else 200
