"""A full rebuild of the views on SQLite, streamed stream by stream.

Folding the log in recording order touches every inspection again and again
(a year's events interleave), so each batch would reload and rewrite most rows.
Reading the log in the order of its primary key (originator, version) gives
each inspection's events together instead: every row is folded once, written
once, and forgotten, so memory stays flat however long the log. Rows are
evolved by the same `domain` functions as the incremental projector and
written with the driver's `executemany`, in the storage format SQLAlchemy reads
back (ISO dates, 0/1 booleans, JSON text); dates stay ISO text throughout. It
runs in the caller's write-locked transaction, so the views and the tracking
position change together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import date, datetime
from itertools import groupby
from typing import Any

from domain.delivery import evolve_delivery, new_delivery
from domain.ids import inspection_id
from domain.record import evolve, new_record
from projections.events import EventDecoder
from projections.rows import Row, delivery_to_row

CAMPAIGN_TOPIC = "domain.campaign:Campaign.PlanImported"
CHUNK = 5000


def _flat(value: Any) -> Any:
    """The event store's {"_type_": "date_iso", "_data_": "…"} as its ISO text."""
    if type(value) is dict and "_type_" in value:
        return value["_data_"]
    return value


def flat_decode(state: bytes) -> dict[str, Any]:
    """Decode without the transcoder's per-object hook: dates and timestamps stay ISO
    text, which sorts and compares as the dates do and is how the views store them.
    Event attributes hold them at the top level or one list of objects down."""
    data: dict[str, Any] = json.loads(state)
    for key, value in data.items():
        if type(value) is dict:
            data[key] = _flat(value)
        elif type(value) is list and value and type(value[0]) is dict:
            data[key] = [{k: _flat(v) for k, v in item.items()} for item in value]
    return data


def _iso(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    msg = f"cannot store {type(value).__name__} as JSON"
    raise TypeError(msg)


def _converter(column: Any) -> Callable[[Any], Any]:
    """How SQLAlchemy would store a value of this column (text dates, 0/1, JSON text)."""
    kind = type(column.type).__name__
    if kind == "Date":
        return lambda v: v.isoformat() if isinstance(v, date) else v
    if kind == "Boolean":
        return lambda v: None if v is None else int(v)
    if kind == "JSON":
        return lambda v: json.dumps(v, default=_iso)
    return lambda v: v


class Writer:
    """Buffered `executemany` into one view table."""

    def __init__(self, db: sqlite3.Connection, table: Any) -> None:
        self.db = db
        self.columns = [(c.name, _converter(c)) for c in table.columns]
        marks = ", ".join("?" for _ in self.columns)
        names = ", ".join(name for name, _ in self.columns)
        self.sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
        self.pending: list[tuple[Any, ...]] = []

    def add(self, row: dict[str, Any]) -> None:
        self.pending.append(tuple(convert(row[name]) for name, convert in self.columns))
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.db.executemany(self.sql, self.pending)
            self.pending = []


def rebuild_streams(db: sqlite3.Connection, head: int,
                    campaign_row: Callable[[int, dict[str, Any]], dict[str, Any]],
                    tables: dict[str, Any]) -> int:
    """Fold events 1..head into the (empty) view tables; returns how many were read."""
    decoder = EventDecoder()
    names: dict[str, tuple[str, str, int, str]] = {}  # inspection id -> campaign, unit, seq, name
    campaigns = Writer(db, tables["view_campaigns"])
    count = 0
    for rowid, state in db.execute("SELECT rowid, state FROM stored_events WHERE topic = ? "
                                   "AND rowid <= ? ORDER BY rowid", (CAMPAIGN_TOPIC, head)):
        data = decoder.transcoder.decode(state)
        campaigns.add(campaign_row(rowid, data))
        for seq, unit in enumerate(data["plan"]["units"]):
            names[inspection_id(data["code"], unit["code"]).hex] = (
                data["code"], unit["code"], seq, unit["name"])
        count += 1
    campaigns.flush()
    inspections = Writer(db, tables["view_inspections"])
    deadlines = Writer(db, tables["view_deadlines"])
    deliveries = Writer(db, tables["view_deliveries"])
    events = db.execute(
        "SELECT originator_id, originator_version, topic, state FROM stored_events "
        "WHERE rowid <= ? AND topic != ? ORDER BY originator_id, originator_version",
        (head, CAMPAIGN_TOPIC))
    for oid, stream in groupby(events, key=lambda e: str(e[0]).replace("-", "")):
        decoded = [(int(version), topic, flat_decode(state)) for _, version, topic, state in stream]
        first_topic = decoded[0][1]
        count += len(decoded)
        if first_topic.startswith("domain.delivery:"):
            record = new_delivery(decoded[0][2])
            for _, topic, data in decoded[1:]:
                evolve_delivery(record, topic.rsplit(".", 1)[-1], data)
            deliveries.add(delivery_to_row(oid, decoded[-1][0], record))
        elif first_topic.startswith("domain.inspection:"):
            campaign, unit, seq, unit_name = names.get(oid) or (
                decoded[0][2]["campaign"], decoded[0][2]["unit"], 0, decoded[0][2]["unit"])
            row = Row(oid, new_record(campaign, unit), 0, campaign.casefold(), seq, unit_name)
            for version, topic, data in decoded:
                evolve(row.record, topic.rsplit(".", 1)[-1], data)
                row.version = version
            inspections.add(row.to_db())
            for item in row.deadlines():
                deadlines.add(item)
    for writer in (inspections, deadlines, deliveries):
        writer.flush()
    return count



