"""How attachments are kept in kiemtra's database, and read back a piece at a time.

Release 0.1 kept each file whole in `attachments.content`. Since 0.2 the row keeps the
file's SHA-256 and size with an empty `content`, and the bytes are in
`attachment_chunks`, `files.CHUNK` bytes per row, so neither storing nor reading a file
ever holds all of it in memory. Both forms read alike here, on SQLite and on
PostgreSQL (which has only the second), through `raw_log`: the audit checks read the
tables directly, without the event store.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator

from kiemtra.workflow.log_tables import RawLog

ATTACHMENTS_TABLE = "attachments"
CHUNKS_TABLE = "attachment_chunks"


def pieces(log: RawLog, sha256: str) -> Iterator[bytes]:
    """The stored bytes of one attachment, in order, one piece in memory at a time
    (nothing if it is not stored)."""
    if not log.has_table(ATTACHMENTS_TABLE):
        return
    row = log.one(f"SELECT content FROM {ATTACHMENTS_TABLE} WHERE sha256 = ?", (sha256,))
    if row is None:
        return
    if row[0]:  # kept whole, as 0.1 did (on SQLite)
        yield bytes(row[0])
        return
    if log.has_table(CHUNKS_TABLE):
        for (data,) in log.rows(f"SELECT data FROM {CHUNKS_TABLE} WHERE sha256 = ? "
                                "ORDER BY seq", (sha256,), batch=1):
            yield bytes(data)


def stored_digest(log: RawLog, sha256: str) -> str:
    """The SHA-256 of the bytes stored under `sha256`: the same, unless they were altered."""
    digest = hashlib.sha256()
    for piece in pieces(log, sha256):
        digest.update(piece)
    return digest.hexdigest()


def stored_codes(log: RawLog) -> list[str]:
    """The SHA-256 names of every stored attachment."""
    if not log.has_table(ATTACHMENTS_TABLE):
        return []
    return [str(sha) for (sha,) in log.rows(
        f"SELECT sha256 FROM {ATTACHMENTS_TABLE} ORDER BY sha256")]


def is_stored(log: RawLog, sha256: str) -> bool:
    return log.has_table(ATTACHMENTS_TABLE) and log.one(
        f"SELECT 1 FROM {ATTACHMENTS_TABLE} WHERE sha256 = ?", (sha256,)) is not None


def codes_beginning(log: RawLog, prefix: str) -> list[str]:
    """The stored codes that begin with `prefix` (at most 10: enough to say it is
    ambiguous)."""
    if not log.has_table(ATTACHMENTS_TABLE):
        return []
    return [str(row[0]) for row in log.rows(
        f"SELECT sha256 FROM {ATTACHMENTS_TABLE} WHERE substr(sha256, 1, ?) = ? "
        "ORDER BY sha256 LIMIT 10", (len(prefix), prefix))]


def first_naming(log: RawLog, sha256: str) -> int:
    """The position of the first event whose stored payload names `sha256` (0: none)."""
    if not log.has_table(log.events):
        return 0
    return int(log.value(f"SELECT MIN({log.position}) FROM {log.events} WHERE "
                         f"{log.contains('state')}", (sha256.encode("ascii"),)) or 0)
