"""Altering a kiemtra database as someone with access to it would, on SQLite or PostgreSQL.

The audit tests write their alterations once, in SQLite's words (`stored_events`, `rowid`,
`?`, `instr`, `replace` on the payload); on PostgreSQL `Tamper` says the same in its words
(`kiemtra_events`, `notification_id`, `%s`, `position(… IN …)`, `replace` through UTF-8
text). The translation is the test's, not the product's: the product writes its queries
through `RawLog`, and these tests check them against rows changed behind its back.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kiemtra.workflow.database import Database

_POSTGRES_WORDS = [
    (re.compile(r"\bstored_events\b"), "kiemtra_events"),
    (re.compile(r"\browid\b"), "notification_id"),
    (re.compile(r"instr\((\w+), \?\) > 0"), r"position(?::bytea IN \1) > 0"),
    (re.compile(r"replace\(state, ('[^']*'), ('[^']*')\)"),
     r"convert_to(replace(convert_from(state, 'UTF8'), \1, \2), 'UTF8')"),
    (re.compile(r"\?"), "%s"),
]


def in_postgres_words(sql: str) -> str:
    for pattern, words in _POSTGRES_WORDS:
        sql = pattern.sub(words, sql)
    return sql


class Tamper:
    """`execute(sql, params)` as sqlite3's, on either database (autocommit: each statement
    is kept at once, unless between an explicit BEGIN and COMMIT)."""

    def __init__(self, conn: Any, postgres: bool) -> None:
        self.conn, self.postgres = conn, postgres

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        if self.postgres:
            return self.conn.execute(in_postgres_words(sql), params)
        return self.conn.execute(sql, params)


@contextmanager
def tamper(database: Database) -> Iterator[Tamper]:
    if database.is_postgres:
        import psycopg

        with psycopg.connect(database.url, autocommit=True) as conn:
            yield Tamper(conn, postgres=True)
        return
    conn = sqlite3.connect(database.sqlite_path, isolation_level=None)
    try:
        yield Tamper(conn, postgres=False)
    finally:
        conn.close()
