"""The rows of the views, as the fold builds them and as the readers get them back.

Inside the fold every date is ISO text (events are decoded flat, `flat_json.py`): ISO
dates sort and compare as the dates do and are what the tables store on SQLite. A
reader turns a row back into a record with dates (`Row.from_db`), for the same domain
functions (`status_row`, deadlines) the aggregate uses.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson

from kiemtra.domain.deadlines import RESPONSIBLE, next_step, open_deadlines, open_findings
from kiemtra.domain.formats import as_date, iso
from kiemtra.domain.ids import inspection_key
from kiemtra.domain.record import Record, new_record
from kiemtra.projections import schema

# The record's fields are columns of view_inspections; a test keeps them in step.
RECORD_COLUMNS = list(new_record("", ""))
DATE_COLUMNS = frozenset(schema.INSPECTIONS.of_kind(schema.DATE))
BOOL_COLUMNS = frozenset(schema.INSPECTIONS.of_kind(schema.BOOL))
JSON_COLUMNS = frozenset(schema.INSPECTIONS.of_kind(schema.JSON))


def as_json(value: Any) -> Any:
    """A JSON column's value: parsed from text (SQLite), or as the driver gave it."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def jsonable(value: Any) -> Any:
    """Dates (and dates inside lists and dicts) as ISO strings, for JSON columns and output."""
    return orjson.loads(orjson.dumps(value))


def _findings(findings: Iterable[dict[str, Any]], day: Any) -> list[dict[str, Any]]:
    return [dict(f, remediate_by=day(f["remediate_by"]), remediated_on=day(f.get("remediated_on")))
            for f in findings]


@dataclass
class Row:
    """An inspection in the views: its record and what the view keeps beside it."""

    originator_id: str
    record: Record
    version: int
    campaign_key: str
    seq: int
    unit_name: str

    @classmethod
    def from_db(cls, m: Mapping[Any, Any], *, dates: bool = True) -> Row:
        """From a view row read through any driver: dates as dates (for the readers), or
        as ISO text (`dates=False`, for the fold)."""
        day = as_date if dates else iso
        record = new_record(m["campaign"], m["unit"])
        for column in RECORD_COLUMNS:
            value = m[column]
            if column in DATE_COLUMNS:
                value = day(value)
            elif column in BOOL_COLUMNS:
                value = bool(value)
            elif column in JSON_COLUMNS:
                value = as_json(value)
            record[column] = value
        record["findings"] = _findings(record["findings"], day)
        record["absent"] = list(record["absent"])
        return cls(m["originator_id"], record, m["version"], m["campaign_key"], m["seq"],
                   m["unit_name"])

    def to_db(self) -> dict[str, Any]:
        """The view_inspections row, from a record folded flat (dates as ISO text): every
        field of the record is a column, beside what the view adds."""
        record = self.record
        step, deadline = next_step(record)
        findings = record["findings"]
        values = dict(record)
        values.update(
            originator_id=self.originator_id, version=self.version,
            campaign_key=self.campaign_key, seq=self.seq, unit_name=self.unit_name,
            findings_total=len(findings), findings_open=len(open_findings(record)),
            next_step=step.value if step else None, next_deadline=deadline,
        )
        return values

    def deadlines(self) -> list[dict[str, Any]]:
        """Its view_deadlines rows: one per open deadline."""
        return [
            {"originator_id": self.originator_id, "kind": kind, "finding": finding or 0,
             "campaign_key": self.campaign_key, "campaign": self.record["campaign"],
             "unit": self.record["unit"], "due": due, "responsible": RESPONSIBLE[kind]}
            for kind, due, finding in open_deadlines(self.record)
        ]


DELIVERY_TIMES = ("attempt_started_at", "retry_after", "sent_at")


def delivery_to_row(originator_id: str, version: int, record: Mapping[str, Any]
                    ) -> dict[str, Any]:
    """A ledger record as a row of view_deliveries (timestamps as ISO text)."""
    row = {k: v for k, v in record.items() if k not in DELIVERY_TIMES and k != "offset"}
    row.update(originator_id=originator_id, version=version,
               campaign_key=record["campaign"].casefold(), finding=record["finding"] or 0,
               stage_offset=record["offset"], due=iso(record["due"]),
               recipients_refused=len(record["refused"]))
    for key in DELIVERY_TIMES:
        row[key] = iso(record.get(key))
    return row


def delivery_from_row(row: Mapping[str, Any], *, times: bool = True) -> dict[str, Any]:
    """A view_deliveries row as a ledger record: timestamps and the due date as values
    (for the readers), or as ISO text (`times=False`, for the fold)."""
    record = {k: v for k, v in row.items() if k not in (
        "originator_id", "version", "campaign_key", "stage_offset", "recipients_refused")}
    record.update(offset=row["stage_offset"], finding=row["finding"] or None,
                  due=as_date(row["due"]) if times else iso(row["due"]),
                  recipients=as_json(row["recipients"]), refused=as_json(row["refused"]),
                  pending=as_json(row["pending"]))
    for key in DELIVERY_TIMES:
        value = row.get(key)
        record[key] = datetime.fromisoformat(value) if times and isinstance(value, str) \
            else value
    return record


def _text(value: Any) -> Any:
    """A date as the view stores it: ISO text, from a date, its text, or its stored form
    {"_type_": "date_iso", "_data_": "…"} (a payload read without the event store)."""
    return value["_data_"] if type(value) is dict else iso(value)


def campaign_row(position: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The view_campaigns row of a PlanImported (or PlanAmended) event recorded at
    `position`: the plan in force is read from there."""
    plan, code = data["plan"], data["code"]
    return {
        "code_key": code.casefold(), "code": code, "title": plan["title"],
        "authority": plan["authority"], "period_start": _text(plan["period"]["start"]),
        "period_end": _text(plan["period"]["end"]),
        "secretariat_name": plan["secretariat"]["name"],
        "leader_name": next((m["name"] for m in plan["team"] if m["role"] == "leader"), ""),
        "imported_on": _text(data.get("imported_on") or data["effective_date"]),
        "position": position, "plan_position": position,
    }


def plan_rows(code: str, units: Iterable[Mapping[str, Any]], only: set[str] | None = None,
              base: int = 0) -> dict[str, Row]:
    """The new rows of a plan's inspections (of the units in `only`, if given), by stream
    id, in the plan's unit order from `base` (an amendment's units come after those of
    the versions before, whatever their place in the file: the order never ties)."""
    rows = {}
    key = code.casefold()
    for index, unit in enumerate(units):
        seq = base + index
        if only is not None and unit["code"] not in only:
            continue
        oid = inspection_key(code, unit["code"])
        rows[oid] = Row(oid, new_record(code, unit["code"]), 0, key, seq, unit["name"])
    return rows


def orphan_row(originator_id: str, data: Mapping[str, Any]) -> Row:
    """An inspection whose plan was not seen (kiemtra never writes one): named by its code."""
    return Row(originator_id, new_record(data["campaign"], data["unit"]), 0,
               data["campaign"].casefold(), 0, data["unit"])
