"""Reading the view tables: plain SQL through the database's own driver.

The tables are defined and written with SQLAlchemy (`tables.py`,
`projector.py`); reading them back needs nothing but a cursor. On SQLite the
read path uses the standard library's `sqlite3`, so a `kiemtra status` that
finds the views up to date never imports SQLAlchemy (150 ms of start-up).
Queries use `:name` parameters, which both sqlite3 and SQLAlchemy's `text()`
understand; values come back normalised by `as_date`, `as_json` and `bool`.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine


EVENTS_TABLE = "stored_events"


class Reader(Protocol):
    def rows(self, sql: str, params: Mapping[str, Any] | None = None
             ) -> list[dict[str, Any]]: ...

    def has_table(self, name: str) -> bool: ...

    def head(self) -> int:
        """The id of the last event recorded (0 when there is none)."""

    def event_state(self, position: int) -> bytes:
        """The stored state of the event recorded at `position` (a notification id)."""

    def close(self) -> None: ...


class SqliteReader:
    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, timeout=10)
        self.conn.row_factory = sqlite3.Row

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        values = {k: v.isoformat() if isinstance(v, date) else v
                  for k, v in (params or {}).items()}
        return [dict(r) for r in self.conn.execute(sql, values)]

    def has_table(self, name: str) -> bool:
        found = self.conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND "
                                  "name = ?", (name,)).fetchone()
        return found is not None

    def head(self) -> int:
        if not self.has_table(EVENTS_TABLE):
            return 0
        return int(self.conn.execute(f"SELECT MAX(rowid) FROM {EVENTS_TABLE}").fetchone()[0]
                   or 0)

    def event_state(self, position: int) -> bytes:
        found = self.conn.execute(f"SELECT state FROM {EVENTS_TABLE} WHERE rowid = ?",
                                  (position,)).fetchone()
        return bytes(found[0])

    def close(self) -> None:
        self.conn.close()


class EngineReader:
    """The same questions through SQLAlchemy (PostgreSQL, or an in-memory view)."""

    def __init__(self, engine: Engine) -> None:
        self.conn = engine.connect()

    def rows(self, sql: str, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        from sqlalchemy import text

        return [dict(r) for r in self.conn.execute(text(sql), dict(params or {})).mappings()]

    def has_table(self, name: str) -> bool:
        from sqlalchemy import inspect

        return bool(inspect(self.conn).has_table(name))

    def head(self) -> int:
        from kiemtra.projections.events import head

        return head(self.conn)

    def event_state(self, position: int) -> bytes:
        from kiemtra.projections.events import event_state

        return event_state(self.conn, position)

    def close(self) -> None:
        self.conn.close()


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def as_json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value
