"""Reading the view tables: plain SQL through the database's own driver.

On SQLite the read path uses the standard library's `sqlite3`, so a `kiemtra status`
that finds the views up to date never imports SQLAlchemy (150 ms of start-up); on
PostgreSQL it goes through a SQLAlchemy connection. Queries use `:name` parameters,
which both sqlite3 and SQLAlchemy's `text()` understand; values come back normalised
by `as_date`, `as_json` and `bool`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import date
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine


class Reader(Protocol):
    def rows(self, sql: str, params: Mapping[str, Any] | None = None
             ) -> list[dict[str, Any]]: ...

    def event_state(self, position: int) -> bytes:
        """The stored state of the event recorded at `position` (a notification id)."""

    def marks_and_head(self) -> tuple[dict[str, int], int]:
        """The views' tracking marks ({} if none) and the position of the last event."""

    def events_of(self, streams: list[str]) -> list[Any]:
        """Every event of these streams (ids as hex), in recording order."""

    def events_after(self, position: int, limit: int) -> list[Any]: ...

    def close(self) -> None: ...


class SqliteReader:
    def __init__(self, path: str | None = None, *,
                 connection: sqlite3.Connection | None = None) -> None:
        self.own = connection is None
        self.conn = connection or sqlite3.connect(path or ":memory:", timeout=10)

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        values = {k: v.isoformat() if isinstance(v, date) else v
                  for k, v in (params or {}).items()}
        cursor = self.conn.execute(sql, values)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor]

    def event_state(self, position: int) -> bytes:
        found = self.conn.execute("SELECT state FROM stored_events WHERE rowid = ?",
                                  (position,)).fetchone()
        return bytes(found[0])

    def marks_and_head(self) -> tuple[dict[str, int], int]:
        from kiemtra.projections.log import has_events
        from kiemtra.projections.schema import TRACKING

        tracked = self.conn.execute("SELECT 1 FROM main.sqlite_master WHERE type = 'table' "
                                    "AND name = ?", (TRACKING.name,)).fetchone()
        marks = ({name: int(p) for name, p in self.conn.execute(
            f"SELECT name, position FROM main.{TRACKING.name}")} if tracked else {})
        head = (self.conn.execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
                if has_events(self.conn) else 0)
        return marks, int(head or 0)

    def events_of(self, streams: list[str]) -> list[Any]:
        from kiemtra.projections.backends import SqliteSession

        session = SqliteSession(self.conn)
        return sorted(e for s in streams for e in session.stream_events(s, session.head()))

    def events_after(self, position: int, limit: int) -> list[Any]:
        from kiemtra.projections.backends import SqliteSession

        return list(SqliteSession(self.conn).events_after(position, limit))

    def close(self) -> None:
        if self.own:
            self.conn.close()


class EngineReader:
    """The same questions through SQLAlchemy (PostgreSQL)."""

    def __init__(self, engine: Engine) -> None:
        self.conn = engine.connect()

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        from sqlalchemy import text

        return [dict(r) for r in self.conn.execute(text(sql), dict(params or {})).mappings()]

    def event_state(self, position: int) -> bytes:
        from sqlalchemy import text

        from kiemtra.projections.backends import POSTGRES_EVENTS

        return bytes(self.conn.execute(text(f"SELECT state FROM {POSTGRES_EVENTS} "
                                            "WHERE notification_id = :p"),
                                       {"p": position}).scalar_one())

    def marks_and_head(self) -> tuple[dict[str, int], int]:
        from kiemtra.projections.backends import EngineSession

        session = EngineSession(self.conn)
        return session.marks() or {}, session.head()

    def events_of(self, streams: list[str]) -> list[Any]:
        from kiemtra.projections.backends import EngineSession

        session = EngineSession(self.conn)
        head = session.head()
        return sorted(e for s in streams for e in session.stream_events(s, head))

    def events_after(self, position: int, limit: int) -> list[Any]:
        from kiemtra.projections.backends import EngineSession

        return list(EngineSession(self.conn).events_after(position, limit))

    def close(self) -> None:
        self.conn.close()
