"""The event store: eventsourcing's application on SQLite (default) or PostgreSQL.

SQLite uses the library's own `eventsourcing.sqlite` module: measured in
`bench/command_throughput.py` it keeps far more of raw SQLite's committed-insert
rate than the SQLAlchemy-based module (see README, "Performance").

Attachments are stored by content (SHA-256) in the same transaction as the
events that refer to them, through the recorder's `_insert_events` hook, so a
refused or conflicting command leaves neither events nor files behind. The same
hook extends the hash chain (`domain/chain.py`): one row per event, written with
it, so there is never an event without its link nor a link without its event.
On PostgreSQL the same tables are written the same way by `postgres_store.PostgresRecorder`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    JSONTranscoder,
    PersistenceError,
    StoredEvent,
)
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor

from kiemtra.domain import campaign, delivery, inspection  # noqa: F401  (their topics)
from kiemtra.domain.chain import GENESIS, event_link
from kiemtra.domain.ids import campaign_id
from kiemtra.domain.origins import new_stream_origins
from kiemtra.workflow.attachments import (
    ATTACHMENTS_TABLE,
    CHUNKS_TABLE,
    codes_beginning,
    first_naming,
    is_stored,
    pieces,
)
from kiemtra.workflow.chain_repair import REBUILT_LINKS_DDL
from kiemtra.workflow.database import Database
from kiemtra.workflow.dbfile import (
    CANNOT_OPEN,
    ORIGINS_FORMAT,
    database_fault,
    mark,
    write_refused,
)
from kiemtra.workflow.errors import (
    ChainBroken,
    ConcurrentChange,
    EventsRemoved,
    StorageUnavailable,
    UnreadableEvent,
)
from kiemtra.workflow.files import AttachmentBlob
from kiemtra.workflow.log_tables import raw_log
from kiemtra.workflow.origin_chain import (
    BATCH,
    ORIGIN_CHAIN,
    SQLITE_DDL,
    STREAM_ORIGIN,
    OriginTables,
    chain_existing,
    extend_origin_chains,
)
from kiemtra.workflow.transcoding import register_transcodings

CHAIN_TABLE = "event_chain"
CHAIN_ORIGIN_TABLE = "event_chain_origin"  # chained on an upgrade, by builds before 0.1.0


class SQLiteRecorder(SQLiteApplicationRecorder):
    """Adds the content-addressed attachments table, written in the events' transaction."""

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            f"CREATE TABLE IF NOT EXISTS {ATTACHMENTS_TABLE} ("
            "sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, content BLOB NOT NULL) "
            "WITHOUT ROWID",
            # since 0.2: the bytes in pieces of files.CHUNK, `content` left empty (a
            # database of 0.1 keeps each file whole in `content`; both read alike)
            f"CREATE TABLE IF NOT EXISTS {CHUNKS_TABLE} ("
            "sha256 TEXT NOT NULL, seq INTEGER NOT NULL, data BLOB NOT NULL, "
            "PRIMARY KEY (sha256, seq)) WITHOUT ROWID",
            f"CREATE TABLE IF NOT EXISTS {CHAIN_TABLE} ("
            "position INTEGER PRIMARY KEY, hash BLOB NOT NULL)",
            f"CREATE TABLE IF NOT EXISTS {CHAIN_ORIGIN_TABLE} ("
            "chained_through INTEGER NOT NULL, chained_at TEXT NOT NULL)",
            REBUILT_LINKS_DDL,
            *SQLITE_DDL,
        ]

    def _create_table(self, c: SQLiteCursor) -> None:
        """The tables, and the file's mark as kiemtra's of this data format (`dbfile.mark`),
        in one transaction. A database of a format from before the chains per commune has
        its events chained per commune then, once (`chain_existing`); one of
        this format whose chains per commune are gone is not chained again: the writes
        to its streams are refused."""
        c.execute("PRAGMA user_version")
        data_format = int(c.fetchone()[0])
        super()._create_table(c)
        if data_format < ORIGINS_FORMAT:
            c.execute(f"SELECT 1 FROM {ORIGIN_CHAIN} LIMIT 1")
            if c.fetchone() is None:
                chain_existing(self._origin_tables(c), lambda after: [
                    (int(r[0]), UUID(hex=str(r[1])), r[2], r[3], bytes(r[4]))
                    for r in self._run(c, f"SELECT rowid, originator_id, originator_version, "
                                       f"topic, state FROM {self.events_table_name} WHERE "
                                       f"rowid > ? ORDER BY rowid LIMIT {BATCH}",
                                       (after,))])
        mark(c)

    @staticmethod
    def _run(c: SQLiteCursor, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        c.execute(sql, tuple(params))
        return [tuple(row) for row in c.fetchall()]

    def _origin_tables(self, c: SQLiteCursor) -> OriginTables:
        return OriginTables(lambda sql, params: self._run(c, sql, params),
                                         c.executemany, postgres=False)

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        assert ids is not None and len(ids) == len(stored_events)
        events = [(position, s.originator_id, s.originator_version, s.topic, s.state)
                  for position, s in zip(ids, stored_events, strict=True)]
        self._extend_chain(c, events)
        extend_origin_chains(self._origin_tables(c), events,
                                          kwargs.get("origins", {}))
        for blob in kwargs.get("attachments", ()):
            self._store_attachment(c, blob)
        return ids

    @staticmethod
    def _store_attachment(c: SQLiteCursor, blob: AttachmentBlob) -> None:
        """A file not stored yet, a piece at a time (its row first: the same file named
        twice, or stored before, is stored once)."""
        c.execute(f"SELECT 1 FROM {ATTACHMENTS_TABLE} WHERE sha256 = ?", (blob.sha256,))
        if c.fetchone() is not None:
            return
        c.execute(f"INSERT INTO {ATTACHMENTS_TABLE} VALUES (?, ?, ?)",
                  (blob.sha256, blob.size, b""))
        for seq, piece in enumerate(blob.chunks()):
            c.execute(f"INSERT INTO {CHUNKS_TABLE} VALUES (?, ?, ?)", (blob.sha256, seq, piece))

    def _extend_chain(self, c: SQLiteCursor, events: Sequence[tuple[Any, ...]]) -> None:
        """Link (position, stream, version, topic, payload) rows after the chain's head.

        Only after the event just before them: a chain removed, emptied or cut short
        while the events stay would otherwise go on from the wrong place, and its next
        link would vouch for events nobody checked. Such a write is refused (ChainBroken)
        until `kiemtra audit rechain` is run, which records who did it and why."""
        if not events:
            return
        c.execute(f"SELECT position, hash FROM {CHAIN_TABLE} ORDER BY position DESC LIMIT 1")
        head = c.fetchone()
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name} WHERE rowid < ?",
                  (events[0][0],))
        before = c.fetchone()[0]
        linked = head[0] if head else None
        if linked != before:
            if linked is not None and (before is None or linked > before):
                raise EventsRemoved(position=(before or 0) + 1)  # links without events
            raise ChainBroken(position=linked + 1 if linked else 1)
        previous = bytes(head[1]) if head else GENESIS
        links = []
        for position, originator_id, version, topic, payload in events:
            previous = event_link(previous, position, originator_id, version, topic,
                                  bytes(payload))
            links.append((position, previous))
        c.executemany(f"INSERT INTO {CHAIN_TABLE} VALUES (?, ?)", links)


