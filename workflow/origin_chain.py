"""The chains per commune (origin), written with the events, in their transaction.

Beside `event_chain` (the whole log), three tables, the same on SQLite and PostgreSQL:

- `stream_origin(originator_id, origin)`: the commune each stream belongs to, fixed by
  its first event (`domain/origins.py` says whose it is);
- `origin_chain(position, origin, seq, hash)`: the commune's chain, one link per event of
  its streams, `seq` counting 1, 2, 3… without gaps (`domain/chain.py`: links counted by
  `seq`, from `origin_genesis(origin)`), `position` the event's place in the whole log;
- `origin_chain_started(origin, chained_through, chained_at)`: a database from before the
  chains per commune has its events chained per commune once, when this version first
  opens it to write; this row says through which `seq` and when, so `audit verify` can say
  that the commune's chain vouches for those events only since.

Each recorder (`store.SQLiteRecorder`, `postgres_store.PostgresRecorder`) calls
`extend_origin_chains` while it holds the writers' lock, right after `event_chain` is
extended, with `OriginTables` over its own cursor.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from kiemtra.domain.chain import event_canonical, link, origin_genesis
from kiemtra.domain.origins import LogOrigins
from kiemtra.workflow.errors import CommuneChainBroken, EventsRemoved

STREAM_ORIGIN = "stream_origin"
ORIGIN_CHAIN = "origin_chain"
ORIGIN_STARTED = "origin_chain_started"

SQLITE_DDL = [
    f"CREATE TABLE IF NOT EXISTS {STREAM_ORIGIN} (originator_id TEXT PRIMARY KEY, "
    "origin TEXT NOT NULL) WITHOUT ROWID",
    # in position order as stored (the rowid), for verify's one pass; by (origin, seq)
    # through the unique index, for the writers' head
    f"CREATE TABLE IF NOT EXISTS {ORIGIN_CHAIN} (position INTEGER PRIMARY KEY, "
    "origin TEXT NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL, UNIQUE (origin, seq))",
    f"CREATE TABLE IF NOT EXISTS {ORIGIN_STARTED} (origin TEXT NOT NULL, "
    "chained_through INTEGER NOT NULL, chained_at TEXT NOT NULL)",
]
POSTGRES_DDL = [
    f"CREATE TABLE IF NOT EXISTS {STREAM_ORIGIN} (originator_id uuid PRIMARY KEY, "
    "origin text NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {ORIGIN_CHAIN} (position bigint PRIMARY KEY, "
    "origin text NOT NULL, seq bigint NOT NULL, hash bytea NOT NULL, UNIQUE (origin, seq))",
    f"CREATE TABLE IF NOT EXISTS {ORIGIN_STARTED} (origin text NOT NULL, "
    "chained_through bigint NOT NULL, chained_at text NOT NULL)",
]
BATCH = 5000

Event = tuple[int, Any, int, str, bytes]
"""(position, stream, version, topic, payload) as the recorder has just stored them."""


class OriginTables:
    """The three tables through one cursor: `run(sql, params)` gives the rows as tuples,
    `many(sql, rows)` inserts; SQL is written with `?` (`postgres`: turned into `%s`)."""

    def __init__(self, run: Callable[[str, Sequence[Any]], list[tuple[Any, ...]]],
                 many: Callable[[str, list[tuple[Any, ...]]], None], postgres: bool) -> None:
        self._run, self._many, self.postgres = run, many, postgres

    def run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        return self._run(sql.replace("?", "%s") if self.postgres else sql, params)

    def many(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        if rows:
            self._many(sql.replace("?", "%s") if self.postgres else sql, rows)

    def key(self, stream: UUID) -> Any:
        return stream if self.postgres else stream.hex

    def stream_origins(self, streams: Iterable[UUID]) -> dict[UUID, str]:
        wanted = list(dict.fromkeys(streams))
        found: dict[UUID, str] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            marks = ", ".join("?" for _ in part)
            for stream, origin in self.run(f"SELECT originator_id, origin FROM {STREAM_ORIGIN} "
                                           f"WHERE originator_id IN ({marks})",
                                           [self.key(s) for s in part]):
                found[stream if isinstance(stream, UUID) else UUID(hex=str(stream))] = origin
        return found

    def head(self, origin: str) -> tuple[int, bytes, int]:
        """(seq, hash, position) of the commune's last link; (0, its start, 0) if none."""
        rows = self.run(f"SELECT seq, hash, position FROM {ORIGIN_CHAIN} WHERE origin = ? "
                        "ORDER BY seq DESC LIMIT 1", (origin,))
        if not rows:
            return 0, origin_genesis(origin), 0
        return int(rows[0][0]), bytes(rows[0][1]), int(rows[0][2])


