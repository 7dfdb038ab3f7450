"""The report's charts as server-side SVG (the CSP allows no script, the PDF no script either).

Each chart is a column of rows, the label on its own line above its bar and the figure at the
bar's end, 360 units wide: it scales down to a 390 px phone without shrinking the text much, and
its figures are also in the table beside it (the text alternative)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from flask_babel import gettext as _
from markupsafe import Markup, escape

from market.credit.sanctions import KIND_LABELS as SANCTION_LABELS
from market.domain.reports import format_bp, format_days
from market.evaluation.models import DIMENSIONS
from market.evaluation.operations import DIMENSION_LABELS
from market.reports.figures import METHOD_LABELS, Report

WIDTH, ROW, BAR = 360, 44, 14
FONT = "Noto Sans CJK SC, Noto Sans SC, WenQuanYi Zen Hei, sans-serif"


@dataclass(frozen=True)
class Row:
    label: str
    value: float  # the bar's length against ``top``
    text: str  # the figure as written


def bars(title: str, rows: Sequence[Row], top: float | None = None,
         colour: str = "#2e6da4") -> Markup:
    """Horizontal bars, one per row; ``top`` is the value of a full bar (the largest value when
    ``None``)."""
    top = top or max([1.0] + [r.value for r in rows])
    height = max(1, len(rows)) * ROW + 6
    usable = WIDTH - 70
    title_text = escape(title)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="report-chart" width="{WIDTH}" '
             f'height="{height}" viewBox="0 0 {WIDTH} {height}" role="img" '
             f'aria-label="{title_text}" font-family="{FONT}">',
             f"<title>{title_text}</title>"]
    for i, row in enumerate(rows):
        y = i * ROW
        length = max(0.0, min(row.value, top)) * usable / top
        parts.append(f'<text x="0" y="{y + 15}" font-size="15" fill="#222">'
                     f"{escape(row.label[:28])}</text>")
        parts.append(f'<rect x="0" y="{y + 21}" width="{usable}" height="{BAR}" fill="#eceff1"/>')
        parts.append(f'<rect x="0" y="{y + 21}" width="{length:.1f}" height="{BAR}" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{usable + 6}" y="{y + 34}" font-size="15" fill="#222">'
                     f"{escape(row.text)}</text>")
    if not rows:
        parts.append(f'<text x="0" y="20" font-size="15" fill="#555">{escape(_("暂无"))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every interpolated text is escaped above


def _bp_row(label: str, value: int | None) -> Row:
    return Row(label, max(value or 0, 0) / 100, format_bp(value))


def _days_row(label: str, value: Fraction | int | None) -> Row:
    return Row(label, float(value or 0), format_days(value))


def _mean_text(value: Fraction | None) -> str:
    return "—" if value is None else f"{float(value):.2f}"


def charts(report: Report) -> dict[str, Markup]:
    """The report's charts by name (the same on the console, the public page and the PDF)."""
    r = report
    services = [Row(r.service_names.get(st, str(st)), n, str(n)) for st, n in r.by_service()]
    days = _("工作日")
    out = {
        "methods": bars(_("按选取方式的采购公告数"),
                        [Row(_(METHOD_LABELS[m]), n, str(n)) for m, n in r.by_method()]),
        "services": bars(_("按中介服务事项的采购公告数"), services),
        "cycles": bars(_("办理周期（%(unit)s）", unit=days), [
            _days_row(_("公告至中选：中位数"), r.to_award.median),
            _days_row(_("公告至中选：第90百分位"), r.to_award.p90),
            _days_row(_("公告至验收：中位数"), r.to_acceptance.median),
            _days_row(_("公告至验收：第90百分位"), r.to_acceptance.p90)], colour="#5c6bc0"),
        "rates": bars(_("节约率、按时率与中介服务时间占比"), [
            _bp_row(_("节约率"), r.saving_bp),
            _bp_row(_("委托按时率"), r.engagements_on_time_bp),
            _bp_row(_("审批按时率"), r.cases_on_time_bp),
            _bp_row(_("中介服务时间占比"), r.intermediary_share_bp)], top=100,
            colour="#2e7d32"),
        "ratings": bars(_("服务评价平均分（1–5）"), [
            Row(_(DIMENSION_LABELS[d]), float(r.rating_mean(d) or 0),
                _mean_text(r.rating_mean(d)))
            for d in DIMENSIONS], top=5, colour="#ef6c00"),
        "supervision": bars(_("投诉与处罚（件）"), [
            Row(_("受理投诉"), r.complaints_filed, str(r.complaints_filed)),
            Row(_("投诉成立"), r.complaints_upheld, str(r.complaints_upheld)),
            *[Row(_("处罚：%(kind)s", kind=_(label)), r.sanctions[kind], str(r.sanctions[kind]))
              for kind, label in SANCTION_LABELS.items()]], colour="#c62828"),
    }
    return out
