"""The event store on PostgreSQL: the hash chain and the attachments written in the events'
transaction, as `store.SQLiteRecorder` writes them on SQLite — the same tables, the same
layout: `event_chain(position, hash)`, `event_chain_origin`, `attachments(sha256, size,
content)` and `attachment_chunks(sha256, seq, data)` in pieces of `files.CHUNK`.

eventsourcing's `PostgresApplicationRecorder.insert_events` (9.5) writes one transaction on
one connection, in a psycopg pipeline:

1. `_insert_events(curs, events, **kwargs)`, a hook, empty in the library: here the
   attachments are stored — before any lock is taken, so storing a 50 MB file does not
   hold up the other writers;
2. `_insert_stored_events`: `LOCK TABLE kiemtra_events IN EXCLUSIVE MODE`, then the INSERT,
   which draws the events' notification ids from the table's sequence;
3. `_fetch_ids_after_insert_events`, which reads those ids back: here, still holding the
   lock, the chain is extended — its head read, one link per new event inserted;
4. COMMIT, which releases the lock. The library commits even when step 3 raised (it
   catches the error and raises it again after the commit): so if a link cannot be
   made, the transaction is failed on the server first, and that COMMIT keeps nothing.

EXCLUSIVE conflicts with itself (and with ROW EXCLUSIVE, which every INSERT takes) but not
with plain SELECTs: writers take turns from before their ids are drawn until they have
committed. So a writer's ids are greater than every committed id, the head it reads is the
link of the event just before its own, and the chain has one link for every event, in
notification-id order, however many processes write at once (the tests check that the
library still takes that lock). The library's other way to insert, a database function
(POSTGRES_ENABLE_DB_FUNCTIONS), takes no lock and calls no hook: it is refused.

Notification ids have gaps: a sequence is not rolled back with the transaction that drew
from it (a write that lost a race, exit 3, leaves its ids unused; a server crash skips up
to 32). A position is an id, gaps and all, in the log, the chain and the views alike;
anything that needs how many events there are counts them (`count_events`).

Making the tables takes the advisory lock `schema_lock.SCHEMA_LOCK`, so processes starting
together on an empty database take turns instead of failing in the catalogue.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import psycopg
from eventsourcing.persistence import ProgrammingError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from kiemtra.domain.chain import GENESIS, event_link
from kiemtra.workflow.attachments import ATTACHMENTS_TABLE, CHUNKS_TABLE
from kiemtra.workflow.errors import ChainBroken, EventsRemoved, InvalidSetting
from kiemtra.workflow.files import AttachmentBlob
from kiemtra.workflow.origin_chain import (
    ORIGIN_CHAIN,
    ORIGIN_STARTED,
    POSTGRES_DDL,
    STREAM_ORIGIN,
    OriginTables,
    chain_existing,
    extend_origin_chains,
)
from kiemtra.workflow.schema_lock import ADVISORY_LOCK_SQL, SCHEMA_LOCK

EVENTS_TABLE = "kiemtra_events"  # the library's name for it: the application's name + _events
CHAIN_TABLE = "event_chain"  # as store.CHAIN_TABLE, store.CHAIN_ORIGIN_TABLE
CHAIN_ORIGIN_TABLE = "event_chain_origin"
BATCH = 5000  # events read at a time when a database from before the chain is linked
FAIL_TRANSACTION = ("DO $$BEGIN RAISE EXCEPTION 'kiemtra: the hash chain could not be "
                    "extended, so these events are not kept'; END$$")


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
        if not self._missing():
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
            # a cursor of its own: in the library's pipeline, a read on the cursor that
            # has just sent many inserts could be handed one of their results instead
            with curs.connection.cursor() as reader:
                reader.execute(sql, tuple(params))  # type: ignore[arg-type]
                return [tuple(row.values()) if isinstance(row, dict) else tuple(row)
                        for row in reader.fetchall()]

        def many(sql: str, rows: list[tuple[Any, ...]]) -> None:
            curs.executemany(sql, rows)  # type: ignore[arg-type]

        return OriginTables(run, many, postgres=True)

    def _missing(self) -> bool:
        with self.datastore.transaction(commit=False) as curs:
            if not self._exist(curs, self._tables()):
                return True
            curs.execute("SELECT to_regtype(format('%%I.%%I', %s::text, %s::text)) AS t",
                         (self.datastore.schema, self.stored_event_type_name))
            row = curs.fetchone()
            return row is None or row["t"] is None

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

    # --- inside the events' transaction ------------------------------------------------

    def _insert_events(self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent],
                       **kwargs: Any) -> None:
        super()._insert_events(curs, stored_events, **kwargs)
        # in one order, so two writers storing the same two new files cannot deadlock
        for blob in sorted(kwargs.get("attachments", ()), key=lambda b: b.sha256):
            self._store_attachment(curs, blob)

    def _store_attachment(self, curs: Cursor[DictRow], blob: AttachmentBlob) -> None:
        """A file not stored yet, a piece at a time (its row first: the same file named
        twice, or stored before — or being stored by another writer, whose commit this one
        waits for — is stored once)."""
        curs.execute(SQL("INSERT INTO {} (sha256, size, content) VALUES (%s, %s, %s) "
                         "ON CONFLICT (sha256) DO NOTHING RETURNING sha256").format(
                         self._name(ATTACHMENTS_TABLE)), (blob.sha256, blob.size, b""))
        if curs.fetchone() is None:
            return
        insert = SQL("INSERT INTO {} (sha256, seq, data) VALUES (%s, %s, %s) RETURNING seq"
                     ).format(self._name(CHUNKS_TABLE))
        for seq, piece in enumerate(blob.chunks()):
            curs.execute(insert, (blob.sha256, seq, piece))
            curs.fetchone()  # sent before the next piece is read: one in memory at a time

    def _fetch_ids_after_insert_events(self, curs: Cursor[DictRow],
                                       stored_events: Sequence[StoredEvent],
                                       **kwargs: Any) -> Sequence[int] | None:
        """The ids, then the links. The library catches what this raises and COMMITs
        before raising it again (to keep psycopg's pipeline quiet): whatever fails here,
        the transaction is failed on the server first, so that COMMIT is a rollback."""
        try:
            ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
            if ids is None or len(ids) != len(stored_events):
                msg = f"{len(ids or ())} ids for {len(stored_events)} events"
                raise ProgrammingError(msg)
            events = sorted((position, s.originator_id, s.originator_version, s.topic, s.state)
                            for position, s in zip(ids, stored_events, strict=True))
            self._extend_chain(curs, events)
            extend_origin_chains(self._origin_tables(curs), events, kwargs.get("origins", {}))
        except Exception:
            _fail_transaction(curs)
            raise
        return ids

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


def _fail_transaction(curs: Cursor[DictRow]) -> None:
    """Put the transaction in the failed state, so that no COMMIT can keep what it wrote."""
    with contextlib.suppress(psycopg.Error):
        curs.execute(FAIL_TRANSACTION)
        curs.execute("SELECT 1")
        curs.fetchone()  # the pipeline sends both now; the first fails, the second is skipped


# --- reading attachments, without the event store ---------------------------------------
