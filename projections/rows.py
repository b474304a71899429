"""One inspection row of the status view, as the projector and the readers see it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import orjson
from kiemtra.domain.ids import inspection_key
from kiemtra.domain.record import (
    RESPONSIBLE,
    Record,
    new_record,
    next_step,
    open_deadlines,
    open_findings,
)
from kiemtra.projections.reader import as_date, as_json


def _iso(value: date | str | None) -> str | None:
    """ISO text of a date; text is kept as it is (the fast rebuild folds with ISO text)."""
    if isinstance(value, date):
        return value.isoformat()
    return value or None


def _day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def findings_to_json(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(f, remediate_by=_iso(f["remediate_by"]),
                 remediated_on=_iso(f.get("remediated_on"))) for f in findings]


def findings_from_json(findings: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [dict(f, remediate_by=_day(f["remediate_by"]),
                 remediated_on=_day(f.get("remediated_on"))) for f in findings]


# The record's fields are columns of view_inspections (tables.py); a test keeps
# these kinds in step with the column types there.
RECORD_COLUMNS = list(new_record("", ""))
DATE_COLUMNS = {
    "planned_on_site", "notice_due", "notice_date", "on_site", "report_due",
    "report_submitted_on", "inspected_on", "minutes_on", "conclusion_due", "concluded_on",
    "cancelled_on", "last_date",
}
BOOL_COLUMNS = {"surprise", "report_late", "report_waived", "conclusion_late"}
JSON_COLUMNS = {"metrics", "absent", "findings"}


@dataclass
class Row:
    """An inspection being projected: its record and what the view keeps beside it."""

    originator_id: str
    record: Record
    version: int
    campaign_key: str
    seq: int
    unit_name: str

    @classmethod
    def from_db(cls, m: Mapping[Any, Any]) -> Row:
        """From a view row, read through SQLAlchemy or through a plain driver."""
        record = new_record(m["campaign"], m["unit"])
        for column in RECORD_COLUMNS:
            value = m[column]
            if column in DATE_COLUMNS:
                value = as_date(value)
            elif column in BOOL_COLUMNS:
                value = bool(value)
            elif column in JSON_COLUMNS:
                value = as_json(value)
            record[column] = value
        record["findings"] = findings_from_json(record["findings"])
        record["absent"] = list(record["absent"])
        return cls(m["originator_id"], record, m["version"], m["campaign_key"], m["seq"],
                   m["unit_name"])

    def to_db(self) -> dict[str, Any]:
        step, deadline = next_step(self.record)
        values = {k: self.record[k] for k in RECORD_COLUMNS}
        values.update(
            originator_id=self.originator_id, version=self.version,
            campaign_key=self.campaign_key, seq=self.seq, unit_name=self.unit_name,
            findings=findings_to_json(self.record["findings"]),
            findings_total=len(self.record["findings"]),
            findings_open=len(open_findings(self.record)),
            next_step=str(step) if step else None, next_deadline=deadline,
        )
        return values

    def deadlines(self) -> list[dict[str, Any]]:
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
               stage_offset=record["offset"])
    for key in DELIVERY_TIMES:
        value = record.get(key)
        row[key] = value.isoformat() if isinstance(value, datetime) else value
    return row


def delivery_from_row(row: Mapping[str, Any]) -> dict[str, Any]:
    record = {k: v for k, v in row.items()
              if k not in ("originator_id", "version", "campaign_key", "stage_offset")}
    record.update(offset=row["stage_offset"], finding=row["finding"] or None,
                  due=as_date(row["due"]), recipients=as_json(row["recipients"]),
                  refused=as_json(row["refused"]))
    for key in DELIVERY_TIMES:
        value = row.get(key)
        record[key] = datetime.fromisoformat(value) if isinstance(value, str) else value
    return record


def jsonable(value: Any) -> Any:
    """Dates (and dates inside lists and dicts) as ISO strings, for JSON columns and output."""
    return orjson.loads(orjson.dumps(value))


def campaign_row(position: int, data: Mapping[str, Any]) -> dict[str, Any]:
    """The view_campaigns row of a PlanImported event recorded at `position`."""
    plan, code = data["plan"], data["code"]
    return {
        "code_key": code.casefold(), "code": code, "title": plan["title"],
        "authority": plan["authority"], "period_start": plan["period"]["start"],
        "period_end": plan["period"]["end"],
        "secretariat_name": plan["secretariat"]["name"],
        "leader_name": next((m["name"] for m in plan["team"] if m["role"] == "leader"), ""),
        "imported_on": data["effective_date"], "position": position,
    }


# What a plan says of one of its inspections: campaign code, unit code, the unit's place
# in the plan and its name. Plain tuples, so that they cross a pipe by `marshal`.
Seed = tuple[str, str, int, str]


def plan_seeds(code: str, units: Iterable[Mapping[str, Any]]) -> dict[str, Seed]:
    """The seeds of a plan's inspections, by stream id, in the plan's unit order."""
    return {inspection_key(code, unit["code"]): (code, unit["code"], seq, unit["name"])
            for seq, unit in enumerate(units)}


def seeded_row(originator_id: str, seed: Seed) -> Row:
    """An inspection's row before its first event."""
    code, unit, seq, name = seed
    return Row(originator_id, new_record(code, unit), 0, code.casefold(), seq, name)


def plan_rows(code: str, units: Iterable[Mapping[str, Any]]) -> dict[str, Row]:
    """The new rows of a plan's inspections, by stream id, in the plan's unit order."""
    return {oid: seeded_row(oid, seed) for oid, seed in plan_seeds(code, units).items()}


def orphan_row(originator_id: str, data: Mapping[str, Any]) -> Row:
    """An inspection whose plan was not seen (kiemtra never writes one): named by its code."""
    return seeded_row(originator_id, (data["campaign"], data["unit"], 0, data["unit"]))
