"""What the platform hands out as files: uploads, CSV exports, JSON receipts.

* File names: ``Content-Disposition`` as RFC 6266 says, with the name in ``filename*``
  (RFC 5987/8187, UTF-8, percent-encoded) for the Chinese names people give their files and a
  plain ASCII ``filename`` for old clients; the ASCII name is built here (letters, digits,
  ``.-_``), never copied from the uploader, so no quote, semicolon or line break reaches the
  header.  An upload is named after the type its content was checked to be
  (:mod:`market.storage`), not after the extension it came with: ``evil".html`` holding a PDF
  downloads as ``evil.pdf``.  ``X-Content-Type-Options: nosniff`` on every file.
* CSV (OWASP "CSV Injection"): a text cell that a spreadsheet would read as a formula — it
  begins, after any leading spaces, with ``=``, ``+``, ``-``, ``@``, a tab, CR or LF, or their
  full-width forms — is written with a leading apostrophe, which spreadsheets show as text.
  The rule for numbers: values that are numbers (``int``, ``Decimal``, ``float``) and text
  that is exactly a decimal number (``-12``, ``-0.35``) are written as they are, so a negative
  amount stays a number in its column; such text cannot hold a formula.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

from flask import Response, send_file

FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_DECIMAL = re.compile(r"-?[0-9]+(?:\.[0-9]+)?\Z")
_ASCII_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def csv_cell(value: object) -> str:
    """One cell's text, safe to open in a spreadsheet (see the module)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float | Decimal):
        return str(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    stripped = text.lstrip(" \u3000")
    if stripped[:1] in FORMULA_START and not _DECIMAL.match(text):
        return "'" + text
    return text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The text of a CSV file (with the BOM Excel needs to read Chinese), every cell made safe
    by :func:`csv_cell`: what :func:`csv_response` sends and what a command writes to disk."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return "\ufeff" + out.getvalue()


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[object]]) -> Response:
    """A CSV download (UTF-8 with a BOM, which Excel needs to read Chinese), every cell made
    safe by :func:`csv_cell`; the one helper every CSV export uses."""
    response = Response(csv_text(header, rows), mimetype="text/csv")
    set_disposition(response, "attachment", f"{name}.csv")
    return response


def ascii_name(filename: str, fallback: str) -> str:
    """An ASCII-only file name for ``filename`` (its ASCII letters and digits, NFKD-folded),
    keeping its extension; ``fallback`` when nothing of the name is left."""
    stem, dot, ext = filename.rpartition(".")
    if not dot:
        stem, ext = filename, ""

    def fold(text: str) -> str:
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return _ASCII_NAME.sub("_", text).strip("._-")

    stem, ext = fold(stem), fold(ext)
    if not stem:
        stem = fallback
    return f"{stem}.{ext}" if ext else stem


def set_disposition(response: Response, kind: str, filename: str,
                    fallback: str = "download") -> Response:
    """``Content-Disposition: <kind>; filename="<ascii>"; filename*=UTF-8''<name>`` and
    ``nosniff``."""
    plain = ascii_name(filename, fallback)
    value = f'{kind}; filename="{plain}"'
    if plain != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe="!#$&+-.^_`|~")
    response.headers["Content-Disposition"] = value
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def json_download(body: str, filename: str, *, inline: bool = False) -> Response:
    response = Response(body, mimetype="application/json")
    return set_disposition(response, "inline" if inline else "attachment", filename)


def send_stored(path: Path, content_type: str, filename: str, *, inline: bool = False,
                fallback: str = "file") -> Response:
    """A stored file, typed as checked, named by :func:`set_disposition`, never cached."""
    response: Response = send_file(path, mimetype=content_type, max_age=0)
    set_disposition(response, "inline" if inline else "attachment", filename, fallback)
    response.headers["Cache-Control"] = "private, no-store"
    return response
