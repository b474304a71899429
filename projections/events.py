"""Reading the event log for the views: notifications after a position, decoded to dicts.

The views read the events table with their own connection, inside the same
transaction that writes the view rows and the tracking position; decoding uses
the same transcodings as the event store.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any
from uuid import UUID

from sqlalchemy import Connection, text

# The events table: the library's SQLite module names it `stored_events`, its PostgreSQL
# module after the application (`EventStore.name` + "_events"; tests/integration/
# test_postgres.py checks it against the store's recorder).
EVENTS_TABLE = "stored_events"
POSTGRES_EVENTS_TABLE = "kiemtra_events"


@dataclass(frozen=True)
class StoredNotification:
    id: int
    originator_id: str  # hex
    originator_version: int
    topic: str
    state: bytes


def _id_column(conn: Connection) -> str:
    return "rowid" if conn.dialect.name == "sqlite" else "notification_id"


def events_table(conn: Connection) -> str:
    return EVENTS_TABLE if conn.dialect.name == "sqlite" else POSTGRES_EVENTS_TABLE


def events_table_exists(conn: Connection) -> bool:
    from sqlalchemy import inspect

    return inspect(conn).has_table(events_table(conn))


def head(conn: Connection) -> int:
    """The id of the last event recorded (0 when there is none)."""
    if not events_table_exists(conn):
        return 0
    found = conn.execute(text(f"SELECT MAX({_id_column(conn)}) "
                              f"FROM {events_table(conn)}")).scalar()
    return int(found or 0)


def event_state(conn: Connection, position: int) -> bytes:
    """The stored state of the event recorded at `position`."""
    found = conn.execute(text(f"SELECT state FROM {events_table(conn)} "
                              f"WHERE {_id_column(conn)} = :position"),
                         {"position": position}).scalar_one()
    return bytes(found)


def read_notifications(conn: Connection, after: int, limit: int) -> list[StoredNotification]:
    column = _id_column(conn)
    rows = conn.execute(text(
        f"SELECT {column}, originator_id, originator_version, topic, state "
        f"FROM {events_table(conn)} WHERE {column} > :after ORDER BY {column} LIMIT :limit"
    ), {"after": after, "limit": limit})
    return [StoredNotification(int(r[0]), str(r[1]).replace("-", ""), int(r[2]), r[3],
                               bytes(r[4])) for r in rows]


def read_streams(conn: Connection, originator_ids: list[str]) -> list[StoredNotification]:
    """Every event of the given streams, in recording order."""
    column = _id_column(conn)
    # SQLite keeps stream ids as hex text; PostgreSQL as its uuid type.
    as_stored: Any = str if conn.dialect.name == "sqlite" else UUID
    found: list[StoredNotification] = []
    for i in range(0, len(originator_ids), 500):
        chunk = originator_ids[i:i + 500]
        marks = ", ".join(f":id{j}" for j in range(len(chunk)))
        rows = conn.execute(text(
            f"SELECT {column}, originator_id, originator_version, topic, state "
            f"FROM {events_table(conn)} WHERE originator_id IN ({marks})"
        ), {f"id{j}": as_stored(oid) for j, oid in enumerate(chunk)})
        found += [StoredNotification(int(r[0]), str(r[1]).replace("-", ""), int(r[2]), r[3],
                                     bytes(r[4])) for r in rows]
    return sorted(found, key=lambda n: n.id)


class EventDecoder:
    """Stored event → (event class name, its attributes)."""

    @cached_property
    def transcoder(self) -> Any:
        from kiemtra.workflow.transcoding import transcoder

        return transcoder()

    def decode(self, notification: StoredNotification) -> tuple[str, dict[str, Any]]:
        data: dict[str, Any] = self.transcoder.decode(notification.state)
        return notification.topic.rsplit(".", 1)[-1], data
