"""Database: one SQLAlchemy instance, a constraint naming convention, an aware-UTC datetime type."""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.sql.dml import UpdateBase

# Stable constraint names, so Alembic autogenerate and hand-written migrations agree on every
# backend (the Indico convention).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """An aware UTC datetime.  Naive values are refused: a business time always says its zone.

    SQLite has no time zones, so values are stored as naive UTC and made aware on the way out;
    PostgreSQL stores ``timestamptz``.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    """Foreign keys on and write-ahead logging for SQLite, the embedded default."""
    module = type(dbapi_connection).__module__
    if not module.startswith("sqlite3"):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


# Whether the transaction open on a connection has written anything: set by every statement
# that is not a read (_only_reads: a flush, a bulk update or delete, a savepoint, lock_row's
# write on SQLite) and by any statement that failed; cleared when a transaction begins.
_WROTE = "market.db.wrote"
_CONNECTIONS = "market.db.connections"  # a session's connections in its open transaction


@event.listens_for(Engine, "begin")
def _transaction_begun(conn: Any) -> None:
    conn.info[_WROTE] = False


def _only_reads(statement: str, context: Any) -> bool:
    """Whether a statement can only read: a plain SELECT, or a compiled SELECT that starts
    with common table expressions (the directory's region tree) none of which is an INSERT,
    UPDATE or DELETE (PostgreSQL runs those inside a WITH).  Text starting with WITH is not
    parsed: it counts as a write, which costs a needless rollback and nothing else."""
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return True
    compiled = getattr(context, "compiled", None)
    return (head.startswith("WITH") and compiled is not None
            and isinstance(compiled.statement, sa.Select)
            and not any(isinstance(cte.element, UpdateBase) for cte in compiled.ctes or ()))


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(conn: Any, _cursor: Any, statement: str, _parameters: Any, context: Any,
                _executemany: bool) -> None:
    if not _only_reads(statement, context):
        conn.info[_WROTE] = True


@event.listens_for(Engine, "handle_error")
def _note_failure(context: Any) -> None:
    if context.connection is not None:
        context.connection.info[_WROTE] = True


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, _transaction: Any, conn: Any) -> None:
    session.info.setdefault(_CONNECTIONS, set()).add(conn)


@event.listens_for(Session, "after_transaction_end")
def _forget_connections(session: Session, transaction: Any) -> None:
    if transaction.parent is None:
        session.info.pop(_CONNECTIONS, None)


def discard_failed_work() -> None:
    """Roll back what a failed request did, keeping a transaction that only read.

    A rollback expires every object the session loaded, so the error page would load the
    user, their memberships and organisations again.  It is needed when the session holds
    unflushed changes, or a flush failed, or the transaction sent anything but a read (the
    flags above), and then it is done; otherwise the transaction holds nothing to undo and
    the end of the request closes it, so nothing of the failed request can be committed by a
    later step either way.
    """
    session = db.session()
    if (session.new or session.dirty or session.deleted or not session.is_active
            or any(conn.invalidated or conn.closed or conn.info.get(_WROTE, True)
                   for conn in session.info.get(_CONNECTIONS, ()))):
        session.rollback()


def lock_row(model: Any, pk: Any) -> Any:
    """Lock one row for the rest of the transaction and return it, fresh.

    PostgreSQL: ``SELECT … FOR UPDATE``.  SQLite: the first write of a transaction takes the
    database's write lock, so we write the row to itself first (one of its columns, see
    :func:`lock_column`).  Either way a second request doing the same waits here, then sees
    the first one's committed result.
    """
    session = db.session
    session.flush()
    table = model.__table__
    pk_col = list(table.primary_key.columns)[0]
    if session.get_bind().dialect.name == "sqlite":
        column = lock_column(table)
        session.execute(sa.update(table).where(pk_col == pk).values({column.name: column}))
        stmt = sa.select(model).where(pk_col == pk)
    else:
        stmt = sa.select(model).where(pk_col == pk).with_for_update()
    return session.scalars(stmt.execution_options(populate_existing=True)).one_or_none()


@functools.cache
def lock_column(table: sa.Table) -> sa.Column[Any]:
    """The column :func:`lock_row` writes to itself on SQLite: one that no key, foreign key
    or index holds, so that the write costs a row and nothing else.  Writing the primary key
    to itself, SQLite takes it for a change of a referenced key and looks in every table
    that refers to this one for rows that referred to the old value, scanning those whose
    reference has no index (a clock's lock read all of ``approval_case``: a cost that grew
    with the number of cases).  The primary key if every column is held."""
    held = {c.name for c in table.primary_key.columns}
    for index in table.indexes:
        held.update(c.name for c in index.columns)
    for constraint in table.constraints:
        if isinstance(constraint, sa.UniqueConstraint | sa.ForeignKeyConstraint):
            held.update(c.name for c in constraint.columns)
    for other in table.metadata.tables.values():
        for fk in other.foreign_keys:
            if fk.column.table is table:
                held.add(fk.column.name)
    free = [c for c in table.columns if c.name not in held and c.computed is None]
    return free[0] if free else list(table.primary_key.columns)[0]
