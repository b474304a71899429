"""A full rebuild of the views on SQLite: one pass over the log, in recording order.

The incremental projector reloads and rewrites every row a batch touches; over a
whole year's log, where each inspection's events are spread out, that means
rewriting most rows again and again. Here the log is read once, sequentially,
and each inspection (and reminder delivery) is folded in memory and written
when its stream is finished — an inspection once remediated, cancelled or
concluded without findings takes no further step, a delivery once sent or
failed for good — so memory holds only the streams still open. Whatever is open
at the end is written then.

Rows are evolved by the same `domain` functions as the incremental projector and
written with the driver's `executemany`, in the storage format SQLAlchemy reads
back (ISO dates, 0/1 booleans, JSON text); dates stay ISO text throughout. It
runs in the caller's write-locked transaction, so the views and the tracking
position change together. The views' indexes, their unique keys included, are
dropped for the load and made again near its end, in the same transaction.
"""

from __future__ import annotations

import gc
import os
import sqlite3
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from operator import itemgetter
from typing import Any, Protocol

import orjson
from kiemtra.domain.delivery import FAILED, SENT, evolve_delivery, new_delivery
from kiemtra.domain.record import evolve
from kiemtra.domain.topics import CAMPAIGN, DELIVERY, INSPECTION, kind_of, of_kinds
from kiemtra.projections.flat_json import deep_flat_decode, flat_decode
from kiemtra.projections.rows import (
    Row,
    Seed,
    campaign_row,
    delivery_to_row,
    orphan_row,
    plan_seeds,
    seeded_row,
)

PLAN_TOPICS = tuple(of_kinds(CAMPAIGN))
CHUNK = 1000  # rows per executemany (and per frame from the worker), events per drain
# Which streams a fold owns: those whose id ends in two hex digits from `first`
# (included) to `end` (excluded; None: no end). Ids are uniform hashes (uuid5).
Share = tuple[str, str | None]
EVERY: Share = ("", None)
# A log this long is folded by two processes: the worker takes the campaigns and the
# streams whose id ends below SPLIT (52%), this process the others, and it writes every
# row (balanced by measurement, bench/national_scale.py).
PARALLEL_FROM = 50_000
CACHE_KIB = 20_000
SPLIT = "84"

# The columns of each view table, in order, and which of them hold JSON and which
# booleans: all the fold needs of the table definitions (a worker process gets it
# without SQLAlchemy).
TableSpecs = dict[str, tuple[list[str], list[str], list[str]]]
# What the fold does with one stored event: (rowid, stream id, version, class name, state).
Handler = Callable[[int, str, int, str, bytes], None]


def table_specs(tables: Collection[Any]) -> TableSpecs:
    """Column names, JSON columns and boolean columns of SQLAlchemy tables."""

    def of_type(table: Any, kind: str) -> list[str]:
        return [str(c.name) for c in table.columns if type(c.type).__name__ == kind]

    return {str(table.name): ([str(c.name) for c in table.columns], of_type(table, "JSON"),
                              of_type(table, "Boolean"))
            for table in tables}


class Columns:
    """A row dict as the tuple `executemany` takes, stored as SQLAlchemy would store it.

    Dates are ISO text already (the log is decoded flat); JSON values become compact
    JSON text and booleans 0/1. Plain `str` and `int` are also what the driver binds
    fastest: anything else (a bool, bytes, None) takes its adapter look-up first.
    """

    def __init__(self, names: list[str], json_names: list[str], flag_names: list[str]
                 ) -> None:
        self.values = itemgetter(*names)
        self.json = json_names
        self.flags = flag_names

    def __call__(self, row: dict[str, Any]) -> tuple[Any, ...]:
        """The row's values in column order, converted so."""
        for name in self.json:
            row[name] = orjson.dumps(row[name]).decode()
        for name in self.flags:
            row[name] = 1 if row[name] else 0
        values: tuple[Any, ...] = self.values(row)
        return values


class Sink(Protocol):
    """Where finished rows go: the view tables, or the pipe to the parent process."""

    def add(self, table: str, values: tuple[Any, ...]) -> None: ...

    def seeds(self, items: list[tuple[str, Seed]]) -> None:
        """What plans say of inspections another process folds (stream id, seed)."""

    def flush(self) -> None: ...


