"""The view tables of one database, in one write-locked transaction: what the projector
reads and writes, on SQLite through the standard `sqlite3` driver, on PostgreSQL through
SQLAlchemy.

A `Session` is one transaction holding the views' write lock (SQLite: BEGIN IMMEDIATE;
PostgreSQL: an advisory lock, and the tracking rows FOR UPDATE), so two processes
catching up at once take turns and the second finds the work done. It reads the log (the
events after a position, or one stream's), loads the rows a batch touches, writes rows
through a sink, and moves the tracking position — all committed together or not at all.
"""

from __future__ import annotations

import os
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from kiemtra.projections import schema
from kiemtra.projections.log import SQLITE_EVENTS, has_events
from kiemtra.projections.rows import Row, delivery_from_row

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine

    from kiemtra.projections.fold import Delivery, Event, Sink

STATUS, LAYOUT = "status", "schema"  # the tracking rows: the projector's position, the layout
POSTGRES_EVENTS = "kiemtra_events"  # its PostgreSQL module's: the application's name + _events
IN_CHUNK = 500  # ids per IN (…) list
CHUNK = 1000  # rows per executemany


class Session(Protocol):
    def marks(self) -> dict[str, int] | None:
        """The tracking rows (name → position), None when the views were never made."""

    def head(self) -> int:
        """The position of the last event recorded (0 when there is none)."""

    def events_after(self, position: int, limit: int | None = None) -> Iterable[Event]: ...

    def stream_events(self, oid: str, upto: int) -> list[Event]:
        """Every event of one stream up to position `upto`, in order."""

    def load_rows(self, ids: Iterable[str]) -> dict[str, Row]: ...

    def load_deliveries(self, ids: Iterable[str]) -> dict[str, Delivery]: ...

    def broken_streams(self) -> set[str]:
        """The streams with an event the views were folded without (`view_unreadable`)."""

    def sink(self, replace: bool) -> Sink:
        """Where rows go: replacing the rows of the same streams, or (a rebuild, into
        empty tables) only adding."""

    def supersede(self, rows: Sequence[tuple[str, int]]) -> None:
        """Delete the rows written for these (stream, version)s: a rebuild wrote them
        before the stream took another step."""

    def fold_log(self, head: int) -> int:
        """Events 1..head into the (empty) views; returns how many were read."""

    def reset(self) -> None:
        """Drop the views and make them again, empty, at position 0 of this layout."""

    def move(self, start: int, end: int) -> None:
        """Set the position from `start` to `end`; refuses if it is not at `start`."""

    def loading(self) -> Any:
        """A context for a rebuild: its drop of the old views and its load (a no-op, or
        settings that suit a bulk load)."""

    def without_indexes(self) -> Any:
        """A context for loading empty tables: their indexes dropped, made again after."""


def _ddl() -> dict[str, list[str]]:
    """The SQLite DDL of the tracking table and the views: each table's CREATE TABLE,
    then its CREATE INDEXes (SQLAlchemy compiles it; only a reset needs it)."""
    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from kiemtra.projections import tables

    dialect = sqlite.dialect()
    return {table.name: [str(CreateTable(table).compile(dialect=dialect)),
                         *(str(CreateIndex(i).compile(dialect=dialect)) for i in table.indexes)]
            for table in (tables.tracking, *tables.VIEWS)}


def _moved(start: int) -> RuntimeError:
    return RuntimeError(f"projection position moved under us (expected {start})")


# --- SQLite ---------------------------------------------------------------------------


class SqliteViews:
    """The views of a SQLite file (or of one open connection, for a view in memory)."""

    def __init__(self, path: str | None = None, *,
                 connection: sqlite3.Connection | None = None) -> None:
        self.path = path
        self.connection = connection

    @contextmanager
    def locked(self) -> Iterator[SqliteSession]:
        db = self.connection or sqlite3.connect(self.path or ":memory:", timeout=10,
                                                isolation_level=None)
        session = SqliteSession(db)
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield session
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
        finally:
            if self.connection is None:
                db.close()
            for done in session.after_close:
                done()

    def marks_and_head(self) -> tuple[dict[str, int], int]:
        """The tracking marks ({} if none) and the head, read without the lock: is there
        anything new?"""
        db = self.connection or sqlite3.connect(self.path or ":memory:", timeout=10)
        try:
            session = SqliteSession(db)
            return session.marks() or {}, session.head()
        finally:
            if self.connection is None:
                db.close()


