"""``flask backup create PATH`` and ``flask backup restore PATH``.

SQLite: the online backup API (a consistent copy while the app runs).  PostgreSQL: ``pg_dump``
in the custom format and ``pg_restore --clean`` (the client tools of the server's version must
be on PATH).  Uploads live in ``UPLOAD_DIR``, named by their hash: copy that folder too (files
are never overwritten, so a plain copy or rsync after the database dump is consistent: every
file the dump names already exists).  Keys (signing key, data key) are not in the backup: keep
them in your secret store.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy.engine import URL, make_url

from market.db import db
from market.transparency.audit import run_audit

backup_cli = AppGroup("backup", help="Back up and restore the database.")


def _url() -> URL:
    return make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise click.ClickException("an in-memory SQLite database cannot be backed up or restored")
    return url.database


def _pg_env(url: URL) -> tuple[list[str], dict[str, str]]:
    args = ["--host", url.host or "127.0.0.1", "--port", str(url.port or 5432),
            "--username", url.username or "postgres", "--dbname", url.database or "postgres"]
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return args, env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    for candidate in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True):
        return str(candidate)
    raise click.ClickException(f"{name} is not installed (apt-get install postgresql-client)")


def _private_file(path: Path) -> None:
    """An empty file only the owner can read, for the copy to be written into: a backup holds
    every account and document, so it must not be born 0644 by the umask."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an earlier crash's leftover may be wider
    os.close(fd)


def create_backup(path: Path) -> None:
    url = _url()
    path.parent.mkdir(parents=True, exist_ok=True)
    if url.get_backend_name() == "sqlite":
        db.session.remove()
        db.engine.dispose()
        tmp = path.with_suffix(path.suffix + ".partial")
        _private_file(tmp)
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(tmp)
        try:
            source.backup(target)  # consistent even while other processes write
        finally:
            target.close()
            source.close()
        os.replace(tmp, path)  # never a half-written backup under the final name
        return
    args, env = _pg_env(url)
    tmp = path.with_suffix(path.suffix + ".partial")
    _private_file(tmp)
    # The arguments are ours (the configured URL), never user input; no shell is involved.
    subprocess.run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(tmp), *args],  # noqa: S603
                   check=True, env=env, timeout=3600)
    os.replace(tmp, path)


def restore_backup(path: Path) -> None:
    if not path.is_file():
        raise click.ClickException(f"no backup at {path}")
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        database = _sqlite_path(url)
        with tempfile.NamedTemporaryFile(dir=Path(database).parent, delete=False) as f:
            tmp = f.name
        source = sqlite3.connect(path)
        target = sqlite3.connect(tmp)
        try:
            if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
                raise click.ClickException(f"{path} is not an intact SQLite database")
            source.backup(target)
        finally:
            target.close()
            source.close()
        os.replace(tmp, database)
        for suffix in ("-wal", "-shm"):
            Path(database + suffix).unlink(missing_ok=True)
        return
    args, env = _pg_env(url)
    subprocess.run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",  # noqa: S603
                    "--single-transaction", *args, str(path)], check=True, env=env, timeout=3600)


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path) -> None:
    """Write a consistent backup of the database to PATH."""
    create_backup(path)
    click.echo(f"backup written to {path} ({path.stat().st_size} bytes)")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def restore_command(path: Path, yes: bool) -> None:
    """Replace the database with the backup at PATH, then audit the draw log."""
    if not yes:
        click.confirm("This replaces the whole database. Continue?", abort=True)
    restore_backup(path)

    report = run_audit()
    click.echo(f"restored from {path}; draw log: "
               + ("OK " + str(report.size) if report.ok else "FAIL " + report.problem))
    if not report.ok:
        raise SystemExit(1)
