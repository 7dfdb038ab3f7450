"""A throwaway PostgreSQL cluster on loopback for the test session (initdb + pg_ctl)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from tests.support.ports import free_port

if TYPE_CHECKING:
    import psycopg


class PostgresUnavailable(RuntimeError):
    pass


# base URL -> (bin folder, data folder, server log) of each running throwaway cluster
_CLUSTERS: dict[str, tuple[Path, Path, Path]] = {}
# base URL -> an open connection to its "postgres" database, for creating and dropping databases
_ADMIN: dict[str, psycopg.Connection] = {}


def _bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailable("PostgreSQL is not installed (apt-get install postgresql)")


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root; CI runs as root, so switch to the postgres account.
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError as exc:
            raise PostgresUnavailable("running as root and no 'postgres' user exists") from exc
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def throwaway_cluster(workdir: Path) -> Iterator[str]:
    """Start a cluster in ``workdir``; yield its base URL (no database name); stop it after."""
    bindir = _bindir()
    data = workdir / "pgdata"
    sock = workdir / "sock"
    data.mkdir(parents=True)
    sock.mkdir()
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        for p in (data, sock):
            shutil.chown(p, "postgres")
    port = free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run(_as_postgres([str(bindir / "initdb"), "-D", str(data), "-U", "postgres",
                                     "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]), **run)
        options = (f"-c listen_addresses=127.0.0.1 -p {port} -k {sock} -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=100")
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-o", options,
                                     "-l", str(workdir / "postgres.log"), "-w", "start"]), **run)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        raise PostgresUnavailable(f"could not start PostgreSQL: {detail.strip()[:500]}") from exc
    url = f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    _CLUSTERS[url] = (bindir, data, workdir / "postgres.log")
    try:
        yield url
    finally:
        _CLUSTERS.pop(url, None)
        _close_admin(url)
        subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate",
                                     "stop"]), capture_output=True, timeout=60, check=False)


def dsn(base_url: str, name: str = "postgres") -> str:
    """psycopg's address of database ``name`` on the server at SQLAlchemy ``base_url``."""
    return base_url.replace("postgresql+psycopg://", "postgresql://") + "/" + name


def _close_admin(base_url: str) -> None:
    conn = _ADMIN.pop(base_url, None)
    if conn is not None:
        conn.close()


def admin(base_url: str, *statements: str) -> None:
    """Run ``statements`` (CREATE, DROP DATABASE…) on the server at ``base_url`` through one
    connection kept open for the session: a test makes and drops its database through it
    instead of starting a server process for each (a connection costs the server about as much
    CPU as copying the schema).  One that a restart of the server cut is opened again."""
    import psycopg

    for attempt in (1, 2):
        conn = _ADMIN.get(base_url)
        if conn is None or conn.closed:
            conn = _ADMIN[base_url] = psycopg.connect(dsn(base_url), autocommit=True)
        try:
            for statement in statements:
                conn.execute(statement)
            return
        except psycopg.OperationalError:
            if attempt == 2 or not conn.broken:
                raise
            _close_admin(base_url)


# A copy of a database as a copy of its files.  PostgreSQL 15's default (WAL_LOG) reads every
# page of the template through shared buffers and writes it to the WAL: twice the server's CPU
# for the few megabytes of an empty schema, with fsync off (measured in docs/performance.md).
COPY = "STRATEGY FILE_COPY"


def create_database(base_url: str, name: str) -> str:
    admin(base_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}" {COPY}')
    return f"{base_url}/{name}"


def drop_database(base_url: str, name: str) -> None:
    """Drop database ``name``, closing what is still connected to it (a test's leftover
    sessions, or the processes it started)."""
    admin(base_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restart(base_url: str, mode: str = "fast") -> None:
    """``pg_ctl restart`` a cluster started by :func:`throwaway_cluster` (same port, same
    options): every open connection is cut, as when the database server restarts in production."""
    bindir, data, logfile = _CLUSTERS[base_url]
    subprocess.run(_as_postgres([str(bindir / "pg_ctl"), "-D", str(data), "-m", mode,
                                 "-l", str(logfile), "-w", "restart"]),
                   check=True, capture_output=True, text=True, timeout=120)