class Columns:
    """A row dict as the tuple `executemany` takes, stored as SQLAlchemy stores it on
    SQLite: JSON as compact text, booleans 0/1, dates as ISO text (as the fold holds them).
    Plain `str` and `int` are also what the driver binds fastest."""

    def __init__(self, view: schema.View) -> None:
        self.names = view.names
        self.values = itemgetter(*view.names)
        self.json = view.of_kind(schema.JSON)
        self.flags = view.of_kind(schema.BOOL)

    def __call__(self, row: dict[str, Any]) -> tuple[Any, ...]:
        for name in self.json:
            row[name] = orjson.dumps(row[name]).decode()
        for name in self.flags:
            row[name] = 1 if row[name] else 0
        values: tuple[Any, ...] = self.values(row)
        return values


COLUMNS = {view.name: Columns(view) for view in schema.VIEWS}


class SqliteSink:
    """Buffered `executemany` into the view tables."""

    def __init__(self, db: sqlite3.Connection, replace: bool) -> None:
        self.db = db
        self.replace = replace
        verb = "INSERT OR REPLACE" if replace else "INSERT"
        self.sql = {name: f"INSERT INTO {name} ({', '.join(c.names)}) VALUES "
                          f"({', '.join('?' for _ in c.names)})".replace("INSERT", verb, 1)
                    for name, c in COLUMNS.items()}
        self.pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in COLUMNS}
        self.cleared: list[str] = []  # replacing: streams whose old deadlines go first

    def inspection(self, row: Row) -> None:
        if self.replace:
            self.cleared.append(row.originator_id)
        self._add(schema.INSPECTIONS.name, row.to_db())
        for item in row.deadlines():
            self._add(schema.DEADLINES.name, item)

    def campaign(self, row: dict[str, Any]) -> None:
        self._add(schema.CAMPAIGNS.name, row)

    def campaign_amended(self, row: dict[str, Any]) -> None:
        self.flush()
        names = [n for n in schema.CAMPAIGNS.names if n not in ("code_key", "position")]
        self.db.execute(f"UPDATE {schema.CAMPAIGNS.name} SET "
                        f"{', '.join(f'{n} = ?' for n in names)} WHERE code_key = ?",
                        [*(row[n] for n in names), row["code_key"]])

    def remove(self, originator_id: str) -> None:
        self.flush()
        for view in (schema.INSPECTIONS, schema.DEADLINES):
            self.db.execute(f"DELETE FROM {view.name} WHERE originator_id = ?",
                            (originator_id,))

    def delivery(self, row: dict[str, Any]) -> None:
        self._add(schema.DELIVERIES.name, row)

    def unreadable(self, row: dict[str, Any]) -> None:
        self._add(schema.UNREADABLE.name, row)

    def _add(self, table: str, row: dict[str, Any]) -> None:
        pending = self.pending[table]
        pending.append(COLUMNS[table](row))
        if len(pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.cleared:  # before any deadline of these streams is written again
            for i in range(0, len(self.cleared), IN_CHUNK):
                chunk = self.cleared[i:i + IN_CHUNK]
                self.db.execute(f"DELETE FROM {schema.DEADLINES.name} WHERE originator_id "
                                f"IN ({', '.join('?' for _ in chunk)})", chunk)
            self.cleared = []
        for table, pending in self.pending.items():
            if pending:
                self.db.executemany(self.sql[table], pending)
                self.pending[table] = []


class RowLoader(ABC):
    """What both sessions load the same way, given how each selects rows by stream."""

    @abstractmethod
    def _select(self, table: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        """The rows of `table` whose stream is one of `ids`."""

    def load_rows(self, ids: Iterable[str]) -> dict[str, Row]:
        """The inspection rows of these streams, their dates as ISO text (for the fold)."""
        return {m["originator_id"]: Row.from_db(m, dates=False)
                for m in self._select(schema.INSPECTIONS.name, ids)}

    def load_deliveries(self, ids: Iterable[str]) -> dict[str, Delivery]:
        return {m["originator_id"]: (m["version"], delivery_from_row(m, times=False))
                for m in self._select(schema.DELIVERIES.name, ids)}


class SqliteSession(RowLoader):
    def __init__(self, db: sqlite3.Connection) -> None:
        self.db = db
        self.after_close: list[Callable[[], None]] = []  # once the connection is closed

    def broken_streams(self) -> set[str]:
        if not self._has(schema.UNREADABLE.name):
            return set()
        return {str(oid) for (oid,) in self.db.execute(
            f"SELECT DISTINCT originator_id FROM {schema.UNREADABLE.name}")}

    def marks(self) -> dict[str, int] | None:
        if not self._has(schema.TRACKING.name):
            return None
        return {name: int(position) for name, position in
                self.db.execute(f"SELECT name, position FROM {schema.TRACKING.name}")}

    def _has(self, table: str) -> bool:
        """Whether the views' file (`main`) has this table."""
        return self.db.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND "
                               "name = ?", (table,)).fetchone() is not None

    def head(self) -> int:
        if not has_events(self.db):
            return 0
        return int(self.db.execute(f"SELECT MAX(rowid) FROM {SQLITE_EVENTS}").fetchone()[0]
                   or 0)

    def events_after(self, position: int, limit: int | None = None) -> Iterable[Event]:
        sql = (f"SELECT rowid, originator_id, originator_version, topic, state "
               f"FROM {SQLITE_EVENTS} WHERE rowid > ? ORDER BY rowid")
        if limit is None:  # a rebuild: up to the head it was asked for, streamed
            return self.db.execute(sql.replace("rowid > ?", "rowid > ? AND rowid <= ?"),
                                   (position, self.head()))
        return self.db.execute(sql + " LIMIT ?", (position, limit)).fetchall()

    def stream_events(self, oid: str, upto: int) -> list[Event]:
        return self.db.execute(
            f"SELECT rowid, originator_id, originator_version, topic, state FROM "
            f"{SQLITE_EVENTS} WHERE originator_id = ? AND rowid <= ? "
            "ORDER BY originator_version", (oid, upto)).fetchall()

    def _select(self, table: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        wanted = sorted(set(ids))
        self.db.row_factory = sqlite3.Row
        try:
            for i in range(0, len(wanted), IN_CHUNK):
                chunk = wanted[i:i + IN_CHUNK]
                yield from (dict(r) for r in self.db.execute(
                    f"SELECT * FROM {table} WHERE originator_id IN "
                    f"({', '.join('?' for _ in chunk)})", chunk))
        finally:
            self.db.row_factory = None

    def sink(self, replace: bool) -> SqliteSink:
        return SqliteSink(self.db, replace)

    def supersede(self, rows: Sequence[tuple[str, int]]) -> None:
        if not rows:
            return
        self.db.execute("CREATE TEMP TABLE superseded (oid TEXT, version INTEGER)")
        self.db.executemany("INSERT INTO superseded VALUES (?, ?)", rows)
        for table in (schema.INSPECTIONS.name, schema.DELIVERIES.name):
            self.db.execute(f"DELETE FROM {table} WHERE (originator_id, version) IN "
                            "(SELECT oid, version FROM superseded)")
        self.db.execute("DROP TABLE superseded")

    def reset(self) -> None:
        for name, statements in _ddl().items():
            self.db.execute(f"DROP TABLE IF EXISTS main.{name}")  # never an attached log's
            for statement in statements:
                self.db.execute(statement)
        self.db.executemany(f"INSERT INTO {schema.TRACKING.name} VALUES (?, ?)",
                            [(STATUS, 0), (LAYOUT, schema.SCHEMA_VERSION)])

    def fold_log(self, head: int) -> int:
        """Events 1..head into the (empty) views; returns how many were read. A long log in
        a file is folded on both cores (`parts.py`)."""
        import kiemtra.projections.parts as parts

        path = next(row[2] for row in self.db.execute("PRAGMA database_list")
                    if row[1] == "main")
        sink = self.sink(replace=False)
        if head < parts.PARALLEL_FROM or not path or (os.cpu_count() or 1) < 2:
            count, superseded = parts.fold_share(self.db, head, sink, parts.EVERY,
                                                 campaigns=True)
            self.supersede(superseded)
            return int(count)
        tables = [statements[0] for statements in _ddl().values()][1:]  # no tracking
        count, superseded = parts.fold_on_two_cores(self.db, path, head, sink, tables,
                                                    self.after_close)
        self.supersede(superseded)
        return int(count)

    def move(self, start: int, end: int) -> None:
        moved = self.db.execute(f"UPDATE {schema.TRACKING.name} SET position = ? "
                                "WHERE name = ? AND position = ?", (end, STATUS, start))
        if moved.rowcount != 1:
            raise _moved(start)

    @contextmanager
    def loading(self) -> Iterator[None]:
        """For a rebuild: a larger page cache (rows arrive in log order, so the keys of
        the few rows written after the indexes are made again land all over them), and no
        secure delete — Debian's SQLite has it on, and it would zero every page of the old
        views through the WAL and again into the file, to hide data derived from the
        events kept beside it. Both restored after."""
        before = [self.db.execute(f"PRAGMA {name}").fetchone()[0]
                  for name in ("cache_size", "secure_delete")]
        self.db.execute("PRAGMA cache_size = -20000")
        self.db.execute("PRAGMA secure_delete = 0")
        try:
            yield
        finally:
            self.db.execute(f"PRAGMA cache_size = {int(before[0])}")
            self.db.execute(f"PRAGMA secure_delete = {int(before[1])}")

    @contextmanager
    def without_indexes(self) -> Iterator[None]:
        """The (empty) tables' indexes, unique keys included, dropped for the load and made
        again after: one sort each instead of a B-tree insert per row. A failed rebuild
        rolls the drop back with everything else."""
        views = [view.name for view in schema.VIEWS]
        marks = ", ".join("?" for _ in views)
        indexes = self.db.execute(f"SELECT name, sql FROM main.sqlite_master WHERE type = "
                                  f"'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",
                                  views).fetchall()
        for name, _ in indexes:
            self.db.execute(f'DROP INDEX main."{name}"')
        yield
        for _, sql in indexes:
            self.db.execute(sql)


# --- PostgreSQL (or any SQLAlchemy engine) ----------------------------------------------


class EngineViews:
    """The views of a database reached through a SQLAlchemy engine (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @contextmanager
    def locked(self) -> Iterator[EngineSession]:
        """The advisory lock VIEWS_LOCK first: on an empty database there are no tracking
        rows to lock yet, and two processes making the view tables at once would collide
        in PostgreSQL's catalogue. The rows FOR UPDATE too, for a kiemtra from before."""
        from sqlalchemy import inspect, text

        from kiemtra.workflow import VIEWS_LOCK, advisory_lock

        with self.engine.connect() as conn, conn.begin():
            advisory_lock(conn, VIEWS_LOCK)
            if inspect(conn).has_table(schema.TRACKING.name):
                conn.execute(text(f"SELECT position FROM {schema.TRACKING.name} FOR UPDATE"))
            yield EngineSession(conn)

    def marks_and_head(self) -> tuple[dict[str, int], int]:
        with self.engine.connect() as conn:
            session = EngineSession(conn)
            found = session.marks() or {}, session.head()
            conn.rollback()
        return found


class EngineSink:
    """Rows into the view tables through SQLAlchemy, values converted to the column types.

    Rows are queued by stream, so a stream written twice (a rebuild's stream that takes
    a step after it finished) keeps its last row. Catching up (`replace`), each batch's
    streams are deleted and inserted again; rebuilding, rows are inserted CHUNK at a time,
    and a stream already written is deleted first (the unique indexes stay in place)."""

    def __init__(self, conn: Connection, replace: bool) -> None:
        self.conn = conn
        self.replace = replace
        self.inspections: dict[str, tuple[dict[str, Any], list[dict[str, Any]]]] = {}
        self.campaigns: dict[str, dict[str, Any]] = {}
        self.deliveries: dict[str, dict[str, Any]] = {}
        self.written: set[str] = set()  # streams flushed by this (rebuilding) sink
        self.skipped: list[dict[str, Any]] = []  # events that no longer decode

    def inspection(self, row: Row) -> None:
        self.inspections[row.originator_id] = (
            _typed(schema.INSPECTIONS, row.to_db()),
            [_typed(schema.DEADLINES, d) for d in row.deadlines()])
        if not self.replace and len(self.inspections) >= CHUNK:
            self.flush()

    def campaign(self, row: dict[str, Any]) -> None:
        self.campaigns[row["code_key"]] = _typed(schema.CAMPAIGNS, row)

    def campaign_amended(self, row: dict[str, Any]) -> None:
        from sqlalchemy import update

        from kiemtra.projections import tables

        self.flush()
        values = {k: v for k, v in _typed(schema.CAMPAIGNS, dict(row)).items()
                  if k not in ("code_key", "position")}
        self.conn.execute(update(tables.campaigns).where(
            tables.campaigns.c.code_key == row["code_key"]).values(**values))

    def remove(self, originator_id: str) -> None:
        from sqlalchemy import delete

        from kiemtra.projections import tables

        self.flush()
        self.inspections.pop(originator_id, None)
        for table in (tables.inspections, tables.deadlines):
            self.conn.execute(delete(table).where(table.c.originator_id == originator_id))

    def delivery(self, row: dict[str, Any]) -> None:
        self.deliveries[row["originator_id"]] = _typed(schema.DELIVERIES, row)

    def unreadable(self, row: dict[str, Any]) -> None:
        self.skipped.append(row)

    def flush(self) -> None:
        from sqlalchemy import delete, insert

        from kiemtra.projections import tables

        streams = set(self.inspections) | set(self.deliveries)
        gone = streams if self.replace else streams & self.written
        for table, ids in ((tables.campaigns, sorted(self.campaigns) if self.replace else []),
                           (tables.inspections, sorted(gone)), (tables.deadlines, sorted(gone)),
                           (tables.deliveries, sorted(gone))):
            key = table.c.code_key if table is tables.campaigns else table.c.originator_id
            for k in range(0, len(ids), IN_CHUNK):
                self.conn.execute(delete(table).where(key.in_(ids[k:k + IN_CHUNK])))
        rows = {tables.campaigns: list(self.campaigns.values()),
                tables.inspections: [r for r, _ in self.inspections.values()],
                tables.deadlines: [d for _, ds in self.inspections.values() for d in ds],
                tables.deliveries: list(self.deliveries.values()),
                tables.unreadable: self.skipped}
        for table, values in rows.items():
            if values:
                self.conn.execute(insert(table), values)
        if not self.replace:
            self.written |= streams
        self.inspections, self.campaigns, self.deliveries = {}, {}, {}
        self.skipped = []


def _typed(view: schema.View, row: dict[str, Any]) -> dict[str, Any]:
    """ISO text back to dates for SQLAlchemy's Date columns."""
    for name in view.of_kind(schema.DATE):
        value = row[name]
        if isinstance(value, str):
            row[name] = date.fromisoformat(value)
    return row


class EngineSession(RowLoader):
    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._tables: set[str] = set()  # found in this session (one catch-up, one read)

    def broken_streams(self) -> set[str]:
        from sqlalchemy import text

        if not self._has(schema.UNREADABLE.name):
            return set()
        return {str(oid) for (oid,) in self.conn.execute(text(
            f"SELECT DISTINCT originator_id FROM {schema.UNREADABLE.name}"))}

    def _has(self, table: str) -> bool:
        """Whether `table` exists; a table found is remembered for the session (one
        transaction: a catch-up asks of the same three tables about eight times, each a
        catalogue query), a table not found is asked again (the session may make it)."""
        from sqlalchemy import inspect

        if table not in self._tables and inspect(self.conn).has_table(table):
            self._tables.add(table)
        return table in self._tables

    def marks(self) -> dict[str, int] | None:
        from sqlalchemy import text

        if not self._has(schema.TRACKING.name):
            return None
        return {name: int(position) for name, position in self.conn.execute(
            text(f"SELECT name, position FROM {schema.TRACKING.name}"))}

    def head(self) -> int:
        from sqlalchemy import text

        if not self._has(POSTGRES_EVENTS):
            return 0
        found = self.conn.execute(text(
            f"SELECT MAX(notification_id) FROM {POSTGRES_EVENTS}")).scalar()
        return int(found or 0)

    def _events(self, where: str, params: dict[str, Any], tail: str) -> list[Event]:
        from sqlalchemy import text

        rows = self.conn.execute(text(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {POSTGRES_EVENTS} WHERE {where} {tail}"), params)
        return [(int(r[0]), r[1].hex, int(r[2]), r[3], bytes(r[4])) for r in rows]

    def events_after(self, position: int, limit: int | None = None) -> Iterable[Event]:
        if limit is not None:
            return self._events("notification_id > :after", {"after": position},
                                f"ORDER BY notification_id LIMIT {int(limit)}")
        return self.events_until(position, self.head())

    def events_until(self, position: int, head: int) -> Iterator[Event]:
        """The events after `position` up to `head`, in batches (the driver holds each):
        a rebuild reads to the head it started from, whatever is recorded meanwhile."""
        while position < head:
            batch = self._events("notification_id > :after AND notification_id <= :head",
                                 {"after": position, "head": head},
                                 "ORDER BY notification_id LIMIT 5000")
            if not batch:
                return
            yield from batch
            position = batch[-1][0]

    def stream_events(self, oid: str, upto: int) -> list[Event]:
        from uuid import UUID

        return self._events("originator_id = :oid AND notification_id <= :upto",
                            {"oid": UUID(oid), "upto": upto}, "ORDER BY originator_version")

    def _select(self, table: str, ids: Iterable[str]) -> Iterator[dict[str, Any]]:
        from sqlalchemy import select

        from kiemtra.projections import tables

        wanted = sorted(set(ids))
        t = tables.BY_NAME[table]
        for i in range(0, len(wanted), IN_CHUNK):
            query = select(t).where(t.c.originator_id.in_(wanted[i:i + IN_CHUNK]))
            yield from (dict(r._mapping) for r in self.conn.execute(query))

    def sink(self, replace: bool) -> EngineSink:
        return EngineSink(self.conn, replace)

    def supersede(self, rows: Sequence[tuple[str, int]]) -> None:
        from sqlalchemy import and_, delete

        from kiemtra.projections import tables

        for oid, version in rows:
            for table in (tables.inspections, tables.deliveries):
                self.conn.execute(delete(table).where(and_(table.c.originator_id == oid,
                                                           table.c.version == version)))

    def reset(self) -> None:
        from sqlalchemy import insert

        from kiemtra.projections import tables

        everything = [*tables.VIEWS, tables.tracking]
        tables.metadata.drop_all(self.conn, tables=everything, checkfirst=True)
        tables.metadata.create_all(self.conn, tables=everything, checkfirst=True)
        self.conn.execute(insert(tables.tracking), [
            {"name": STATUS, "position": 0}, {"name": LAYOUT, "position": schema.SCHEMA_VERSION}])

    def move(self, start: int, end: int) -> None:
        from sqlalchemy import text

        moved = self.conn.execute(text(
            f"UPDATE {schema.TRACKING.name} SET position = :end "
            "WHERE name = :name AND position = :start"),
            {"end": end, "name": STATUS, "start": start}).rowcount
        if moved != 1:
            raise _moved(start)

    @contextmanager
    def loading(self) -> Iterator[None]:
        yield

    @contextmanager
    def without_indexes(self) -> Iterator[None]:
        yield

    def fold_log(self, head: int) -> int:
        """Events 1..head into the (empty) views, in one pass; returns how many were read."""
        from kiemtra.projections.fold import Fold

        fold = Fold(self.sink(replace=False), evict=True, reread=self.stream_events)
        count = fold.feed(self.events_until(0, head))
        fold.close()
        self.supersede(fold.superseded)
        return count
