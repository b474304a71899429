"""How attachments are kept in a SQLite database, and read back a piece at a time.

Release 0.1 kept each file whole in `attachments.content`. Since 0.2 the row keeps the
file's SHA-256 and size with an empty `content`, and the bytes are in
`attachment_chunks`, `files.CHUNK` bytes per row, so neither storing nor reading a file
ever holds all of it in memory. Both forms read alike here, through the standard
library's sqlite3: the audit checks read the file directly, without the event store.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterator

ATTACHMENTS_TABLE = "attachments"
CHUNKS_TABLE = "attachment_chunks"


def has_table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                        (name,)).fetchone() is not None


def pieces(conn: sqlite3.Connection, sha256: str) -> Iterator[bytes]:
    """The stored bytes of one attachment, in order (nothing if it is not stored)."""
    row = conn.execute(f"SELECT content FROM {ATTACHMENTS_TABLE} WHERE sha256 = ?",
                       (sha256,)).fetchone()
    if row is None:
        return
    if row[0]:  # kept whole, as 0.1 did
        yield bytes(row[0])
        return
    if has_table(conn, CHUNKS_TABLE):
        for (data,) in conn.execute(f"SELECT data FROM {CHUNKS_TABLE} WHERE sha256 = ? "
                                    "ORDER BY seq", (sha256,)):
            yield bytes(data)


def stored_digest(conn: sqlite3.Connection, sha256: str) -> str:
    """The SHA-256 of the bytes stored under `sha256`: the same, unless they were altered."""
    digest = hashlib.sha256()
    for piece in pieces(conn, sha256):
        digest.update(piece)
    return digest.hexdigest()


def stored_codes(conn: sqlite3.Connection) -> Iterator[str]:
    """The SHA-256 names of every stored attachment."""
    if has_table(conn, ATTACHMENTS_TABLE):
        for (sha,) in conn.execute(f"SELECT sha256 FROM {ATTACHMENTS_TABLE} ORDER BY sha256"):
            yield str(sha)
