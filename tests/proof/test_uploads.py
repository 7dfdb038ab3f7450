"""Uploads with bad input: what the other suites do not already cover.

Already covered elsewhere: wrong type by content, whatever the name says
(``tests/agencies/test_admission.py::test_content_not_extension_decides``); a ZIP with a
``../`` entry and a ZIP that compresses 5 MB of zeros (``tests/approvals/test_cases.py``).
Here, through :func:`market.storage.store` and over HTTP: empty files, oversize files (by the
store's limit and by the request limit, 413), ZIP bombs by total expansion, by entry count, by
headers that declare small sizes over huge deflate streams (sizes are measured by inflating,
with a hard cap) and by entries sharing one stream,
absolute and drive-letter entries, path-traversal, control-character and huge file names.
Every refusal leaves no ``upload`` row and no file (not even a temporary one) behind.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask

from market.db import db
from market.storage import DELIVERABLE_KINDS, ZIP_MAX_ENTRIES, Upload, UploadError, store
from tests.conftest import make_app
from tests.proof.report import record

PDF = b"%PDF-1.7\n" + b"x" * 100
REFUSED, NAMES = "uploads.refused", "uploads.names"


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    return make_app(tmp_path, SCAN_MAX_BYTES=64 * 1024, MAX_CONTENT_LENGTH=256 * 1024)


def _files(app: Flask) -> list[Path]:
    return [p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()]


def _refused(app: Flask, data: bytes, name: str = "x.pdf", *, case: str, **kw: object) -> str:
    """Store ``data``; it must be refused with no row and no file. Records the case's message."""
    with app.app_context():
        with pytest.raises(UploadError) as caught:
            store(io.BytesIO(data), name, **kw)  # type: ignore[arg-type]
        db.session.rollback()
        rows = db.session.query(Upload).count()
    files = _files(app)
    shown = caught.value.message % caught.value.params if caught.value.params else caught.value.message
    record(REFUSED, case, f"{shown} — rows {rows}, files {len(files)}")
    assert rows == 0
    assert files == []
    return caught.value.message


