"""PostgreSQL advisory locks that keep kiemtra's processes from racing each other.

PostgreSQL's `CREATE TABLE IF NOT EXISTS` is not safe when two sessions run it at once:
both see no table, both insert it into the catalogue, and one fails ("duplicate key value
violates unique constraint pg_type_typname_nsp_index", "tuple concurrently updated"). So
every creation of kiemtra's tables — the event store's, the views', the scheduler's —
first takes one transaction-scoped advisory lock, SCHEMA_LOCK, and looks again under it:
processes starting together on an empty database take turns, and all but the first find
the tables made. VIEWS_LOCK is the views' write lock (a catch-up, a rebuild), which on an
empty database also covers making the view tables.

A transaction-scoped lock (`pg_advisory_xact_lock`) is released by COMMIT or ROLLBACK,
and by the server when the connection is gone (a process killed), so it is never left
behind. On SQLite nothing is needed: a writer there holds the whole file's lock.
No driver is imported here, so a SQLite-only install (no psycopg) can use these names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection

SCHEMA_LOCK = 0x6B69656D74726101  # "kiemtr" 01: creating tables
VIEWS_LOCK = 0x6B69656D74726102  # "kiemtr" 02: writing the views

ADVISORY_LOCK_SQL = "SELECT pg_advisory_xact_lock(%s)"  # psycopg's placeholder


def advisory_lock(conn: Connection, key: int) -> None:
    """Hold advisory lock `key` until `conn`'s transaction ends (PostgreSQL only)."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy import text

        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
