"""The status projector: folds the event log into the read models, each event once.

It pulls notifications after its tracked position (the SQLite recorder cannot
push), in batches. A batch is read, applied and recorded with its new tracking
position in one transaction that holds the database's write lock, so a crash at
any point leaves the views before or after the batch — never half-applied — and
two processes catching up at once apply each event once. As a second guard,
each inspection row remembers the version of the last event applied to it.

Rows are evolved with `domain.record.evolve`, the same function the aggregate
uses, and deadlines come from `domain.record.open_deadlines`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kiemtra.domain.delivery import evolve_delivery, new_delivery
from kiemtra.domain.record import evolve
from kiemtra.domain.topics import DELIVERY, INSPECTION, kind_of
from kiemtra.projections import tables as t
from kiemtra.projections.events import EventDecoder, StoredNotification, head, read_notifications
from kiemtra.projections.rows import (
    Row,
    campaign_row,
    delivery_from_row,
    delivery_to_row,
    orphan_row,
    plan_rows,
)
from kiemtra.projections.schema import SCHEMA_VERSION
from sqlalchemy import Connection, Engine, delete, insert, inspect, select, update

NAME = "status"
SCHEMA = "schema"
IN_CHUNK = 500
# `refresh` rebuilds views that trail the log by REBUILD_FROM events or more, when that
# is also a REBUILD_SHARE-th of the log or more; fewer new events are caught up.
REBUILD_FROM = 10_000
REBUILD_SHARE = 10
Hook = Callable[[str, int], None]  # (point, events applied so far in the batch)


def far_behind(position: int, head: int) -> bool:
    """Views at `position` of a log ending at `head` are cheaper to rebuild than to catch
    up (on SQLite)."""
    behind = head - position
    return behind >= REBUILD_FROM and behind * REBUILD_SHARE >= head


@dataclass
class Batch:
    """The rows one batch touches, loaded once and written once."""

    rows: dict[str, Row] = field(default_factory=dict)
    campaigns: list[dict[str, Any]] = field(default_factory=list)
    deliveries: dict[str, dict[str, Any]] = field(default_factory=dict)  # oid -> row


class StatusProjector:
    """Keeps `view_campaigns`, `view_inspections` and `view_deadlines` up to date."""

    def __init__(self, engine: Engine, *, batch_size: int = 2000,
                 hook: Hook | None = None) -> None:
        self.engine = engine
        self.batch_size = batch_size
        self.hook = hook
        self.decoder = EventDecoder()

    # --- public -----------------------------------------------------------------------

    def ensure_tables(self) -> None:
        """Create missing view tables; replace views of another schema version.

        All under the write lock, so that two processes doing it at once take turns
        and the second finds the work done.
        """
        with self._locked() as conn:
            self._ensure_tables(conn)

    def _ensure_tables(self, conn: Connection) -> None:
        t.metadata.create_all(conn, checkfirst=True)
        if self._marks(conn).get(SCHEMA) != SCHEMA_VERSION:
            self._reset(conn)

    def _marks(self, conn: Connection) -> dict[str, int]:
        """The tracking table's rows: each projector's position, and the schema version."""
        return {name: int(position) for name, position in conn.execute(
            select(t.tracking.c.name, t.tracking.c.position))}

    def _reset(self, conn: Connection) -> None:
        t.metadata.drop_all(conn, tables=[*t.VIEWS, t.tracking], checkfirst=True)
        t.metadata.create_all(conn, checkfirst=True)
        conn.execute(insert(t.tracking), [{"name": NAME, "position": 0},
                                          {"name": SCHEMA, "position": SCHEMA_VERSION}])

    def _locked(self) -> Any:
        """A transaction that holds the write lock (SQLite) or the tracking rows (others)."""
        from contextlib import contextmanager

        @contextmanager
        def block() -> Any:
            with self.engine.connect().execution_options(immediate=True) as conn, \
                    conn.begin():
                if conn.dialect.name != "sqlite" and inspect(conn).has_table(t.tracking.name):
                    conn.execute(select(t.tracking.c.position).with_for_update())
                yield conn

        return block()

    def head(self, conn: Connection) -> int:
        return head(conn)

    def position(self, conn: Connection) -> int:
        found: int | None = conn.execute(select(t.tracking.c.position)
                                         .where(t.tracking.c.name == NAME)).scalar()
        return int(found or 0)

    def catch_up(self) -> int:
        """Apply every event recorded after the tracked position; returns how many."""
        applied = 0
        while True:
            with self.engine.connect() as conn:
                if self.position(conn) >= self.head(conn):
                    conn.rollback()
                    return applied
                conn.rollback()
            with self._locked() as conn:
                start = self.position(conn)  # again, under the lock
                notifications = read_notifications(conn, start, self.batch_size)
                if not notifications:
                    return applied
                self.apply(conn, start, notifications)
                applied += len(notifications)

    def refresh(self) -> int:
        """Bring the views up to date the cheaper way; returns how many events were read.

        On SQLite, views that are missing, of another layout, or far behind the log are
        rebuilt in one pass (`fast_rebuild.py`: per event about a fifteenth of the time
        of catching up batch by batch), so that the first read after an upgrade or a bulk
        load does not replay a province's log through the batch projector. The decision
        is taken under the write lock, so two processes do not both rebuild. Otherwise,
        and elsewhere, the new events are caught up.
        """
        if self.engine.dialect.name != "sqlite":
            with self._locked() as conn:
                if self._stale(conn):
                    self._ensure_tables(conn)
            return self.catch_up()
        from kiemtra.projections.fast_rebuild import StreamReopened

        try:
            with self._locked() as conn:
                if self._stale(conn):
                    return self._rebuild_locked(conn)
        except StreamReopened:
            return self._reset_and_catch_up()
        return self.catch_up()

    def rebuild(self) -> int:
        """Drop every view and fold the whole log again.

        On SQLite in one pass and one write-locked transaction (`fast_rebuild.py`);
        elsewhere in committed batches of the log.
        """
        if self.engine.dialect.name != "sqlite":
            return self._reset_and_catch_up()
        from kiemtra.projections.fast_rebuild import StreamReopened

        try:
            with self._locked() as conn:
                return self._rebuild_locked(conn)
        except StreamReopened:  # a log kiemtra did not write: the general path copes
            return self._reset_and_catch_up()

    def _stale(self, conn: Connection) -> bool:
        """Missing, of another layout, or `far_behind`."""
        if not inspect(conn).has_table(t.tracking.name):
            return True
        marks = self._marks(conn)
        if marks.get(SCHEMA) != SCHEMA_VERSION:
            return True
        return far_behind(marks.get(NAME, 0), self.head(conn))

    def _rebuild_locked(self, conn: Connection) -> int:
        """The SQLite rebuild, inside the caller's write-locked transaction."""
        from kiemtra.projections.fast_rebuild import rebuild_streams

        head = self.head(conn)
        if not head:  # nothing recorded yet, maybe not even the events table
            self._reset(conn)
            return 0
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        count = rebuild_streams(raw, head, t.VIEWS, lambda: self._reset(conn))
        conn.execute(update(t.tracking).where(t.tracking.c.name == NAME).values(position=head))
        return count

    def _reset_and_catch_up(self) -> int:
        with self._locked() as conn:
            self._reset(conn)
        return self.catch_up()

    # --- one batch, inside the caller's transaction ------------------------------------

    def apply(self, conn: Connection, start: int,
              notifications: Sequence[StoredNotification]) -> None:
        batch = Batch()
        decoded = [(n, *self.decoder.decode(n)) for n in notifications
                   if kind_of(n.topic) is not None]  # other streams are not the views'
        self._load_rows(conn, batch, {n.originator_id for n, name, _ in decoded
                                      if kind_of(n.topic)[0] == INSPECTION})  # type: ignore[index]
        self._load_deliveries(conn, batch, {n.originator_id for n, name, _ in decoded
                                            if kind_of(n.topic) == (DELIVERY, name)
                                            and name != "Claimed"})
        for count, (n, name, data) in enumerate(decoded, 1):
            if kind_of(n.topic)[0] == DELIVERY:  # type: ignore[index]
                self._delivery_event(batch, n, name, data)
            elif name == "PlanImported":
                self._plan_imported(batch, n, data)
            else:
                row = batch.rows.get(n.originator_id)
                if row is None:
                    row = batch.rows[n.originator_id] = orphan_row(n.originator_id, data)
                if n.originator_version > row.version:  # never twice
                    evolve(row.record, name, data)
                    row.version = n.originator_version
            if self.hook:
                self.hook("event", count)
        self._write(conn, batch)
        if self.hook:
            self.hook("written", len(decoded))
        moved = conn.execute(update(t.tracking)
                             .where(t.tracking.c.name == NAME, t.tracking.c.position == start)
                             .values(position=notifications[-1].id)).rowcount
        if moved != 1:
            msg = f"projection position moved under us (expected {start})"
            raise RuntimeError(msg)

    def _load_rows(self, conn: Connection, batch: Batch, ids: set[str]) -> None:
        wanted = sorted(ids)
        for i in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[i:i + IN_CHUNK]
            for row in conn.execute(select(t.inspections)
                                    .where(t.inspections.c.originator_id.in_(chunk))):
                batch.rows[row.originator_id] = Row.from_db(row._mapping)

    def _load_deliveries(self, conn: Connection, batch: Batch, ids: set[str]) -> None:
        wanted = sorted(ids)
        for i in range(0, len(wanted), IN_CHUNK):
            query = select(t.deliveries).where(
                t.deliveries.c.originator_id.in_(wanted[i:i + IN_CHUNK]))
            for row in conn.execute(query):
                batch.deliveries[row.originator_id] = dict(row._mapping)

    def _delivery_event(self, batch: Batch, n: StoredNotification, name: str,
                        data: dict[str, Any]) -> None:
        row = batch.deliveries.get(n.originator_id)
        if name == "Claimed":
            record = new_delivery(data)
        elif row is None or n.originator_version <= row["version"]:
            return  # applied before
        else:
            record = delivery_from_row(row)
            evolve_delivery(record, name, data)
        batch.deliveries[n.originator_id] = delivery_to_row(n.originator_id,
                                                             n.originator_version, record)

    def _plan_imported(self, batch: Batch, n: StoredNotification, data: dict[str, Any]) -> None:
        batch.campaigns.append(campaign_row(n.id, data))
        batch.rows.update(plan_rows(data["code"], data["plan"]["units"]))

    def _write(self, conn: Connection, batch: Batch) -> None:
        if batch.campaigns:  # replace, so replaying from an earlier position converges
            keys = [c["code_key"] for c in batch.campaigns]
            conn.execute(delete(t.campaigns).where(t.campaigns.c.code_key.in_(keys)))
            conn.execute(insert(t.campaigns), batch.campaigns)
        ids = sorted(batch.rows)
        for i in range(0, len(ids), IN_CHUNK):
            chunk = ids[i:i + IN_CHUNK]
            conn.execute(delete(t.inspections).where(t.inspections.c.originator_id.in_(chunk)))
            conn.execute(delete(t.deadlines).where(t.deadlines.c.originator_id.in_(chunk)))
        rows = list(batch.rows.values())
        if rows:
            conn.execute(insert(t.inspections), [r.to_db() for r in rows])
        items = [item for r in rows for item in r.deadlines()]
        if items:
            conn.execute(insert(t.deadlines), items)
        sent = sorted(batch.deliveries)
        for i in range(0, len(sent), IN_CHUNK):
            conn.execute(delete(t.deliveries).where(
                t.deliveries.c.originator_id.in_(sent[i:i + IN_CHUNK])))
        if sent:
            conn.execute(insert(t.deliveries), list(batch.deliveries.values()))