READ_FAULTS = (ValueError, KeyError, TypeError, AttributeError)
"""What decoding or applying a stored event that was altered raises (the library's
MapperDeserialisationError is a ValueError; an event missing a field, a TypeError)."""


def replay(aggregate: Any, events: Iterable[Any]) -> Any:
    """Apply stored events in order: the library's `project_aggregate` without its
    per-event `isinstance(event, CanMutateProtocol)` assertion, which on Python 3.11
    costs more than applying the event (runtime protocol checks are uncached there).
    Every event here is one of our aggregates' own event classes."""
    for event in events:
        aggregate = event.mutate(aggregate)
    return aggregate


class EventStore(Application[UUID]):
    """kiemtra's eventsourcing application: repository, event store, notification log."""

    name = "kiemtra"
    database: Database | None = None  # where it was opened (`open_store`), for its faults

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        register_transcodings(transcoder)

    def load(self, aggregate_id: UUID) -> Any:
        """The aggregate rebuilt from its events; AggregateNotFoundError if none, and
        UnreadableEvent if one of them no longer decodes: a step is never decided on a
        record read in part."""
        try:
            return self.repository.get(aggregate_id, projector_func=replay)
        except AggregateNotFoundError:
            raise
        except READ_FAULTS:
            position = self._first_unreadable(aggregate_id)
            if position is None:  # every event reads alone: a fault of the code, not the data
                raise
            raise UnreadableEvent(position=position) from None

    def _first_unreadable(self, aggregate_id: UUID) -> int | None:
        """The position of the first event of the stream that cannot be decoded or
        applied, each read again on its own."""
        aggregate = None
        for position, oid, version, topic, payload in self.stored_rows([aggregate_id]):
            try:
                stored = StoredEvent(originator_id=oid, originator_version=version,
                                     topic=topic, state=bytes(payload))
                aggregate = replay(aggregate, [self.mapper.to_domain_event(stored)])
            except READ_FAULTS:
                return int(position)
        return None

    def get(self, aggregate_id: UUID) -> Any | None:
        try:
            return self.load(aggregate_id)
        except AggregateNotFoundError:
            return None

    def save_atomically(self, *aggregates: Any, attachments: Sequence[AttachmentBlob] = ()) -> None:
        """Save every pending event of `aggregates` in one transaction, or nothing.

        Through the library's event store (`self.events.put`) rather than `Application.save`,
        which adds nothing kiemtra uses (snapshots, the deprecated notify) but two runtime
        protocol checks per aggregate, each slower on Python 3.11 than the rest of a save's
        Python work."""
        if attachments:
            self.require_attachments()
        events = [event for aggregate in aggregates for event in aggregate.collect_events()]
        created = {e.originator_id for e in events if e.originator_version == 1}
        origins = new_stream_origins(aggregates, created,
                                     self.origin_of_campaign) if created else {}
        try:
            self.events.put(events, attachments=list(attachments), origins=origins)
        except IntegrityError:
            raise ConcurrentChange() from None
        except PersistenceError as exc:
            # a full disk, a file gone read-only or damaged: SQLite rolled the whole
            # transaction back, so nothing was written
            fault = database_fault(exc, self.database) if self.database else None
            if fault is None and ("locked" in str(exc) or "busy" in str(exc)
                                  or _lost_a_race(exc)):
                fault = ConcurrentChange()
            if fault is not None:
                raise fault from None
            raise

    def origin_of_campaign(self, code: str) -> str | None:
        """The commune (origin) of a stored campaign, for a new stream of it: as its stream
        was given it (`stream_origin`), which never changes, so it is kept for the process."""
        stream = campaign_id(code)
        cache = self.__dict__.setdefault("_origins", {})
        if stream not in cache:
            tables = self.recorder.datastore  # type: ignore[attr-defined]
            sqlite = isinstance(self.recorder, SQLiteApplicationRecorder)
            with tables.transaction(commit=False) as c:
                c.execute(f"SELECT origin FROM {STREAM_ORIGIN} WHERE originator_id = "
                          f"{'?' if sqlite else '%s'}", (stream.hex if sqlite else stream,))
                row = c.fetchone()
            if row is None:
                return None  # no chain of its commune: the recorder refuses the write
            cache[stream] = row[0] if sqlite else row["origin"]
        return str(cache[stream])

    def origin_names(self) -> list[str]:
        """The communes (origins) the database holds chains of (none on a store of the
        library's own recorders, which keep no chains)."""
        if not isinstance(self.recorder, SQLiteRecorder) and not _postgres(self.recorder):
            return []
        tables = self.recorder.datastore  # type: ignore[attr-defined]
        with tables.transaction(commit=False) as c:
            c.execute(f"SELECT DISTINCT origin FROM {STREAM_ORIGIN}")
            rows = c.fetchall()
        return [str(r["origin"] if isinstance(r, dict) else r[0]) for r in rows]

    def require_attachments(self) -> None:
        if not isinstance(self.recorder, SQLiteRecorder) and not _postgres(self.recorder):
            raise _no_attachments()

    def event_count(self) -> int:
        """How many events are stored: on SQLite the last position (a rolled-back insert
        gives its rowid back), on PostgreSQL counted, since its ids have gaps."""
        count = getattr(self.recorder, "count_events", None)
        return int(count()) if count else self.head_position()

    def head_position(self) -> int:
        """The position of the last event stored (0 when there is none)."""
        return int(self.recorder.max_notification_id() or 0)

    def stored_rows(self, streams: Sequence[UUID] | None = None,
                    topics: Sequence[str] = ()) -> list[tuple[int, Any, Any, Any, Any]]:
        """(position, stream id, version, topic, payload) as stored, in recording order: the
        events of `streams`, or else those whose topic is one of `topics`.
        The library reads by stream or by position only; the audit trail needs both."""
        sqlite = isinstance(self.recorder, SQLiteApplicationRecorder)
        mark, position = ("?", "rowid") if sqlite else ("%s", "notification_id")
        params: list[Any]
        if streams is not None:
            where = f"originator_id IN ({', '.join(mark for _ in streams)})"
            params = [s.hex for s in streams] if sqlite else list(streams)
        else:
            where = f"topic IN ({', '.join(mark for _ in topics)})" if topics else "1 = 1"
            params = list(topics)
        table = self.recorder.events_table_name  # type: ignore[attr-defined]
        datastore = self.recorder.datastore  # type: ignore[attr-defined]
        with datastore.transaction(commit=False) as c:
            c.execute(f"SELECT {position}, originator_id, originator_version, topic, state "
                      f"FROM {table} WHERE {where} ORDER BY {position}", params)
            rows = c.fetchall()
        # PostgreSQL's cursor gives dicts (columns in the order selected)
        return [tuple(r.values()) if isinstance(r, dict) else tuple(r) for r in rows]


