"""Uploaded files (上传文件): checked by content, stored once under their SHA-256.

A file is written to ``app.config["UPLOAD_DIR"]`` (outside the web root) as
``ab/abcdef…`` — its SHA-256 in hex — through a temporary file and an atomic rename, and is
never overwritten: the same bytes uploaded twice are stored once.  Each upload still gets its
own :class:`Upload` row (who, when, under which name).  Files are served only by views that
check the viewer may see them (see :func:`market.agencies.views.upload`); the storage itself
knows nothing of permissions.

The kind of a file is decided by its first bytes (magic numbers), never by its name or by the
content type the browser claims.  ``store`` takes the set of kinds a caller accepts, so the
deliverables of a later issue can accept more kinds (Office, DWG, ZIP) with the same code.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import struct
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

import click
import sqlalchemy as sa
from flask import Response, current_app
from flask.cli import AppGroup
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.datastructures import FileStorage

from market import timeutil
from market.db import UTCDateTime, db
from market.downloads import send_stored
from market.i18n import N_
from market.refusal import Refused

# kind -> (content type, magic prefixes)
KINDS: dict[str, tuple[str, tuple[bytes, ...]]] = {
    "pdf": ("application/pdf", (b"%PDF-",)),
    "jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    "png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
    # Deliverables: legacy Office (DOC/XLS, OLE compound file), OOXML and ZIP, AutoCAD DWG.
    "ole": ("application/x-ole-storage", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    "zip": ("application/zip", (b"PK\x03\x04",)),
    "dwg": ("image/vnd.dwg", (b"AC10",)),
}
SCAN_KINDS = frozenset({"pdf", "jpeg", "png"})  # licences and certificate scans
DELIVERABLE_KINDS = frozenset({"pdf", "jpeg", "png", "ole", "zip", "dwg"})
# An archive may expand to at most this many times the upload limit, and no entry may
# compress better than this ratio: beyond either it is treated as a decompression bomb.
ZIP_MAX_EXPANSION = 4
ZIP_MAX_RATIO = 200
ZIP_RATIO_FLOOR = 1024 * 1024  # a small file that compresses very well is no bomb
ZIP_MAX_ENTRIES = 10_000

_CHUNK = 1024 * 1024
# Stored files are 0440 (read-only, see store); their folders are not open to other users of
# the machine, only to the service's group (instances sharing the store over NFS).
PRIVATE_DIR_MODE = 0o750
TEMP_PREFIX = ".incoming-"  # a file being written; never served, swept if a crash leaves it


class UploadError(Refused):
    """An upload was refused; ``field`` names the form field, ``message`` is an N_() string."""

    def __init__(self, field: str, message: str, **params: object) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.params = params


class Upload(db.Model):  # type: ignore[name-defined,misc]
    """One upload of a file (上传记录); the bytes live on disk under ``sha256``."""

    __tablename__ = "upload"

    id: Mapped[int] = mapped_column(primary_key=True)
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    size: Mapped[int] = mapped_column(sa.BigInteger)
    content_type: Mapped[str] = mapped_column(sa.String(100))
    original_name: Mapped[str] = mapped_column(sa.String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id"))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())


@dataclass(frozen=True)
class Sniffed:
    kind: str
    content_type: str


def sniff(head: bytes, allowed: frozenset[str]) -> Sniffed | None:
    """The kind of a file from its first bytes, if it is one of ``allowed``."""
    for kind in sorted(allowed):
        content_type, magics = KINDS[kind]
        if any(head.startswith(m) for m in magics):
            return Sniffed(kind, content_type)
    return None


def _inflated_size(archive_file: IO[bytes], info: zipfile.ZipInfo, archive_size: int,
                   budget: int) -> tuple[int, int]:
    """Inflate one entry as far as its data really goes, whatever its headers declare, and
    return (bytes out, compressed bytes read); stop as soon as more than ``budget`` came out.

    The declared sizes are the attacker's to choose: a header may claim 1 kB over a deflate
    stream of gigabytes, or several entries may point at the same data.  So the entry is read
    from its local header to the end of its deflate stream (or of the file), never trusting
    ``file_size`` or ``compress_size``."""
    archive_file.seek(info.header_offset)
    header = archive_file.read(30)
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise zipfile.BadZipFile("no local header")
    name_len, extra_len = struct.unpack("<HH", header[26:30])
    archive_file.seek(info.header_offset + 30 + name_len + extra_len)
    if info.compress_type == zipfile.ZIP_STORED:
        size = min(info.compress_size, archive_size)
        return size, size
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise zipfile.BadZipFile("unsupported compression")
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    out = read = 0
    while not inflater.eof:
        chunk = archive_file.read(64 * 1024)
        if not chunk:
            break
        read += len(chunk)
        data = chunk
        while data:
            out += len(inflater.decompress(data, 64 * 1024))
            if out > budget:
                return out, read
            data = inflater.unconsumed_tail
            if inflater.eof:
                break
    read -= len(inflater.unused_data)
    return out, read


def _check_zip(path: str, limit: int, field: str) -> Sniffed:
    """Refuse an archive with unsafe names (absolute, ``..``, drive letters) or one that would
    expand far beyond the upload limit (a size bomb); tell OOXML documents from plain ZIPs.

    Sizes are measured by inflating every entry, with a hard cap on the total
    (``ZIP_MAX_EXPANSION`` times the upload limit): the sizes the archive declares are not
    believed."""
    bomb = N_("压缩文件内的文件过多或解压后过大，已拒收。")
    cap = limit * ZIP_MAX_EXPANSION
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > ZIP_MAX_ENTRIES:
                raise UploadError(field, bomb)
            for info in infos:
                name = info.filename.replace("\\", "/")
                parts = name.split("/")
                if name.startswith("/") or ".." in parts or (len(name) > 1 and name[1] == ":"):
                    raise UploadError(field, N_("压缩文件内含不安全的路径（%(name)s），已拒收。"),
                                      name=info.filename[:100])
            total = 0
            size = os.path.getsize(path)
            with open(path, "rb") as raw:
                for info in infos:
                    out, read = _inflated_size(raw, info, size, cap - total)
                    total += out
                    if total > cap or (out > ZIP_RATIO_FLOOR and out > read * ZIP_MAX_RATIO):
                        raise UploadError(field, bomb)
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError) as error:
        if isinstance(error, UploadError):
            raise
        raise UploadError(field, N_("压缩文件已损坏，无法读取。")) from error
    names = {i.filename for i in infos}
    if "[Content_Types].xml" in names:
        if any(n.startswith("word/") for n in names):
            return Sniffed("docx", "application/vnd.openxmlformats-officedocument"
                                   ".wordprocessingml.document")
        if any(n.startswith("xl/") for n in names):
            return Sniffed("xlsx", "application/vnd.openxmlformats-officedocument"
                                   ".spreadsheetml.sheet")
    return Sniffed("zip", "application/zip")


def path_for(sha256: str) -> Path:
    return Path(current_app.config["UPLOAD_DIR"]) / sha256[:2] / sha256


# The file-name extensions of each checked content type; the first is used when the
# uploader's own extension is not one of them (an OLE compound file is a .doc, .xls or .ppt).
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": ("pdf",),
    "image/jpeg": ("jpg", "jpeg"),
    "image/png": ("png",),
    "application/x-ole-storage": ("doc", "xls", "ppt"),
    "application/zip": ("zip",),
    "image/vnd.dwg": ("dwg",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ("docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ("xlsx",),
}
INLINE_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})


def download_name(upload: Upload) -> str:
    """The name a stored file is served under: the uploader's name without its extension,
    then the extension of the type its content was checked to be (``evil".html`` holding a
    PDF is ``evil.pdf``).  Characters that do not belong in a file name go."""
    allowed = EXTENSIONS.get(upload.content_type, ("bin",))
    name = _safe_name(upload.original_name)
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    stem = "".join(ch for ch in stem if ch not in '"\\/:*?<>|;').strip(" .")
    stem = stem or f"file-{upload.id}"
    ext = ext.lower() if ext.lower() in allowed else allowed[0]
    return f"{stem[:200]}.{ext}"


def send_upload(upload: Upload, *, inline: bool = False) -> Response:
    """Serve a stored upload (views check who may see it first): its checked content type,
    :func:`download_name`, inline only for types a browser shows safely (PDF, JPEG, PNG)."""
    return send_stored(path_for(upload.sha256), upload.content_type, download_name(upload),
                       inline=inline and upload.content_type in INLINE_TYPES,
                       fallback=f"file-{upload.id}")


def _safe_name(name: str | None) -> str:
    name = (name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())
    return name[:255] or "upload"


@dataclass(frozen=True)
class _Checked:
    """A file copied to a temporary file of the store and checked: where it is, its size, its
    SHA-256 and its kind by content."""

    path: str
    size: int
    sha256: str
    sniffed: Sniffed


@contextlib.contextmanager
def _checked_temporary(stream: IO[bytes], *, limit: int, field: str, allowed: frozenset[str],
                       refuse_message: str | None) -> Iterator[_Checked]:
    """Copy ``stream`` to a durable temporary file and check it (not empty, at most ``limit``
    bytes, one of the ``allowed`` kinds by its first bytes, archives inspected); the temporary
    file is gone when the block ends, whatever happens in it.  A full disk (or quota), here or
    in the block, is told to the user plainly as an :class:`UploadError` on ``field``."""
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        size, head, sha = write_temporary(stream, fd, limit, field)
        if size == 0:
            raise UploadError(field, N_("请选择要上传的文件。"))
        sniffed = sniff(head, allowed)
        if sniffed is None:
            raise UploadError(field, refuse_message
                              or N_("文件内容不是 PDF、JPEG 或 PNG（按文件内容判断，与扩展名无关）。"))
        if sniffed.kind == "zip":
            sniffed = _check_zip(tmp_name, limit, field)
        yield _Checked(tmp_name, size, sha, sniffed)
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise UploadError(field, N_("存储空间不足，文件未保存。请稍后重试，或联系平台运维人员。")) from error
        raise
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def _freshen(final: Path) -> bool:
    """True when ``final`` is stored already, made fresh again so that a concurrent
    :func:`sweep` does not take it for an old orphan."""
    if not final.exists():
        return False
    with contextlib.suppress(OSError):
        os.utime(final)
    return True


def _link_into_store(tmp_name: str, sha: str) -> None:
    """Give the durable temporary file ``tmp_name`` its place under its SHA-256 (the caller
    removes the temporary name).  A stored file is never replaced: ``link()`` fails instead,
    so a concurrent upload of the same bytes cannot overwrite it, and the loser just drops its
    copy."""
    final = path_for(sha)
    final.parent.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    if _freshen(final):
        return
    os.chmod(tmp_name, 0o440)
    with contextlib.suppress(FileExistsError):
        os.link(tmp_name, final)


def store(
    stream: IO[bytes],
    filename: str | None,
    *,
    allowed: frozenset[str] = SCAN_KINDS,
    max_bytes: int | None = None,
    field: str = "file",
    uploaded_by_id: int | None = None,
    organisation_id: int | None = None,
    refuse_message: str | None = None,
) -> Upload:
    """Check and store an uploaded file; add its :class:`Upload` row to the session.

    Refuses (``UploadError``, nothing written, nothing added) an empty file, a file over
    ``max_bytes`` (default: the ``SCAN_MAX_BYTES`` setting) and a file whose first bytes are
    not one of the ``allowed`` kinds.
    """
    limit = max_bytes if max_bytes is not None else int(current_app.config["SCAN_MAX_BYTES"])
    with _checked_temporary(stream, limit=limit, field=field, allowed=allowed,
                            refuse_message=refuse_message) as checked:
        _link_into_store(checked.path, checked.sha256)
    upload = Upload(
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.sniffed.content_type,
        original_name=_safe_name(filename),
        uploaded_by_id=uploaded_by_id,
        organisation_id=organisation_id,
        uploaded_at=timeutil.now(),
    )
    db.session.add(upload)
    db.session.flush()
    return upload


def write_temporary(stream: IO[bytes], fd: int, limit: int, field: str) -> tuple[int, bytes, str]:
    """Copy ``stream`` into the temporary file open as ``fd`` (closed on return) and make it
    durable: ``(size, first 16 bytes, sha256 hex)``.  Refuses a file over ``limit`` bytes.

    A step of its own so that everything after it sees the whole file on disk, and so that the
    crash tests can stop a worker exactly there (tests/support/fault_points.py wraps it).
    """
    digest = hashlib.sha256()
    size = 0
    head = b""
    with os.fdopen(fd, "wb") as tmp:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            if size > limit:
                raise UploadError(field, N_("文件超过 %(mb)s MB 的上限。"),
                                  mb=limit // (1024 * 1024))
            if len(head) < 16:
                head += chunk[: 16 - len(head)]
            digest.update(chunk)
            tmp.write(chunk)
        tmp.flush()
        os.fsync(tmp.fileno())
    return size, head, digest.hexdigest()


def store_file(file: object, **kwargs: object) -> Upload:
    """:func:`store` for a Werkzeug ``FileStorage`` (a form's file field)."""
    if not isinstance(file, FileStorage) or not file.filename:
        raise UploadError(str(kwargs.get("field", "file")), N_("请选择要上传的文件。"))
    try:
        return store(file.stream, file.filename, **kwargs)  # type: ignore[arg-type]
    finally:
        file.close()  # a large upload is spooled to a temporary file: free it now


SEALED_TYPE = "application/x-market-sealed"  # a ciphertext: never served as a file


def _place_bytes(data: bytes) -> str:
    """Write ``data`` under its SHA-256 as :func:`store` does (temporary file, fsync, link,
    never overwritten); returns the hash."""
    directory = Path(current_app.config["UPLOAD_DIR"])
    directory.mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
    sha = hashlib.sha256(data).hexdigest()
    if _freshen(path_for(sha)):
        return sha
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        _link_into_store(tmp_name, sha)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)
    return sha