def _zip(entries: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        for name, content in entries.items():
            z.writestr(name, content)
    return buf.getvalue()


def test_empty_file_is_refused(app: Flask) -> None:
    assert "请选择" in _refused(app, b"", case="empty file")


def test_oversize_file_is_refused_without_reading_it_all(app: Flask) -> None:
    assert "上限" in _refused(app, PDF + b"0" * (64 * 1024), case="file over the 64 kB limit")


def test_oversize_request_is_a_413(app: Flask) -> None:
    response = app.test_client().post("/login", data={"f": (io.BytesIO(b"0" * 300_000), "x")},
                                      content_type="multipart/form-data")
    record(REFUSED, "request over MAX_CONTENT_LENGTH (300 kB > 256 kB)",
           f"HTTP {response.status_code}")
    assert response.status_code == 413


def test_zip_bomb_by_total_expansion_is_refused(app: Flask) -> None:
    # No entry compresses suspiciously well (about 35:1), but together they expand beyond
    # 4 × the 64 kB limit while the archive itself is within it.
    data = _zip({f"part{i}.bin": bytes(range(256)) * 40 for i in range(30)})
    assert len(data) < 64 * 1024
    expanded = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    case = f"ZIP of {len(data) // 1024} kB expanding to {expanded // 1024} kB"
    assert "过大" in _refused(app, data, "c.zip", case=case, allowed=DELIVERABLE_KINDS)


def test_zip_with_too_many_entries_is_refused(app: Flask) -> None:
    data = _zip({f"{i}": b"" for i in range(ZIP_MAX_ENTRIES + 1)},
                compression=zipfile.ZIP_STORED)
    assert "过多" in _refused(app, data, "c.zip", allowed=DELIVERABLE_KINDS,
                              max_bytes=len(data) + 1,
                              case=f"ZIP of {ZIP_MAX_ENTRIES + 1:,} entries")


@pytest.mark.parametrize("entry", ["/etc/passwd", "C:/Windows/x.dll", "a/../../b", "..\\..\\c"])
def test_zip_with_unsafe_entry_names_is_refused(app: Flask, entry: str) -> None:
    assert "不安全" in _refused(app, _zip({entry: b"x"}), "c.zip", allowed=DELIVERABLE_KINDS,
                                case=f"ZIP entry named {entry!r}")


def test_corrupt_zip_is_refused(app: Flask) -> None:
    assert "损坏" in _refused(app, b"PK\x03\x04" + b"\x00" * 200, "c.zip",
                              allowed=DELIVERABLE_KINDS, case="corrupt ZIP")


@pytest.mark.parametrize(("name", "kept"), [
    ("../../../etc/passwd.pdf", "passwd.pdf"),
    ("..\\..\\windows\\system32\\x.pdf", "x.pdf"),
    ("/absolute/path.pdf", "path.pdf"),
    ("bad\x00na\x1bme\u202e.pdf", "badname.pdf"),
    ("", "upload"),
    ("../", "upload"),
])
def test_file_names_are_reduced_to_a_safe_base_name(app: Flask, name: str, kept: str) -> None:
    with app.app_context():
        upload = store(io.BytesIO(PDF), name)
        db.session.commit()
        stored_as = [p.name for p in _files(app)]
        record(NAMES, f"name {name!r}", f"kept as {upload.original_name!r}; stored under its "
               f"hash only: {'yes' if stored_as == [upload.sha256] else 'no'}")
        assert upload.original_name == kept
    # Stored by hash, never under the given name.
    assert stored_as == [upload.sha256]


def test_huge_file_name_is_cut_to_the_column(app: Flask) -> None:
    with app.app_context():
        upload = store(io.BytesIO(PDF), "名" * 100_000 + ".pdf")
        db.session.commit()
        record(NAMES, "name of 100,004 characters", f"kept as {len(upload.original_name)} characters")
        assert len(upload.original_name) == 255


def _lie_about_sizes(data: bytes, declared: int) -> bytes:
    """The archive with every entry's uncompressed size (local header and central directory)
    and compressed size in the central directory rewritten to ``declared``: the headers are
    the uploader's to write."""
    import struct

    out = bytearray(data)
    at = 0
    while (at := out.find(b"PK\x03\x04", at)) != -1:
        struct.pack_into("<I", out, at + 22, declared)
        at += 4
    at = 0
    while (at := out.find(b"PK\x01\x02", at)) != -1:
        struct.pack_into("<II", out, at + 20, declared, declared)
        at += 4
    return bytes(out)


def test_zip_bomb_that_lies_about_its_sizes_is_refused(app: Flask) -> None:
    """Declared: 1 kB per entry, nothing suspicious.  Inflated: 50 MB of zeros each."""
    data = _lie_about_sizes(_zip({"a.bin": bytes(50 * 1024 * 1024),
                                  "b.bin": bytes(50 * 1024 * 1024)}), 1024)
    assert len(data) < 256 * 1024  # passes the upload limit, as a bomb does
    declared = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    assert declared == 2048
    case = f"ZIP of {len(data) // 1024} kB declaring {declared // 1024} kB, inflating to 100 MB"
    assert "过大" in _refused(app, data, "c.zip", case=case, allowed=DELIVERABLE_KINDS,
                              max_bytes=256 * 1024)


def test_zip_whose_entries_share_one_stream_is_refused(app: Flask) -> None:
    """Overlapping entries: a second central-directory entry pointing at the first entry's
    data counts again (each is inflated), as an unzip tool would write both files."""
    import struct

    one = _zip({"a.bin": bytes(200 * 1024)})
    cd = one.find(b"PK\x01\x02")
    end = one.find(b"PK\x05\x06")
    entry = one[cd:end]
    twin = bytearray(entry)
    twin[46:51] = b"b.bin"  # same data, another name
    directory = entry + bytes(twin)
    eocd = bytearray(one[end:])
    struct.pack_into("<HHII", eocd, 8, 2, 2, len(directory), cd)
    data = one[:cd] + directory + bytes(eocd)
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) == 2
    assert "过大" in _refused(app, data, "c.zip", allowed=DELIVERABLE_KINDS,
                              max_bytes=64 * 1024, case="ZIP of two entries sharing one stream")


def test_a_real_office_document_still_passes(app: Flask) -> None:
    data = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>" * 50})
    with app.app_context():
        row = store(io.BytesIO(data), "报告.docx", allowed=DELIVERABLE_KINDS)
        assert row.content_type.endswith("wordprocessingml.document")
        db.session.rollback()
