"""What an inspection's events add up to, as a plain record, and what is due next.

`evolve` is the one place that says how each event changes an inspection: the
aggregate calls it when its events are applied, and the projectors call it to
keep the status view, so the view can never drift from the aggregate. The
deadlines themselves were computed by the date rules when each step was
recorded and travel in the events; this module only reads them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from kiemtra.domain.lifecycle import State, Step

Record = dict[str, Any]

# The events of an inspection, in the order of the workflow.
EVENT_STEPS: dict[str, Step | None] = {
    "Planned": None,
    "NoticeIssued": Step.NOTIFY,
    "Rescheduled": Step.RESCHEDULE,
    "ReportSubmitted": Step.REPORT,
    "Inspected": Step.INSPECT,
    "MinutesSigned": Step.MINUTES,
    "Concluded": Step.CONCLUDE,
    "RemediationReported": Step.REMEDIATE,
    "Cancelled": Step.CANCEL,
}

# Who must act for each kind of deadline (kind -> responsible party).
RESPONSIBLE = {
    "notice": "secretariat",
    "report": "unit",
    "on_site": "team",
    "minutes": "team",
    "conclusion": "leader",
    "remediation": "unit",
}


class RecordAttributes:
    """Read an aggregate's `record` entries as attributes (`inspection.on_site`)."""

    def __getattr__(self, name: str) -> Any:
        record = self.__dict__.get("record")
        if record is not None and name in record:
            return record[name]
        raise AttributeError(name)


def new_record(campaign: str, unit: str) -> Record:
    return {
        "campaign": campaign, "unit": unit, "state": str(State.PLANNED),
        "planned_on_site": None, "notice_due": None, "notice_date": None, "on_site": None,
        "report_due": None, "report_submitted_on": None, "report_late": False,
        "report_waived": False, "metrics": None, "surprise": False, "inspected_on": None,
        "absent": [], "minutes_on": None, "conclusion_due": None, "concluded_on": None,
        "conclusion_late": False, "findings": [], "cancelled_on": None, "cancel_reason": None,
        "last_step": None, "last_date": None,
    }


def evolve(record: Record, event: str, data: Mapping[str, Any]) -> None:
    """Apply one event's data (its attributes, as stored) to `record`, in place."""
    day = data.get("effective_date")
    match event:
        case "Planned":
            record.update(planned_on_site=data["planned_on_site"], notice_due=data["notice_due"])
        case "NoticeIssued" | "Rescheduled":
            record.update(notice_date=day, on_site=data["on_site"],
                          report_due=data["report_due"])
        case "ReportSubmitted":
            record.update(report_submitted_on=day, report_late=data["late"],
                          metrics=data["metrics"])
        case "Inspected":
            record.update(surprise=data["surprise"],
                          report_waived=data["report_waiver"] is not None,
                          inspected_on=day, on_site=day, absent=list(data["absent"]),
                          conclusion_due=data["conclusion_due"])
        case "MinutesSigned":
            record.update(minutes_on=day)
        case "Concluded":
            record.update(concluded_on=day, conclusion_late=data["late"], findings=[
                dict(f, remediated_on=None, late=False) for f in data["findings"]])
        case "RemediationReported":
            done, late = set(data["findings"]), set(data["late_findings"])
            record["findings"] = [
                dict(f, remediated_on=day, late=f["number"] in late) if f["number"] in done
                else f for f in record["findings"]]
        case "Cancelled":
            record.update(cancelled_on=day, cancel_reason=data["reason"])
    if "state" in data:
        record["state"] = str(data["state"])
    step = EVENT_STEPS.get(event)
    if step is not None:
        record.update(last_step=str(step), last_date=day)


def open_findings(record: Record) -> list[dict[str, Any]]:
    return [f for f in record["findings"] if f.get("remediated_on") is None]


def open_deadlines(record: Record) -> list[tuple[str, date, int | None]]:
    """Every deadline still open: (kind, due date, finding number or None), by due date."""
    r = record
    items: list[tuple[str, date, int | None]] = []
    match State(r["state"]):
        case State.PLANNED if r["notice_due"]:
            items.append(("notice", r["notice_due"], None))
        case State.NOTIFIED:
            items += [("report", r["report_due"], None), ("on_site", r["on_site"], None)]
        case State.REPORT_SUBMITTED:
            items.append(("on_site", r["on_site"], None))
        case State.INSPECTED:
            items += [("minutes", r["conclusion_due"], None),
                      ("conclusion", r["conclusion_due"], None)]
        case State.MINUTED:
            items.append(("conclusion", r["conclusion_due"], None))
        case State.CONCLUDED:
            items += [("remediation", f["remediate_by"], f["number"]) for f in open_findings(r)]
    return sorted(items, key=lambda item: (item[1], item[2] or 0))


NEXT_STEP = {
    State.PLANNED: Step.NOTIFY,
    State.NOTIFIED: Step.REPORT,
    State.REPORT_SUBMITTED: Step.INSPECT,
    State.INSPECTED: Step.MINUTES,
    State.MINUTED: Step.CONCLUDE,
    State.CONCLUDED: Step.REMEDIATE,
}


def next_step(record: Record) -> tuple[Step | None, date | None]:
    """The step the inspection waits for and the date it is due by (None if no deadline)."""
    state = State(record["state"])
    if state is State.CONCLUDED and not open_findings(record):
        return None, None
    step = NEXT_STEP.get(state)
    if step is None:
        return None, None
    deadlines = open_deadlines(record)
    return step, deadlines[0][1] if deadlines else None


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


STATUS_DATES = ("planned_on_site", "notice_date", "on_site", "report_due",
                "report_submitted_on", "inspected_on", "minutes_on", "conclusion_due",
                "concluded_on")
STATUS_FLAGS = ("surprise", "report_late", "report_waived", "conclusion_late")


def status_row(record: Record, unit_name: str, as_of: date) -> dict[str, Any]:
    """One row of `kiemtra status`, with the keys of the command-line contract."""
    step, deadline = next_step(record)
    findings = record["findings"]
    return {
        "campaign": record["campaign"],
        "unit": record["unit"],
        "unit_name": unit_name,
        "state": record["state"],
        **{key: record[key] for key in STATUS_FLAGS},
        **{key: iso(record[key]) for key in STATUS_DATES},
        "findings_total": len(findings),
        "findings_open": len(open_findings(record)),
        "next_step": str(step) if step else None,
        "next_deadline": iso(deadline),
        "overdue": bool(deadline and as_of > deadline),
        "closed": step is None,
        "as_of": as_of.isoformat(),
    }
