"""The event log as the views' SQLite readers see it: the events table of the file itself,
or — for views kept in memory over a database that may not be written — that of the
file attached read-only (unqualified, SQLite finds the table in whichever has it)."""

from __future__ import annotations

import sqlite3

SQLITE_EVENTS = "stored_events"  # the library's SQLite module's table


def has_events(db: sqlite3.Connection) -> bool:
    """Whether the connection sees an events table, in its own file or one attached."""
    try:
        db.execute(f"SELECT 1 FROM {SQLITE_EVENTS} LIMIT 0")
    except sqlite3.OperationalError:
        return False
    return True
