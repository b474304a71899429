"""kiemtra's tables read (or mended) directly, in one snapshot, on SQLite or PostgreSQL.

The audit trail reads the events, the chain and the attachments as they are stored, not
through the event store: opening the store would create missing tables, and a removed
chain must be reported, not rebuilt. The two databases differ only in a few names, which
a `RawLog` carries, so that each query is written once:

| | SQLite (`sqlite3`) | PostgreSQL (`psycopg`) |
|---|---|---|
| events table | `stored_events` | `kiemtra_events` |
| position | `rowid` | `notification_id` (with gaps) |
| stream id | 32 hex digits | `uuid` |
| a payload holding bytes | `instr(state, ?) > 0` | `position(?::bytea IN state) > 0` |

Queries use `?` for parameters (turned into `%s` for psycopg). A read sees one snapshot:
SQLite's read transaction, PostgreSQL's REPEATABLE READ READ ONLY. Large results are
streamed (a server-side cursor on PostgreSQL), so checking a long log holds little in
memory. `write=True` (`audit rechain`) opens a transaction that takes the writers' lock
first: SQLite's BEGIN IMMEDIATE, PostgreSQL's EXCLUSIVE lock on the events table, the one
every writer takes.
"""

from __future__ import annotations

import itertools
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

from kiemtra.workflow.database import Database
from kiemtra.workflow.dbfile import CANNOT_OPEN, database_fault, read_uri
from kiemtra.workflow.errors import StorageUnavailable

SQLITE_EVENTS = "stored_events"  # the library's names for the events table
POSTGRES_EVENTS = "kiemtra_events"
STREAMED = 2000  # rows fetched at a time from a server-side cursor
PINNED = ("SET LOCAL search_path TO pg_catalog, public",
          "SET LOCAL standard_conforming_strings TO on")
"""The audit's reads, whatever the database's owner set for every session (ALTER DATABASE
… SET): a schema of theirs searched first would put their own `sha256()` or `=` in the
audit's queries; non-standard strings would change what a literal means. The tables are
in `public`, where eventsourcing makes them. (A repair, `write=True`, computes its hashes
in Python and makes tables, which must not go to `pg_catalog`: it is not pinned.)"""
SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")  # as pg_export_snapshot() names it