def extend_origin_chains(tables: OriginTables, events: Sequence[Event],
                         new_origins: Mapping[UUID, str]) -> None:
    """Link each event in its commune's chain. A new stream (its first event is here) takes
    the origin the store found for it; an existing one keeps its own. Refused
    (CommuneChainBroken at the event), as a missing link of the whole log is: an event
    whose stream has no commune (`stream_origin` lost it, or its campaign has none), an
    existing stream's event when its commune's chain is empty, and a commune's chain that
    reaches past the new events (links whose events were deleted: EventsRemoved)."""
    if not events:
        return
    events = [(p, s if isinstance(s, UUID) else UUID(hex=str(s)), v, t, d)
              for p, s, v, t, d in events]
    known = tables.stream_origins(e[1] for e in events if e[1] not in new_origins or e[2] > 1)
    fresh = []
    for position, stream, version, _, _ in events:
        if stream in known:
            continue
        origin = new_origins.get(stream) if version == 1 else None
        if origin is None:
            raise CommuneChainBroken(position=position)
        known[stream] = origin
        fresh.append((tables.key(stream), origin))
    tables.many(f"INSERT INTO {STREAM_ORIGIN} VALUES (?, ?)", fresh)
    heads: dict[str, tuple[int, bytes]] = {}
    links = []
    for position, stream, version, topic, payload in events:
        origin = known[stream]
        if origin not in heads:
            seq, previous, linked = tables.head(origin)
            if linked >= position:
                raise EventsRemoved(position=position)
            if seq == 0 and version > 1:  # a stream of the commune, but no chain of it
                raise CommuneChainBroken(position=position)
        else:
            seq, previous = heads[origin]
        seq += 1
        previous = link(previous, event_canonical(stream, version, topic, bytes(payload)), seq)
        heads[origin] = (seq, previous)
        links.append((origin, seq, position, previous))
    tables.many(f"INSERT INTO {ORIGIN_CHAIN} (origin, seq, position, hash) VALUES "
                "(?, ?, ?, ?)", links)


def chain_existing(tables: OriginTables, rows: Callable[[int], list[Event]]) -> None:
    """Chain per commune the events of a database from before the chains per commune
    (`rows(after)`: the next events after that position, in position order), each stream's
    commune found from what the log says (`origins_in_log`), and record it."""
    log = LogOrigins()
    after, batch = 0, rows(0)
    while batch:  # first pass: whose stream is whose
        for position, stream, version, topic, payload in batch:
            try:
                data = json.loads(bytes(payload))
            except ValueError:
                data = {}
            log.see(stream.hex, version, topic, data if isinstance(data, dict) else {})
            after = position
        batch = rows(after)
    found = {UUID(hex=s): o for s, o in log.origins().items()}
    after, batch = 0, rows(0)
    while batch:  # second pass: the links
        extend_origin_chains(tables, batch, found)
        after = batch[-1][0]
        batch = rows(after)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    tables.many(f"INSERT INTO {ORIGIN_STARTED} VALUES (?, ?, ?)",
                [(origin, seq, now) for origin, seq in tables.run(
                    f"SELECT origin, MAX(seq) FROM {ORIGIN_CHAIN} GROUP BY origin")])
