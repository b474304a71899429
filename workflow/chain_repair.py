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
from kiemtra.workflow.log_tables import RawLog, raw_log

CHAIN = "event_chain"
REBUILT_LINKS = "event_chain_rechained"
CHAIN_DDL = f"CREATE TABLE IF NOT EXISTS {CHAIN} (position INTEGER PRIMARY KEY, hash BLOB NOT NULL)"
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
    why = clean_text("reason", reason)
    if not database.is_postgres:
        found = database.found()  # a folder, another application's file…: refused, untouched
        if not found.holds_data:
            raise StorageUnavailable(db=database.label(), reason=("tệp không tồn tại",
                                                                  "no such file"))
        found.require_writable(database)
    with raw_log(database, write=True) as log:  # no write between the check and the links
        if not log.has_table(log.events):
            raise ChainIntact(position=0)
        for ddl in (CHAIN_DDL, REBUILT_LINKS_DDL):
            log.execute(ddl.replace("INTEGER", "BIGINT").replace("BLOB", "BYTEA")
                        if log.postgres else ddl)
        previous, start, tail = _after_last_good_link(log)
        links = []
        for position, oid, version, topic, payload in tail:
            previous = _link(previous, position, log.stream(oid), version, topic, payload)
            links.append((position, previous))
        if not links:
            head = log.value(f"SELECT MAX({log.position}) FROM {log.events}") or 0
            raise ChainIntact(position=head)
        log.executemany(f"INSERT INTO {CHAIN} VALUES (?, ?)", links)
        done = Rechained(start, links[-1][0], actor, why,
                         now.isoformat(timespec="seconds"))
        log.execute(f"INSERT INTO {REBUILT_LINKS} VALUES (?, ?, ?, ?, ?)",
                    (done.chained_from, done.chained_through, done.chained_at, actor, why))
        log.commit()
        return done


def _after_last_good_link(log: RawLog) -> tuple[bytes, int, Iterator[tuple[Any, ...]]]:
    """(the last good link's hash, the first position to link, the events to link).
    Every existing link is checked against its event; one that does not match refuses."""
    previous = GENESIS
    p, events = log.position, log.events
    rows = log.rows(f"SELECT e.{p}, e.originator_id, e.originator_version, e.topic, "
                    f"e.state, c.hash FROM {events} e LEFT JOIN {CHAIN} c "
                    f"ON c.position = e.{p} ORDER BY e.{p}")
    for position, oid, version, topic, payload, stored in rows:
        if stored is None:
            if log.one(f"SELECT 1 FROM {CHAIN} WHERE position > ?", (position,)):
                raise ChainContradicted(position=position)  # a hole, then links again
            rest = log.rows(f"SELECT {p}, originator_id, originator_version, topic, state "
                            f"FROM {events} WHERE {p} >= ? ORDER BY {p}", (position,))
            return previous, int(position), rest
        if _link(previous, position, log.stream(oid), version, topic, payload) != bytes(stored):
            raise ChainContradicted(position=position)
        previous = bytes(stored)
    last = log.value(f"SELECT MAX({p}) FROM {events}") or 0
    if log.one(f"SELECT 1 FROM {CHAIN} WHERE position > ?", (last,)):
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
