"""The written monthly reports (月度报告存档): for each ended month, the page, the CSV of every
figure and the PDF a department files, in ``<instance>/reports/monthly/<YYYY-MM>/``.

Writing is idempotent: the same month written again replaces its three files with the same
figures (each file is written aside and renamed over the old one, so a reader never sees half a
file).  A month that has not ended is refused: its figures would still change.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, render_template
from flask_babel import gettext as _

from market.domain.reports import Month
from market.downloads import csv_text
from market.refusal import Refused
from market.reports.charts import charts
from market.reports.figures import (
    CSV_HEADER,
    DEPLOYMENT,
    Report,
    Scope,
    by_section,
    csv_rows,
    monthly,
)
from market.timeutil import today_local

FILES = {"html": "report.html", "csv": "figures.csv", "pdf": "report.pdf"}


class ReportError(Refused):
    """A report that cannot be written (the month has not ended)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def root() -> Path:
    return Path(current_app.instance_path) / "reports" / "monthly"


def folder(month: Month) -> Path:
    return root() / month.label


@dataclass(frozen=True)
class Written:
    month: Month
    files: dict[str, Path]


def written() -> list[Written]:
    """The months written so far, newest first, with the files each has."""
    out = []
    if root().is_dir():
        for entry in root().iterdir():
            try:
                month = Month.parse(entry.name)
            except ValueError:
                continue
            files = {k: entry / name for k, name in FILES.items() if (entry / name).is_file()}
            if files:
                out.append(Written(month, files))
    return sorted(out, key=lambda w: w.month, reverse=True)


def stored(month: Month, kind: str) -> Path | None:
    path = folder(month) / FILES[kind]
    return path if path.is_file() else None


def document(report: Report) -> str:
    """The report as one self-contained HTML document (no external file, no script): what is
    stored as the page and what the PDF is made from."""
    return render_template("reports/document.html", report=report, charts=charts(report),
                           sections=by_section(report))


def pdf(html: str) -> bytes:
    # Imported here: WeasyPrint loads Pango when imported, which only the PDF needs.
    from weasyprint import HTML

    data: bytes = HTML(string=html, base_url=str(root())).write_pdf()
    return data


def _replace(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(month: Month, scope: Scope = DEPLOYMENT) -> Written:
    """Write the month's page, CSV and PDF (the ``flask reports monthly`` command; the
    operator's or a timer's job).  Refuses a month that has not ended; changes no database
    row."""
    # The command runs outside any request; names, messages and the page's context (language)
    # want one.
    with current_app.test_request_context("/"):
        if not month.ended(today_local()):
            raise ReportError(_("%(month)s 还没有结束，月度报告只能在月份结束后生成。",
                                month=month.label))
        report = monthly(month, scope)
        html = document(report)
        table = csv_text(CSV_HEADER, csv_rows(report))
    target = folder(month)
    _replace(target / FILES["csv"], table.encode("utf-8"))
    _replace(target / FILES["html"], html.encode("utf-8"))
    _replace(target / FILES["pdf"], pdf(html))
    return Written(month, {k: target / name for k, name in FILES.items()})