class RawLog(ABC):
    """One snapshot of kiemtra's tables (see the module's table for what differs)."""

    events: str
    position: str
    postgres: bool

    @abstractmethod
    def rows(self, sql: str, params: Sequence[Any] = (), batch: int = STREAMED,
             binary: bool = False) -> Iterator[tuple[Any, ...]]:
        """The rows, fetched `batch` at a time (on PostgreSQL: SQLite reads them as they
        are asked for); large values (an attachment's pieces) one at a time. `binary`:
        PostgreSQL sends them in its binary format (bytes as they are, not hex text)."""

    def shared_snapshot(self) -> str | None:
        """An id other readers can open this snapshot by (`raw_log(snapshot=…)`); None
        where the database has no such thing (SQLite)."""
        return None

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        return next(iter(self.rows(sql, params)), None)

    def value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the first row (None if there is none)."""
        row = self.one(sql, params)
        return None if row is None else row[0]

    @abstractmethod
    def has_table(self, name: str) -> bool:
        """Whether the table `name` exists."""

    @abstractmethod
    def contains(self, column: str) -> str:
        """SQL true where the bytes of `column` contain the parameter's bytes."""

    @abstractmethod
    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        """Run a statement (in the open transaction)."""

    @abstractmethod
    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run a statement for each row."""

    @abstractmethod
    def commit(self) -> None:
        """Keep what was written (`write=True` only)."""

    def stream(self, value: Any) -> str:
        """A stored stream id as the chain hashes it (SQLite's hex, PostgreSQL's UUID)."""
        return value if isinstance(value, str) else value.hex

    def stream_key(self, stream: UUID) -> Any:
        """A stream id as a query parameter (the column's own type)."""
        return stream if self.postgres else stream.hex


class SQLiteLog(RawLog):
    events, position, postgres = SQLITE_EVENTS, "rowid", False

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def rows(self, sql: str, params: Sequence[Any] = (), batch: int = STREAMED,
             binary: bool = False) -> Iterator[tuple[Any, ...]]:
        return iter(self.conn.execute(sql, tuple(params)))

    def has_table(self, name: str) -> bool:
        return self.one("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)) is not None

    def contains(self, column: str) -> str:
        return f"instr({column}, ?) > 0"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql, tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        self.conn.executemany(sql, rows)

    def commit(self) -> None:
        self.conn.execute("COMMIT")


class PostgresLog(RawLog):
    events, position, postgres = POSTGRES_EVENTS, "notification_id", True

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self._names = itertools.count()

    def rows(self, sql: str, params: Sequence[Any] = (), batch: int = STREAMED,
             binary: bool = False) -> Iterator[tuple[Any, ...]]:
        cursor = self.conn.cursor(name=f"kiemtra_raw_{next(self._names)}", binary=binary)
        cursor.itersize = batch
        cursor.execute(sql.replace("?", "%s"), tuple(params))
        try:
            yield from cursor
        finally:
            cursor.close()

    def one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        row = self.conn.execute(sql.replace("?", "%s"), tuple(params)).fetchone()
        return None if row is None else tuple(row)

    def shared_snapshot(self) -> str | None:
        return str(self.value("SELECT pg_export_snapshot()"))

    def has_table(self, name: str) -> bool:
        return bool(self.value("SELECT to_regclass(?) IS NOT NULL", (name,)))

    def contains(self, column: str) -> str:
        return f"position(?::bytea IN {column}) > 0"

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self.conn.execute(sql.replace("?", "%s"), tuple(params))

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(sql.replace("?", "%s"), [tuple(r) for r in rows])

    def commit(self) -> None:
        self.conn.commit()


Source = Database | Path | str
"""What to read: kiemtra's `Database`, or a SQLite file (a path, or the URI that opens it
read-only, as `Database.found().read_uri` gives)."""


@contextmanager
def raw_log(source: Source, *, write: bool = False, snapshot: str | None = None
            ) -> Iterator[RawLog]:
    """One snapshot of the tables at `source`, closed on leaving (rolled back unless
    committed). A server or file that cannot be opened is StorageUnavailable. `snapshot`
    (PostgreSQL): the one another reader exported (`RawLog.shared_snapshot`), to read
    exactly what it reads."""
    if isinstance(source, Database) and source.is_postgres:
        with _postgres(source, write, snapshot) as log:
            yield log
        return
    if isinstance(source, Database):
        uri = str(source.sqlite_path) if write else source.found().read_uri
    else:
        uri = source if isinstance(source, str) else read_uri(source)
    try:
        conn = (sqlite3.connect(uri, isolation_level=None, timeout=10) if write else
                sqlite3.connect(uri, uri=True, timeout=10))
        conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
    except sqlite3.Error as exc:
        database = source if isinstance(source, Database) else None
        raise (database_fault(exc, database) if database else None) or StorageUnavailable(
            db=str(source if database is None else database.label()),
            reason=CANNOT_OPEN) from None
    try:
        yield SQLiteLog(conn)
    finally:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.close()


@contextmanager
def _postgres(database: Database, write: bool, snapshot: str | None = None
              ) -> Iterator[RawLog]:
    import psycopg

    with connection(database, autocommit=False) as conn:
        if write:
            log = PostgresLog(conn)
            if log.has_table(POSTGRES_EVENTS):
                log.execute(f"LOCK TABLE {POSTGRES_EVENTS} IN EXCLUSIVE MODE")
        else:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            log = PostgresLog(conn)
            if snapshot is not None:  # the transaction's first statement, as it must be
                if not SNAPSHOT_ID.fullmatch(snapshot):  # SET takes no parameter
                    msg = f"not a snapshot id: {snapshot!r}"
                    raise ValueError(msg)
                log.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            for setting in PINNED:  # reads only: a repair's CREATE TABLE goes to `public`
                log.execute(setting)
        try:
            yield log
        finally:
            if not conn.closed:
                conn.rollback()


@contextmanager
def connection(database: Database, *, autocommit: bool = True) -> Iterator[Any]:
    """A psycopg connection of its own to `database`, as the event store would make it; a
    fault (no server, no such database, no permission) is StorageUnavailable."""
    import psycopg

    env = database.env()
    try:
        with psycopg.connect(dbname=env["POSTGRES_DBNAME"], host=env["POSTGRES_HOST"],
                             port=env["POSTGRES_PORT"], user=env["POSTGRES_USER"],
                             password=env["POSTGRES_PASSWORD"], autocommit=autocommit,
                             connect_timeout=10) as conn:
            yield conn
    except psycopg.Error as exc:  # no server, a refused login: said as every command says it
        raise database_fault(exc, database) or StorageUnavailable(
            db=database.label(), reason=str(exc).strip().rstrip(".")) from None