class SqliteSink:
    """Buffered `executemany` into the view tables."""

    def __init__(self, db: sqlite3.Connection, specs: TableSpecs) -> None:
        self.db = db
        self.sql = {name: f"INSERT INTO {name} ({', '.join(columns)}) "
                          f"VALUES ({', '.join('?' for _ in columns)})"
                    for name, (columns, _, _) in specs.items()}
        self.pending: dict[str, list[tuple[Any, ...]]] = {name: [] for name in specs}

    def add(self, table: str, values: tuple[Any, ...]) -> None:
        pending = self.pending[table]
        pending.append(values)
        if len(pending) >= CHUNK:
            self.write(table, pending)
            self.pending[table] = []

    def write(self, table: str, rows: list[tuple[Any, ...]]) -> None:
        self.db.executemany(self.sql[table], rows)

    def seeds(self, items: list[tuple[str, Seed]]) -> None:
        msg = "a fold that writes to the database owns every stream of the plans it reads"
        raise AssertionError(msg)

    def flush(self) -> None:
        for table, pending in self.pending.items():
            if pending:
                self.write(table, pending)
                self.pending[table] = []


FINISHING = frozenset({"remediated", "cancelled", "concluded"})  # states that may end one


def _finished(record: dict[str, Any]) -> bool:
    """No step can follow (the same answer as `next_step(record)[0] is None`, cheaper)."""
    state = record["state"]
    if state in ("remediated", "cancelled"):
        return True
    return state == "concluded" and all(f.get("remediated_on") for f in record["findings"])


class StreamReopened(Exception):
    """An event for a stream already written as finished (kiemtra never records one)."""


