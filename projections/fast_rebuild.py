"""A full rebuild of the views on SQLite: one pass over the log, in recording order.

The incremental projector reloads and rewrites every row a batch touches; over a
whole year's log, where each inspection's events are spread out, that means
rewriting most rows again and again. Here the log is read once, sequentially,
and each inspection (and reminder delivery) is folded in memory and written
when its stream is finished — an inspection once remediated, cancelled or
concluded without findings takes no further step, a delivery once sent or
failed for good — so memory holds only the streams still open. Whatever is open
at the end is written then.

Rows are evolved by the same `domain` functions as the incremental projector and
written with the driver's `executemany`, in the storage format SQLAlchemy reads
back (ISO dates, 0/1 booleans, JSON text); dates stay ISO text throughout. It
runs in the caller's write-locked transaction, so the views and the tracking
position change together.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import date
from operator import itemgetter
from typing import Any

import orjson

from domain.delivery import FAILED, SENT, evolve_delivery, new_delivery
from domain.record import evolve
from projections.rows import Row, delivery_to_row, orphan_row, plan_rows

CAMPAIGN_TOPIC = "domain.campaign:Campaign.PlanImported"
INSPECTION = "domain.inspection:"
DELIVERY = "domain.delivery:"
CHUNK = 5000


# Attributes of inspection and delivery events that hold a date or a timestamp,
# stored as {"_type_": "date_iso", "_data_": "…"}; a test checks the list is complete.
MOMENT_KEYS = frozenset({
    "timestamp", "effective_date", "planned_on_site", "notice_due", "on_site", "report_due",
    "previous_on_site", "conclusion_due", "due", "claimed_at", "at", "retry_after",
})


def flat_decode(state: bytes) -> dict[str, Any]:
    """Decode without the transcoder's per-object hook: dates and timestamps stay ISO
    text, which sorts and compares as the dates do and is how the views store them."""
    data: dict[str, Any] = orjson.loads(state)
    for key in data.keys() & MOMENT_KEYS:
        value = data[key]
        if type(value) is dict:
            data[key] = value["_data_"]
    for finding in data.get("findings") or ():
        if type(finding) is dict and type(finding["remediate_by"]) is dict:
            finding["remediate_by"] = finding["remediate_by"]["_data_"]
    return data


def deep_flat_decode(state: bytes) -> Any:
    """The same for any shape (plans): every encoded date, however deep, as ISO text."""
    def flat(value: Any) -> Any:
        if type(value) is dict:
            if "_type_" in value:
                return value["_data_"]
            return {k: flat(v) for k, v in value.items()}
        if type(value) is list:
            return [flat(v) for v in value]
        return value

    return flat(orjson.loads(state))


def _converter(column: Any) -> Callable[[Any], Any] | None:
    """How SQLAlchemy would store a value of this column (text dates, 0/1, JSON text);
    None where the value is stored as it is."""
    kind = type(column.type).__name__
    if kind == "Date":
        return lambda v: v.isoformat() if isinstance(v, date) else v
    if kind == "Boolean":
        return lambda v: None if v is None else int(v)
    if kind == "JSON":
        return lambda v: orjson.dumps(v).decode()
    return None


class Writer:
    """Buffered `executemany` into one view table."""

    def __init__(self, db: sqlite3.Connection, table: Any) -> None:
        self.db = db
        names = [c.name for c in table.columns]
        self.values = itemgetter(*names)
        self.converters = [(i, convert) for i, c in enumerate(table.columns)
                           if (convert := _converter(c)) is not None]
        marks = ", ".join("?" for _ in names)
        self.sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"
        self.pending: list[list[Any]] = []

    def add(self, row: dict[str, Any]) -> None:
        values = list(self.values(row))
        for i, convert in self.converters:
            values[i] = convert(values[i])
        self.pending.append(values)
        if len(self.pending) >= CHUNK:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.db.executemany(self.sql, self.pending)
            self.pending = []


def _finished(record: dict[str, Any]) -> bool:
    """No step can follow (the same answer as `next_step(record)[0] is None`, cheaper)."""
    state = record["state"]
    if state in ("remediated", "cancelled"):
        return True
    return state == "concluded" and all(f.get("remediated_on") for f in record["findings"])


class StreamReopened(Exception):
    """An event for a stream already written as finished (kiemtra never records one)."""


class Fold:
    """Open streams in memory; finished ones written and forgotten."""

    def __init__(self, db: sqlite3.Connection, tables: dict[str, Any],
                 campaign_row: Callable[[int, dict[str, Any]], dict[str, Any]]) -> None:
        self.campaign_row = campaign_row
        self.campaigns = Writer(db, tables["view_campaigns"])
        self.inspections = Writer(db, tables["view_inspections"])
        self.deadlines = Writer(db, tables["view_deadlines"])
        self.deliveries = Writer(db, tables["view_deliveries"])
        self.rows: dict[str, Row] = {}
        self.open_deliveries: dict[str, tuple[int, dict[str, Any]]] = {}
        self.finished: set[str] = set()

    def plan_imported(self, rowid: int, state: bytes) -> None:
        data = deep_flat_decode(state)
        self.campaigns.add(self.campaign_row(rowid, data))
        self.rows.update(plan_rows(data["code"], data["plan"]["units"]))

    def inspection_event(self, oid: str, version: int, name: str, data: dict[str, Any]) -> None:
        if oid in self.finished:
            raise StreamReopened(oid)
        row = self.rows.get(oid)
        if row is None:
            row = self.rows[oid] = orphan_row(oid, data)
        evolve(row.record, name, data)
        row.version = version
        if _finished(row.record):
            self._write_row(self.rows.pop(oid))
            self.finished.add(oid)

    def delivery_event(self, oid: str, version: int, name: str, data: dict[str, Any]) -> None:
        if oid in self.finished:
            raise StreamReopened(oid)
        if name == "Claimed":
            record = new_delivery(data)
        else:
            record = self.open_deliveries[oid][1]
            evolve_delivery(record, name, data)
        if record["state"] in (SENT, FAILED):
            self.open_deliveries.pop(oid, None)
            self.deliveries.add(delivery_to_row(oid, version, record))
            self.finished.add(oid)
        else:
            self.open_deliveries[oid] = (version, record)

    def close(self) -> None:
        for row in self.rows.values():
            self._write_row(row)
        for oid, (version, record) in self.open_deliveries.items():
            self.deliveries.add(delivery_to_row(oid, version, record))
        for writer in (self.campaigns, self.inspections, self.deadlines, self.deliveries):
            writer.flush()

    def _write_row(self, row: Row) -> None:
        self.inspections.add(row.to_db())
        for item in row.deadlines():
            self.deadlines.add(item)


def rebuild_streams(db: sqlite3.Connection, head: int,
                    campaign_row: Callable[[int, dict[str, Any]], dict[str, Any]],
                    tables: dict[str, Any]) -> int:
    """Fold events 1..head into the (empty) view tables; returns how many were read."""
    fold = Fold(db, tables, campaign_row)
    count = 0
    for rowid, originator_id, version, topic, state in db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid <= ? ORDER BY rowid", (head,)):
        count += 1
        if topic.startswith(INSPECTION):
            fold.inspection_event(originator_id, version, topic[topic.rindex(".") + 1:],
                                  flat_decode(state))
        elif topic == CAMPAIGN_TOPIC:
            fold.plan_imported(rowid, state)
        elif topic.startswith(DELIVERY):
            fold.delivery_event(originator_id, version, topic[topic.rindex(".") + 1:],
                                flat_decode(state))
    fold.close()
    return count