def _lost_a_race(exc: PersistenceError) -> bool:
    """PostgreSQL gave up on the transaction for another's sake (a deadlock, a
    serialization failure: SQLSTATE class 40; a lock not granted in time: 55P03), still so
    after the library's retries."""
    state = str(getattr(exc.__cause__, "sqlstate", None) or "")
    return state.startswith("40") or state == "55P03"


def _postgres(recorder: Any) -> bool:
    """kiemtra's PostgreSQL recorder (imported only when it can be the one)."""
    if isinstance(recorder, SQLiteApplicationRecorder):
        return False
    from kiemtra.workflow.postgres_store import PostgresRecorder

    return isinstance(recorder, PostgresRecorder)


def _no_attachments() -> StorageUnavailable:
    """Attachments live in tables of kiemtra's own recorders (SQLite's, PostgreSQL's)."""
    return StorageUnavailable(db="PostgreSQL", reason=(
        "tệp đính kèm chưa được hỗ trợ trên PostgreSQL",
        "attachments are not supported on PostgreSQL yet"))


def read_attachment(database: Database, sha256: str) -> Iterator[bytes] | None:
    """The stored bytes of an attachment, as stored, a piece at a time (None if no file
    is stored under `sha256`). Read from the database as it is: nothing is created."""
    with raw_log(database) as log:
        if not is_stored(log, sha256):
            return None

    def read() -> Iterator[bytes]:
        with raw_log(database) as log:
            yield from pieces(log, sha256)

    return read()