@dataclass(frozen=True)
class SealedFile:
    """A file checked by content and stored only encrypted: the ciphertext's upload row and
    what the plaintext was (its hash, size, checked content type, the uploader's name)."""

    upload: Upload
    sha256: str
    size: int
    content_type: str
    name: str


def store_sealed(file: object, encrypt: Callable[[bytes], bytes], *,
                 allowed: frozenset[str], max_bytes: int, field: str = "file",
                 uploaded_by_id: int | None = None, organisation_id: int | None = None,
                 refuse_message: str | None = None) -> SealedFile:
    """Check an uploaded file exactly as :func:`store` does (size, kind by content, archives)
    but keep only ``encrypt(plaintext)``: the plaintext is never written to the store, so
    nobody with the store (or the database) reads it before whoever holds the key opens it.
    Refuses as :func:`store` does, leaving nothing behind."""
    if not isinstance(file, FileStorage) or not file.filename:
        raise UploadError(field, N_("请选择要上传的文件。"))
    try:
        with _checked_temporary(file.stream, limit=max_bytes, field=field, allowed=allowed,
                                refuse_message=refuse_message) as checked:
            sealed_sha = _place_bytes(encrypt(Path(checked.path).read_bytes()))
    finally:
        file.close()
    upload = Upload(sha256=sealed_sha, size=path_for(sealed_sha).stat().st_size,
                    content_type=SEALED_TYPE, original_name=_safe_name(file.filename) + ".sealed",
                    uploaded_by_id=uploaded_by_id, organisation_id=organisation_id,
                    uploaded_at=timeutil.now())
    db.session.add(upload)
    db.session.flush()
    return SealedFile(upload, checked.sha256, checked.size, checked.sniffed.content_type,
                      _safe_name(file.filename))