class Fold:
    """Open streams in memory; finished ones written and forgotten.

    `share`: the inspection and delivery streams this fold owns (the others are
    another process's). With `reads_plans`, the fold reads the plans: it writes the
    campaigns, starts the rows of the inspections it owns and passes the seeds of the
    others to `sink.seeds`. Without, another process reads the plans and hands this fold
    the seeds of its streams as it goes (`take_seeds`): a row then starts at its
    stream's first event and takes its place and name in the plan from its seed when
    written; one whose seed has not come yet waits for it, or for `settle`, which runs
    once every seed is in.
    """

    def __init__(self, sink: Sink, specs: TableSpecs, share: Share = EVERY,
                 reads_plans: bool = True) -> None:
        self.sink = sink
        self.share = share
        self.reads_plans = reads_plans
        self.seeds: dict[str, Seed] = {}
        self.columns = {name: Columns(*spec) for name, spec in specs.items()}
        self.rows: dict[str, Row] = {}
        self.open_deliveries: dict[str, tuple[int, dict[str, Any]]] = {}
        self.finished: set[str] = set()
        self.started: set[str] = set()  # rows started at their first event, seed to come
        self.waiting: dict[str, Row] = {}  # finished rows to write once their seed is in

    def route(self, topic: str) -> tuple[Handler, str]:
        """The handler of a topic's events, and the event's class name."""
        kind, name = kind_of(topic) or ("", "")
        if kind == INSPECTION:
            return self.inspection_event, name
        if kind == CAMPAIGN:
            return self.plan_imported, name
        if kind == DELIVERY:
            return self.delivery_event, name
        return self.other_event, name

    def other_event(self, rowid: int, oid: str, version: int, name: str, state: bytes) -> None:
        """Not a view's: other streams' events are read and counted, nothing more."""

    def plan_imported(self, rowid: int, oid: str, version: int, name: str,
                      state: bytes) -> None:
        data = deep_flat_decode(state)  # dates as ISO text, as the view stores them
        self._add("view_campaigns", campaign_row(rowid, data))
        others = []
        for inspection, seed in plan_seeds(data["code"], data["plan"]["units"]).items():
            if self.owns(inspection):
                self.rows[inspection] = seeded_row(inspection, seed)
            else:
                others.append((inspection, seed))
        if others:
            self.sink.seeds(others)

    def owns(self, oid: str) -> bool:
        first, end = self.share
        return first <= oid[-2:] and (end is None or oid[-2:] < end)

    def inspection_event(self, rowid: int, oid: str, version: int, name: str,
                         state: bytes) -> None:
        data = flat_decode(state)
        row = self.rows.get(oid)
        if row is None:  # a finished stream is no longer in `rows`
            if oid in self.finished:
                raise StreamReopened(oid)
            row = self.rows[oid] = orphan_row(oid, data)
            if not self.reads_plans:
                self.started.add(oid)
        record = row.record
        evolve(record, name, data)
        row.version = version
        if record["state"] in FINISHING and _finished(record):
            self._write_row(self.rows.pop(oid))
            self.finished.add(oid)

    def delivery_event(self, rowid: int, oid: str, version: int, name: str,
                       state: bytes) -> None:
        if oid in self.finished:
            raise StreamReopened(oid)
        data = flat_decode(state)
        if name == "Claimed":
            record = new_delivery(data)
        else:
            record = self.open_deliveries[oid][1]
            evolve_delivery(record, name, data)
        if record["state"] in (SENT, FAILED):
            self.open_deliveries.pop(oid, None)
            self._add("view_deliveries", delivery_to_row(oid, version, record))
            self.finished.add(oid)
        else:
            self.open_deliveries[oid] = (version, record)

    def close(self) -> None:
        """Write the streams still open (the end of the log is reached)."""
        for row in self.rows.values():
            self._write_row(row)
        for oid, (version, record) in self.open_deliveries.items():
            self._add("view_deliveries", delivery_to_row(oid, version, record))
        self.sink.flush()

    def take_seeds(self, items: list[tuple[str, Seed]]) -> None:
        """Seeds from the process that reads the plans; the rows that waited for them are
        written now."""
        self.seeds.update(items)
        for oid, _ in items:
            row = self.waiting.pop(oid, None)
            if row is not None:
                self._write_row(row)

    def settle(self) -> None:
        """Once every seed is in: write the rows that waited for theirs (one with none
        keeps the names `orphan_row` gave it), and the rows of planned inspections whose
        streams have no event at all."""
        waiting, self.waiting = self.waiting, {}
        for row in waiting.values():
            self._write_row(row, last=True)
        for oid, seed in self.seeds.items():  # the seeds left: streams with no event
            self._write_row(seeded_row(oid, seed))
        self.seeds = {}
        self.sink.flush()

    def _write_row(self, row: Row, last: bool = False) -> None:
        """Write a row (`last`: its seed will not come if it has not come yet); a seed
        is used once, and then forgotten."""
        oid = row.originator_id
        if oid in self.started:
            seed = self.seeds.pop(oid, None)
            if seed is None and not last:
                self.waiting[oid] = row
                return
            if seed is not None:
                row.seq, row.unit_name = seed[2], seed[3]
            self.started.discard(oid)
        self._add("view_inspections", row.to_db())
        for item in row.deadlines():
            self._add("view_deadlines", item)

    def _add(self, table: str, row: dict[str, Any]) -> None:
        self.sink.add(table, self.columns[table](row))


def share_filter(fold: Fold) -> tuple[str, tuple[str, ...]]:
    """SQL (and its parameters) that keeps the events a fold reads: the streams it owns,
    and the plans if it reads them (and only then)."""
    first, end = fold.share
    if fold.share == EVERY:
        return "", ()
    owned, parameters = "substr(originator_id, -2) >= ?", [first]
    if end is not None:
        owned, parameters = f"{owned} AND substr(originator_id, -2) < ?", [first, end]
    if fold.reads_plans:
        return (f" AND (topic IN ({', '.join('?' for _ in PLAN_TOPICS)}) OR {owned})",
                (*PLAN_TOPICS, *parameters))
    return (f" AND topic NOT IN ({', '.join('?' for _ in PLAN_TOPICS)}) AND {owned}",
            (*PLAN_TOPICS, *parameters))


