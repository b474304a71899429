"""Making the hash chain again where it was removed or cut short: `kiemtra audit rechain`.

A chain that went missing while the events stayed (its table dropped or emptied, its
last links deleted) blocks every write (`store.SQLiteRecorder._extend_chain`): going on
from the wrong place would make the next link vouch for events nobody checked. Someone
responsible looks (`audit verify`), then says so with this command. The links that still
exist are checked first — each must match its event, or nothing is done (an edited event
is not blessed: restore a backup) — and only the missing tail is linked, in one
transaction holding the write lock, with a row that says from where, when, by whom and
why. `audit verify` reports that row from then on: the chain vouches for those
positions only since.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiemtra.domain.chain import GENESIS, event_link
from kiemtra.domain.text import clean_text
from kiemtra.workflow.database import Database
from kiemtra.workflow.errors import (
    ChainContradicted,
    ChainIntact,
    EventsRemoved,
    StorageUnavailable,
)

EVENTS = "stored_events"  # the library's table, as the SQLite recorder names it
CHAIN = "event_chain"
REBUILT_LINKS = "event_chain_rechained"
REBUILT_LINKS_DDL = (f"CREATE TABLE IF NOT EXISTS {REBUILT_LINKS} (chained_from INTEGER NOT "
                     "NULL, chained_through INTEGER NOT NULL, chained_at TEXT NOT NULL, "
                     "actor TEXT NOT NULL, reason TEXT NOT NULL)")


@dataclass(frozen=True)
class Rechained:
    chained_from: int
    chained_through: int
    actor: str
    reason: str
    chained_at: str

    def to_json(self) -> dict[str, Any]:
        return {"chained_from": self.chained_from, "chained_through": self.chained_through,
                "actor": self.actor, "reason": self.reason, "chained_at": self.chained_at}

    def text(self, lang: str) -> str:
        if lang == "vi":
            return (f"Đã nối lại chuỗi băm cho các vị trí {self.chained_from}–"
                    f"{self.chained_through} (người thực hiện: {self.actor}). Từ nay “kiemtra "
                    "audit verify” luôn nêu việc này.")
        return (f"The hash chain was made again for positions {self.chained_from}–"
                f"{self.chained_through} (by {self.actor}). 'kiemtra audit verify' reports "
                "this from now on.")


def rechain(database: Database, actor: str, reason: str, now: datetime) -> Rechained:
    """Link the events after the last link that still holds, and record it."""
    if database.is_postgres:
        raise StorageUnavailable(db=database.label(), reason=(
            "chuỗi băm chưa được hỗ trợ trên PostgreSQL", "the hash chain is not supported "
            "on PostgreSQL yet"))
    why = clean_text("reason", reason)
    found = database.found()  # a folder, another application's file…: refused, untouched
    if not found.holds_data:
        raise StorageUnavailable(db=database.label(), reason=("tệp không tồn tại",
                                                              "no such file"))
    found.require_writable(database)
    conn = sqlite3.connect(str(database.sqlite_path), isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN IMMEDIATE")  # no write between the check and the new links
        conn.execute(f"CREATE TABLE IF NOT EXISTS {CHAIN} (position INTEGER PRIMARY KEY, "
                     "hash BLOB NOT NULL)")
        conn.execute(REBUILT_LINKS_DDL)
        previous, start, tail = _after_last_good_link(conn)
        links = []
        for position, oid, version, topic, payload in tail:
            previous = _link(previous, position, oid, version, topic, payload)
            links.append((position, previous))
        if not links:
            head = conn.execute(f"SELECT MAX(rowid) FROM {EVENTS}").fetchone()[0] or 0
            raise ChainIntact(position=head)
        conn.executemany(f"INSERT INTO {CHAIN} VALUES (?, ?)", links)
        done = Rechained(start, links[-1][0], actor, why,
                         now.isoformat(timespec="seconds"))
        conn.execute(f"INSERT INTO {REBUILT_LINKS} VALUES (?, ?, ?, ?, ?)",
                     (done.chained_from, done.chained_through, done.chained_at, actor, why))
        conn.execute("COMMIT")
        return done
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    finally:
        conn.close()


def _after_last_good_link(conn: sqlite3.Connection
                          ) -> tuple[bytes, int, Iterator[tuple[Any, ...]]]:
    """(the last good link's hash, the first position to link, the events to link).
    Every existing link is checked against its event; one that does not match refuses."""
    previous = GENESIS
    rows = conn.execute(f"SELECT e.rowid, e.originator_id, e.originator_version, e.topic, "
                        f"e.state, c.hash FROM {EVENTS} e LEFT JOIN {CHAIN} c "
                        "ON c.position = e.rowid ORDER BY e.rowid")
    for position, oid, version, topic, payload, stored in rows:
        if stored is None:
            rest = conn.execute(f"SELECT rowid, originator_id, originator_version, topic, "
                                f"state FROM {EVENTS} WHERE rowid >= ? ORDER BY rowid",
                                (position,)).fetchall()
            if conn.execute(f"SELECT 1 FROM {CHAIN} WHERE position > ?",
                            (position,)).fetchone():
                raise ChainContradicted(position=position)  # a hole, then links again
            return previous, int(position), iter(rest)
        if _link(previous, position, oid, version, topic, payload) != stored:
            raise ChainContradicted(position=position)
        previous = bytes(stored)
    last = conn.execute(f"SELECT MAX(rowid) FROM {EVENTS}").fetchone()[0] or 0
    if conn.execute(f"SELECT 1 FROM {CHAIN} WHERE position > ?", (last,)).fetchone():
        raise EventsRemoved(position=last + 1)  # links whose events were deleted
    return previous, 0, iter(())


def _link(previous: bytes, position: int, oid: Any, version: Any, topic: Any,
          payload: Any) -> bytes:
    """The event's link; ChainContradicted if a column holds what the store never writes
    (text in the payload's place, a version that is not a number): an altered event."""
    if not isinstance(payload, bytes):
        raise ChainContradicted(position=position)
    try:
        return event_link(previous, position, oid, version, topic, payload)
    except (ValueError, TypeError, OverflowError):
        raise ChainContradicted(position=position) from None