def read_stored(upload: Upload) -> bytes:
    """The bytes of a stored upload (a sealed file, to open it)."""
    return path_for(upload.sha256).read_bytes()


def store_opened(data: bytes, name: str, content_type: str, *,
                 uploaded_by_id: int | None = None,
                 organisation_id: int | None = None) -> Upload:
    """Store a sealed file's plaintext once it is opened (checked by content at its upload and
    against its logged hash at the opening) under its SHA-256, with its own upload row."""
    sha = _place_bytes(data)
    upload = Upload(sha256=sha, size=len(data), content_type=content_type,
                    original_name=_safe_name(name), uploaded_by_id=uploaded_by_id,
                    organisation_id=organisation_id, uploaded_at=timeutil.now())
    db.session.add(upload)
    db.session.flush()
    return upload


# --- what a crash leaves behind ---------------------------------------------------------------


def sweep(older_than_seconds: float) -> tuple[int, int]:
    """Remove what a killed process can leave in ``UPLOAD_DIR``: temporary ``.incoming-*`` files
    and stored files that no :class:`Upload` row names (the file is linked before the row's
    transaction commits; a crash in between leaves the file alone).  Only files older than
    ``older_than_seconds`` go: a live upload links its file seconds before its row commits, and
    an upload of bytes already stored refreshes the file's time first.  Returns
    ``(temporary files, orphans)`` removed.  ``flask uploads sweep`` runs it."""
    directory = Path(current_app.config["UPLOAD_DIR"])
    if not directory.is_dir():
        return 0, 0
    cutoff = time.time() - older_than_seconds

    def old(path: Path) -> bool:
        try:
            return path.stat().st_mtime <= cutoff
        except FileNotFoundError:
            return False

    temps = orphans = 0
    for entry in directory.iterdir():
        if entry.name.startswith(TEMP_PREFIX) and entry.is_file() and old(entry):
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                temps += 1
        elif entry.is_dir() and len(entry.name) == 2:
            for stored in entry.iterdir():
                if not (stored.is_file() and len(stored.name) == 64 and old(stored)):
                    continue
                named = db.session.scalar(sa.select(Upload.id).where(
                    Upload.sha256 == stored.name).limit(1))
                if named is None and old(stored):  # still old: nobody re-used it meanwhile
                    with contextlib.suppress(FileNotFoundError):
                        stored.unlink()
                        orphans += 1
    return temps, orphans


uploads_cli = AppGroup("uploads", help="The upload store.")


@uploads_cli.command("sweep")
@click.option("--older-than", "minutes", type=float, default=60.0, show_default=True,
              help="only files older than this many minutes")
def sweep_command(minutes: float) -> None:
    """Remove temporary files and files without an upload row that a crash left behind."""
    temps, orphans = sweep(minutes * 60)
    click.echo(f"removed {temps} temporary file(s), {orphans} orphan file(s)")