def fold_log(db: sqlite3.Connection, head: int, fold: Fold,
             between: Callable[[], None] = lambda: None) -> int:
    """Feed events 1..head of the fold's share to it and close it; returns how many were
    read. `between` runs every CHUNK events."""
    routes: dict[str, tuple[Handler, str]] = {}
    where, parameters = share_filter(fold)
    query = ("SELECT rowid, originator_id, originator_version, topic, state "
             f"FROM stored_events WHERE rowid <= ?{where} ORDER BY rowid")
    count = 0
    rows = db.execute(query, (head, *parameters))
    for count, (rowid, oid, version, topic, state) in enumerate(rows, 1):
        route = routes.get(topic)
        if route is None:
            route = routes[topic] = fold.route(topic)
        route[0](rowid, oid, version, route[1], state)
        if not count % CHUNK:
            between()
    fold.close()
    return count


@contextmanager
def gc_paused() -> Iterator[None]:
    """The fold makes millions of short-lived dicts and no cycles: the cyclic collector
    would only rescan the open streams again and again (a tenth of the time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


@contextmanager
def load_settings(db: sqlite3.Connection, cache_kib: int) -> Iterator[None]:
    """SQLite settings for dropping and loading the views, restored after.

    A larger page cache: rows arrive in log order, so the keys of the rows written after
    the indexes are made again (stream ids) land all over each index's B-tree. And no
    secure delete (Debian's SQLite has it on): it would overwrite every page of the old
    views with zeros, through the WAL and again into the file, to hide data that is
    derived from the events kept beside it.
    """
    before = [db.execute(f"PRAGMA {name}").fetchone()[0]
              for name in ("cache_size", "secure_delete")]
    db.execute(f"PRAGMA cache_size = -{cache_kib}")
    db.execute("PRAGMA secure_delete = 0")
    try:
        yield
    finally:
        db.execute(f"PRAGMA cache_size = {int(before[0])}")
        db.execute(f"PRAGMA secure_delete = {int(before[1])}")


class DeferredIndexes:
    """The (empty) tables' indexes, unique keys included, dropped for the load and made
    again after: one sort each instead of a B-tree insert per row. `restore` may come
    before the last rows (they then go into the indexes as usual); a failed rebuild rolls
    back the drop."""

    def __init__(self, db: sqlite3.Connection, tables: Collection[str]) -> None:
        self.db = db
        marks = ", ".join("?" for _ in tables)
        self.found: list[tuple[str, str]] = db.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' "
            f"AND sql IS NOT NULL AND tbl_name IN ({marks})", list(tables)).fetchall()
        for name, _ in self.found:
            db.execute(f'DROP INDEX "{name}"')

    def restore(self) -> None:
        for _, sql in self.found:
            self.db.execute(sql)
        self.found = []


def database_file(db: sqlite3.Connection) -> str:
    """The connection's database file ('' for an in-memory or temporary database)."""
    return str(next(row[2] for row in db.execute("PRAGMA database_list") if row[1] == "main"))


def rebuild_streams(db: sqlite3.Connection, head: int, tables: Collection[Any],
                    clear: Callable[[], None]) -> int:
    """Empty the view tables (`clear`) and fold events 1..head into them; returns how
    many were read.

    A long log is folded by two processes, one per core (`rebuild_worker.py`): the
    worker takes the campaigns and the streams whose id ends below SPLIT, this
    process the other streams and all the writing. The worker starts first, so that
    it folds while this process drops the old views.
    """
    specs = table_specs(tables)
    sink = SqliteSink(db, specs)
    path = database_file(db)
    with gc_paused(), load_settings(db, CACHE_KIB):
        if head < PARALLEL_FROM or not path or (os.cpu_count() or 1) < 2:
            clear()
            indexes = DeferredIndexes(db, list(specs))
            count = fold_log(db, head, Fold(sink, specs))
            indexes.restore()
            return count
        from kiemtra.projections.rebuild_worker import WorkerProcess

        fold = Fold(sink, specs, (SPLIT, None), reads_plans=False)
        worker = None
        try:
            worker = WorkerProcess(path, head, ("", SPLIT), specs, sink, fold.take_seeds)
            clear()
            indexes = DeferredIndexes(db, list(specs))
            count = fold_log(db, head, fold, worker.drain)
            indexes.restore()  # while the worker finishes its share
            count += worker.finish()
            fold.settle()
            return count
        finally:
            if worker is not None:
                worker.stop()
