"""The event store on PostgreSQL: the hash chain and the attachments written in the events'
transaction, as `store.SQLiteRecorder` writes them on SQLite — the same tables, the same
layout: `event_chain(position, hash)`, `event_chain_origin`, `attachments(sha256, size,
content)` and `attachment_chunks(sha256, seq, data)` in pieces of `files.CHUNK`.

A save is written by `insert_events`, which replaces the library's (a psycopg pipeline of
8 round trips once the chain was extended in its hooks) with one call of kiemtra's
database function `kiemtra_append_v2` (`postgres_append`): on the pool's autocommit
connection that one statement is the transaction. It takes the library's lock — `LOCK
TABLE kiemtra_events IN EXCLUSIVE MODE`, with the library's `lock_timeout` and `NOTIFY` —
then inserts the events, which draws their notification ids from the table's sequence,
then, still holding the lock, reads both chains' heads and inserts one link per new event
in each, and commits, which releases the lock. A save with attachments stores the files
first, in a transaction of its own that the same call then ends.

EXCLUSIVE conflicts with itself (and with ROW EXCLUSIVE, which every INSERT takes) but not
with plain SELECTs: writers take turns from before their ids are drawn until they have
committed. So a writer's ids are greater than every committed id, the head it reads is the
link of the event just before its own, and the chain has one link for every event, in
notification-id order, however many processes write at once (the tests check that a write
waits for that lock). The library's own database function (POSTGRES_ENABLE_DB_FUNCTIONS)
takes no lock and makes no link: it is refused.

Notification ids have gaps: a sequence is not rolled back with the transaction that drew
from it (a write that lost a race, exit 3, leaves its ids unused; a server crash skips up
to 32). A position is an id, gaps and all, in the log, the chain and the views alike;
anything that needs how many events there are counts them (`count_events`).

Making the tables takes the advisory lock `schema_lock.SCHEMA_LOCK`, so processes starting
together on an empty database take turns instead of failing in the catalogue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.persistence import (
    InterfaceError,
    OperationalError,
    PersistenceError,
    ProgrammingError,
    StoredEvent,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from kiemtra.domain.chain import GENESIS, event_link
from kiemtra.workflow.attachments import ATTACHMENTS_TABLE, CHUNKS_TABLE
from kiemtra.workflow.errors import (
    ChainBroken,
    EventsRemoved,
    InvalidSetting,
    WriteFunctionMissing,
)
from kiemtra.workflow.files import AttachmentBlob
from kiemtra.workflow.origin_chain import (
    ORIGIN_CHAIN,
    ORIGIN_STARTED,
    POSTGRES_DDL,
    STREAM_ORIGIN,
    OriginTables,
    chain_existing,
)
from kiemtra.workflow.postgres_append import (
    APPEND_FUNCTION,
    SIGNATURE,
    NeedsReadCommitted,
    append,
    call_statement,
    create_statement,
)
from kiemtra.workflow.schema_lock import ADVISORY_LOCK_SQL, SCHEMA_LOCK

EVENTS_TABLE = "kiemtra_events"  # the library's name for it: the application's name + _events
CHAIN_TABLE = "event_chain"  # as store.CHAIN_TABLE, store.CHAIN_ORIGIN_TABLE
CHAIN_ORIGIN_TABLE = "event_chain_origin"
INSUFFICIENT_PRIVILEGE = "42501"
BATCH = 5000  # events read at a time when a database from before the chain is linked


class PostgresRecorder(PostgresApplicationRecorder):
    """The library's PostgreSQL recorder, with kiemtra's chain and attachments tables."""

    def __init__(self, datastore: PostgresDatastore, *,
                 events_table_name: str = "stored_events") -> None:
        if datastore.enable_db_functions:  # the library's insert without lock or hooks
            raise InvalidSetting(name="POSTGRES_ENABLE_DB_FUNCTIONS", detail=(
                "kiemtra không dùng hàm ghi của thư viện, vì nó ghi sự kiện mà không nối "
                "chuỗi băm", "kiemtra does not use the library's insert function, which "
                "writes events without their links in the hash chain"))
        if datastore.originator_id_type != "uuid":
            raise InvalidSetting(name="ORIGINATOR_ID_TYPE", detail=(
                "mã dòng sự kiện của kiemtra là UUID", "kiemtra's stream ids are UUIDs"))
        super().__init__(datastore, events_table_name=events_table_name)
        self.sql_create_statements.extend([
            SQL("CREATE TABLE IF NOT EXISTS {} (sha256 text PRIMARY KEY, size bigint NOT NULL, "
                "content bytea NOT NULL)").format(self._name(ATTACHMENTS_TABLE)),
            # the bytes in pieces of files.CHUNK, `content` left empty (as on SQLite)
            SQL("CREATE TABLE IF NOT EXISTS {} (sha256 text NOT NULL, seq integer NOT NULL, "
                "data bytea NOT NULL, PRIMARY KEY (sha256, seq))").format(
                self._name(CHUNKS_TABLE)),
            SQL("CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, "
                "hash bytea NOT NULL)").format(self._name(CHAIN_TABLE)),
            SQL("CREATE TABLE IF NOT EXISTS {} (chained_through bigint NOT NULL, "
                "chained_at text NOT NULL)").format(self._name(CHAIN_ORIGIN_TABLE)),
            *(SQL(ddl).format() for ddl in POSTGRES_DDL),  # type: ignore[arg-type]
        ])
        self._append_call = call_statement(self.datastore.schema)
        self._function_missing = False  # and this user may not make it (`_ensure_function`)
        self._one_statement = True  # the server's default isolation is READ COMMITTED

    def _name(self, table: str) -> Composed:
        return SQL("{}.{}").format(Identifier(self.datastore.schema), Identifier(table))

    # --- the tables ------------------------------------------------------------------

    def create_table(self) -> None:
        """Make the tables that are missing, under the schema lock (and do nothing, taking
        no lock at all, when every one is there: the usual case).

        A database that kiemtra used before it kept a chain on PostgreSQL (neither the chain
        nor the attachments table exists, events may) gets its chain computed over the
        events it holds, and a row in `event_chain_origin` says through which position and
        when: a chain computed today vouches for the log only as it is today. A database
        whose attachments table is there but whose chain is not had its chain removed: it
        is made again empty, not computed — that would vouch for events nobody checked —
        and every write is refused (`_extend_chain`) until the chain is restored."""
        tables_missing, function_missing = self._look()
        if not tables_missing:
            if function_missing:
                self._ensure_function()
            self.datastore.register_type_adapters()
            return
        with self.datastore.transaction(commit=True) as curs:
            curs.execute(ADVISORY_LOCK_SQL, (SCHEMA_LOCK,))
            before_chain = not self._exist(curs, [CHAIN_TABLE, ATTACHMENTS_TABLE], any_of=True)
            before_origins = not self._exist(curs, [STREAM_ORIGIN, ORIGIN_CHAIN], any_of=True)
            for statement in self.sql_create_statements:
                if "CREATE TYPE" in statement.as_string():  # it has no IF NOT EXISTS
                    self._create_type(curs, statement)
            self._create_table(curs)
            self._create_function(curs)
            if before_chain:
                self._chain_existing(curs)
            # a database from before the chains per commune: one from before the whole
            # log's chain too, since both came in one release; an origin table missing
            # beside the whole log's chain was removed, and is made again empty, not
            # computed (the writes to its communes' streams are refused)
            if before_origins and before_chain:
                curs.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
                    self._name(self.events_table_name)))
                select = SQL("SELECT notification_id, originator_id, originator_version, "
                             "topic, state FROM {} WHERE notification_id > %s ORDER BY "
                             "notification_id LIMIT %s").format(
                    self._name(self.events_table_name))

                def after(position: int) -> list[tuple[int, Any, int, str, bytes]]:
                    curs.execute(select, (position, BATCH))
                    return [(int(r["notification_id"]), r["originator_id"],
                             int(r["originator_version"]), r["topic"], bytes(r["state"]))
                            for r in curs.fetchall()]

                chain_existing(self._origin_tables(curs), after)
        self.datastore.register_type_adapters()

    def _tables(self) -> list[str]:
        return [self.events_table_name, self.notification_id_index_name, CHAIN_TABLE,
                CHAIN_ORIGIN_TABLE, ATTACHMENTS_TABLE, CHUNKS_TABLE, STREAM_ORIGIN,
                ORIGIN_CHAIN, ORIGIN_STARTED]

    @staticmethod
    def _origin_tables(curs: Cursor[DictRow]) -> OriginTables:
        def run(sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
            # a cursor of its own, beside the one that sends the inserts
            with curs.connection.cursor() as reader:
                reader.execute(sql, tuple(params))  # type: ignore[arg-type]
                return [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                        for row in reader.fetchall()]

        def many(sql: str, rows: list[tuple[Any, ...]]) -> None:
            curs.executemany(sql, rows)  # type: ignore[arg-type]

        return OriginTables(run, many, postgres=True)

    def _look(self) -> tuple[bool, bool]:
        """(a table or the library's type is missing, the write function is), one look."""
        with self.datastore.transaction(commit=False) as curs:
            if not self._exist(curs, self._tables()):
                return True, True
            function_missing = not self._has_function(curs)
            curs.execute("SELECT to_regtype(format('%%I.%%I', %s::text, %s::text)) AS t",
                         (self.datastore.schema, self.stored_event_type_name))
            row = curs.fetchone()
            return row is None or row["t"] is None, function_missing

    def _ensure_function(self) -> None:
        """Make the write function in a database whose tables an earlier kiemtra made
        (0.2.0 wrote through the library's insert), under the schema lock. A user who
        may not create it (a role granted reads and writes only) still reads; its writes
        are refused in plain words (`require_write_function`) until the owner has run
        `kiemtra db init` (or any command that opens the event store)."""
        try:
            with self.datastore.transaction(commit=True) as curs:
                curs.execute(ADVISORY_LOCK_SQL, (SCHEMA_LOCK,))
                if not self._has_function(curs):
                    self._create_function(curs)
        except PersistenceError as exc:
            if getattr(exc.__cause__, "sqlstate", None) != INSUFFICIENT_PRIVILEGE:
                raise
            self._function_missing = True

    def _create_function(self, curs: Cursor[DictRow]) -> None:
        curs.execute("SELECT pg_get_serial_sequence(%s, 'notification_id') AS s",
                     (self._name(self.events_table_name).as_string(curs),))
        found = curs.fetchone()
        if found is None or not found["s"]:
            msg = f"no id sequence on {self.events_table_name}"
            raise ProgrammingError(msg)
        curs.execute(create_statement(self.datastore.schema, self.events_table_name,
                                      str(found["s"]), CHAIN_TABLE, STREAM_ORIGIN,
                                      ORIGIN_CHAIN))

    def require_write_function(self) -> None:
        """WriteFunctionMissing unless the write function is there (made since by the
        owner, perhaps: asked again then)."""
        if self._function_missing:
            if not self._has_function():
                raise WriteFunctionMissing(function=APPEND_FUNCTION)
            self._function_missing = False

    def _has_function(self, curs: Cursor[DictRow] | None = None) -> bool:
        if curs is None:
            with self.datastore.transaction(commit=False) as reader:
                return self._has_function(reader)
        curs.execute("SELECT to_regprocedure(format('%%I.%%I(%%s)', %s::text, %s::text, "
                     "%s::text)) AS f", (self.datastore.schema, APPEND_FUNCTION, SIGNATURE))
        found = curs.fetchone()
        return found is not None and found["f"] is not None

    def _exist(self, curs: Cursor[DictRow], names: Sequence[str], *, any_of: bool = False
               ) -> bool:
        """Whether every one of the relations `names` exists (or, `any_of`, one of them)."""
        curs.execute("SELECT count(*) AS n FROM unnest(%s::text[]) AS t "
                     "WHERE to_regclass(format('%%I.%%I', %s::text, t)) IS NOT NULL",
                     (list(names), self.datastore.schema))
        row = curs.fetchone()
        found = int(row["n"]) if row else 0
        return found > 0 if any_of else found == len(names)

    @staticmethod
    def _create_type(curs: Cursor[DictRow], statement: Composed) -> None:
        try:
            with curs.connection.transaction():  # a savepoint: the error ends only it
                curs.execute(statement, prepare=False)
        except psycopg.errors.DuplicateObject:
            pass

    def _chain_existing(self, curs: Cursor[DictRow]) -> None:
        """Link the events already stored, writers held off by the library's own lock."""
        curs.execute(SQL("LOCK TABLE {} IN EXCLUSIVE MODE").format(
            self._name(self.events_table_name)))
        select = SQL("SELECT notification_id, originator_id, originator_version, topic, state "
                     "FROM {} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
                     ).format(self._name(self.events_table_name))
        through = 0
        while True:
            curs.execute(select, (through, BATCH))
            rows = curs.fetchall()
            if not rows:
                break
            self._extend_chain(curs, [(r["notification_id"], r["originator_id"],
                                       r["originator_version"], r["topic"], r["state"])
                                      for r in rows])
            through = int(rows[-1]["notification_id"])
        if through:
            curs.execute(SQL("INSERT INTO {} VALUES (%s, %s)").format(
                self._name(CHAIN_ORIGIN_TABLE)),
                (through, datetime.now(UTC).isoformat(timespec="seconds")))

    # --- the write of a save --------------------------------------------------------

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)  # as the library
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any
                      ) -> Sequence[int] | None:
        """The events, their links in both chains and the attachments, in one transaction
        (`postgres_append`): without attachments one statement, which commits as it
        returns; with them, the files first — before the lock is taken, so storing a
        50 MB file does not hold up the other writers — then that statement."""
        if not stored_events:
            return []
        self.require_write_function()
        attachments = kwargs.get("attachments") or ()
        origins = kwargs.get("origins") or {}
        lock_timeout = self.datastore.lock_timeout
        with self.datastore.get_connection() as conn:
            if self._one_statement and not attachments:
                try:
                    with conn.cursor() as curs:
                        return append(curs, self._append_call, stored_events, origins,
                                      lock_timeout)
                except NeedsReadCommitted:  # nothing was written: the function checks first
                    self._one_statement = False
            with _read_committed(conn), conn.cursor() as curs:
                # in one order, so two writers storing the same two new files cannot deadlock
                for blob in sorted(attachments, key=lambda b: b.sha256):
                    self._store_attachment(curs, blob)
                return append(curs, self._append_call, stored_events, origins, lock_timeout)

    def _store_attachment(self, curs: Cursor[DictRow], blob: AttachmentBlob) -> None:
        """A file not stored yet, a piece at a time (its row first: the same file named
        twice, or stored before — or being stored by another writer, whose commit this one
        waits for — is stored once)."""
        curs.execute(SQL("INSERT INTO {} (sha256, size, content) VALUES (%s, %s, %s) "
                         "ON CONFLICT (sha256) DO NOTHING RETURNING sha256").format(
                         self._name(ATTACHMENTS_TABLE)), (blob.sha256, blob.size, b""))
        if curs.fetchone() is None:
            return
        insert = SQL("INSERT INTO {} (sha256, seq, data) VALUES (%s, %s, %s)").format(
            self._name(CHUNKS_TABLE))
        for seq, piece in enumerate(blob.chunks()):  # one piece in memory at a time
            curs.execute(insert, (blob.sha256, seq, piece))

    def _extend_chain(self, curs: Cursor[DictRow], events: Sequence[tuple[Any, ...]]) -> None:
        """Link (position, stream, version, topic, payload) rows after the chain's head
        (the caller holds the events table's EXCLUSIVE lock).

        Only after the event just before them, as on SQLite: a chain removed, emptied or
        cut short while the events stay would otherwise go on from the wrong place, and
        its next link would vouch for events nobody checked. Such a write is refused
        (ChainBroken, naming the first event without its link)."""
        if not events:
            return
        curs.execute(SQL("SELECT position, hash FROM {} ORDER BY position DESC LIMIT 1"
                         ).format(self._name(CHAIN_TABLE)))
        head = curs.fetchone()
        curs.execute(SQL("SELECT max(notification_id) AS before FROM {} "
                         "WHERE notification_id < %s").format(
            self._name(self.events_table_name)), (int(events[0][0]),))
        found = curs.fetchone()
        before = found["before"] if found else None
        linked = int(head["position"]) if head else None
        if linked != (int(before) if before is not None else None):
            if linked is not None and (before is None or linked > int(before)):
                raise EventsRemoved(position=int(before or 0) + 1)  # links without events
            raise ChainBroken(position=self._first_unlinked(curs, head))
        previous = bytes(head["hash"]) if head else GENESIS
        links = []
        for position, originator_id, version, topic, payload in events:
            previous = event_link(previous, int(position), originator_id, int(version), topic,
                                  bytes(payload))
            links.append((int(position), previous))
        curs.executemany(SQL("INSERT INTO {} (position, hash) VALUES (%s, %s)").format(
            self._name(CHAIN_TABLE)), links)

    def _first_unlinked(self, curs: Cursor[DictRow], head: DictRow | None) -> int:
        """The position of the first event after the chain's head (positions have gaps)."""
        curs.execute(SQL("SELECT min(notification_id) AS first FROM {} "
                         "WHERE notification_id > %s").format(
            self._name(self.events_table_name)), (int(head["position"]) if head else 0,))
        found = curs.fetchone()
        if found and found["first"] is not None:
            return int(found["first"])
        return int(head["position"]) + 1 if head else 1  # links beyond the last event

    # --- reading ---------------------------------------------------------------------

    def count_events(self) -> int:
        """How many events are stored (not the last id: ids have gaps)."""
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(SQL("SELECT count(*) AS n FROM {}").format(
                self._name(self.events_table_name)))
            row = curs.fetchone()
        return int(row["n"]) if row else 0


@contextlib.contextmanager
def _read_committed(conn: psycopg.Connection[DictRow]) -> Iterator[None]:
    """A transaction at READ COMMITTED, whatever the server's default: the write function
    needs each of its statements to see what was committed before its lock was granted."""
    before = conn.isolation_level
    conn.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    try:
        with conn.transaction():
            yield
    finally:
        conn.isolation_level = before


# --- reading attachments, without the event store ---------------------------------------
