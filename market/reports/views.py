"""The monthly report on the regulator's console (月度报告) and the public statistics (统计)."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue

from market.accounts.auth import ANYONE, access
from market.accounts.models import OrgKind
from market.domain.reports import Month
from market.downloads import csv_response, send_stored
from market.reports import archive
from market.reports.charts import charts
from market.reports.figures import CSV_HEADER, by_section, csv_rows, monthly
from market.timeutil import today_local

bp = Blueprint("reports", __name__)


def _ended(text: str | None) -> Month:
    """The month named in the address, which must have ended; 404 otherwise (a month not
    ended has no report yet, and a malformed one names nothing)."""
    try:
        month = Month.parse(text or "")
    except ValueError:
        abort(404)
    if not month.ended(today_local()):
        abort(404)
    return month


def _last_ended() -> Month:
    return Month.of(today_local()).previous()


@bp.route("/regulator/reports")
@access(OrgKind.REGULATOR)
def archive_list() -> ResponseReturnValue:
    return render_template("reports/archive.html", written=archive.written(),
                           last=_last_ended())


@bp.route("/regulator/reports/<month>")
@access(OrgKind.REGULATOR)
def month_page(month: str) -> ResponseReturnValue:
    m = _ended(month)
    report = monthly(m)
    return render_template("reports/month.html", report=report, charts=charts(report),
                           sections=by_section(report), pdf=archive.stored(m, "pdf"))


@bp.route("/regulator/reports/<month>/figures.csv")
@access(OrgKind.REGULATOR)
def month_csv(month: str) -> ResponseReturnValue:
    m = _ended(month)
    return csv_response(f"monthly-report-{m.label}", CSV_HEADER, csv_rows(monthly(m)))


@bp.route("/regulator/reports/<month>/report.pdf")
@access(OrgKind.REGULATOR)
def month_pdf(month: str) -> ResponseReturnValue:
    m = _ended(month)
    path = archive.stored(m, "pdf")
    if path is None:
        abort(404)
    return send_stored(path, "application/pdf", f"monthly-report-{m.label}.pdf")


@bp.route("/statistics")
@access(ANYONE)
def statistics() -> ResponseReturnValue:
    m = _ended(request.args.get("month")) if request.args.get("month") else _last_ended()
    report = monthly(m)
    return render_template("reports/statistics.html", report=report, charts=charts(report),
                           sections=by_section(report), months=_recent(m))


def _recent(current: Month, n: int = 12) -> list[Month]:
    out, m = [], _last_ended()
    for _ in range(n):
        out.append(m)
        m = m.previous()
    if current not in out:
        out.append(current)
    return out