def attachment_codes(database: Database, prefix: str) -> list[str]:
    """The SHA-256 codes of the stored attachments that begin with `prefix` (hex)."""
    with raw_log(database) as log:
        return codes_beginning(log, prefix)


def first_event_naming(database: Database, sha256: str) -> int:
    """The position of the first event whose stored payload names `sha256` (0: none), to
    report an attachment whose bytes were altered."""
    with raw_log(database) as log:
        return first_naming(log, sha256)


def open_store(database: Database, *, write: bool = True) -> EventStore:
    """The event store of `database`. For a command that records (`write`), its tables
    are created if they are missing, and a database this release may not write — read-only,
    or of a newer kiemtra — is refused before anything is opened. For a read, the same,
    except that such a database is opened read-only, nothing created: a read never writes
    where it may not. What is at the path is checked first (`Database.found`): a folder,
    a file that is not SQLite, a damaged one or another application's database is refused,
    nothing added to it."""
    env = database.env()
    if not database.is_postgres:
        found = database.found()
        if write:
            found.require_writable(database)
        elif not found.writable:
            env = _read_only_env(env, found.read_uri)
    try:
        store = EventStore(env=env)
    except (sqlite3.Error, OSError, PersistenceError) as exc:
        if write or database.is_postgres or not write_refused(exc, database):
            raise database_fault(exc, database) or StorageUnavailable(
                db=database.label(), reason=CANNOT_OPEN) from None
        # a read on a full disk (SQLite could not even make its shared-memory file)
        env = _read_only_env(env, database.found().read_uri)
        store = EventStore(env=env)
    store.database = database
    if env.get("CREATE_TABLE") == "false":
        # the library turns WAL on when it opens a file; a read-only one stays as it is
        store.recorder.datastore.pool.is_journal_mode_wal = True  # type: ignore[attr-defined]
    return store


def init_database(database: Database) -> None:
    """Make what is missing of kiemtra's tables (and on PostgreSQL its write function, which
    a user that may not create one is refused for: WriteFunctionMissing), recording no
    event: `kiemtra db init`, which a PostgreSQL database's owner runs once after an
    upgrade so that roles granted only reads and writes on the tables can go on writing."""
    store = open_store(database)
    try:
        require = getattr(store.recorder, "require_write_function", None)
        if require is not None:
            require()
    finally:
        store.close()


def _read_only_env(env: dict[str, str], uri: str) -> dict[str, str]:
    """The library's settings for opening the file at `uri` to read only, creating nothing."""
    return {**env, "SQLITE_DBNAME": uri, "CREATE_TABLE": "false"}
