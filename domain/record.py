"""What an inspection's events add up to, as a plain record, and its row of `status`.

`evolve` is the one place that says how each event changes an inspection: the
aggregate calls it when its events are applied, and the views call it to keep the
status view, so the view can never drift from the aggregate. The views fold events
decoded "flat" (dates as ISO text), the aggregate with dates: `evolve` copies values
and never compares them, so it serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from kiemtra.domain.deadlines import estimated_record, is_overdue, next_step, open_findings
from kiemtra.domain.formats import iso
from kiemtra.domain.lifecycle import State, Step

Record = dict[str, Any]
Data = Mapping[str, Any]

# The events of an inspection, in the order of the workflow, and the step each records.
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
    "StepRetracted": None,  # undoes the latest step: the record it restores says the rest
    "Corrected": None,  # corrects an earlier step: the record it carries says the rest
    "Replanned": None,  # open deadlines derived again under an amended plan: likewise
    "Withdrawn": None,  # the unit left the plan before any step (the views drop it)
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
        "campaign": campaign, "unit": unit, "state": State.PLANNED.value,
        "planned_on_site": None, "notice_due": None, "notice_date": None, "on_site": None,
        "report_due": None, "report_submitted_on": None, "report_late": False,
        "report_waived": False, "metrics": None, "surprise": False, "inspected_on": None,
        "absent": [], "minutes_on": None, "conclusion_due": None, "concluded_on": None,
        "conclusion_late": False, "findings": [], "cancelled_on": None, "cancel_reason": None,
        "last_step": None, "last_date": None,
    }


def _planned(record: Record, data: Data, day: Any) -> None:
    record["planned_on_site"] = data["planned_on_site"]
    record["notice_due"] = data["notice_due"]


def _noticed(record: Record, data: Data, day: Any) -> None:
    record["notice_date"] = day
    record["on_site"] = data["on_site"]
    record["report_due"] = data["report_due"]


def _reported(record: Record, data: Data, day: Any) -> None:
    record["report_submitted_on"] = day
    record["report_late"] = data["late"]
    record["metrics"] = data["metrics"]


def _inspected(record: Record, data: Data, day: Any) -> None:
    record["surprise"] = data["surprise"]
    record["report_waived"] = data["report_waiver"] is not None
    record["inspected_on"] = record["on_site"] = day
    record["absent"] = list(data["absent"])
    record["conclusion_due"] = data["conclusion_due"]


def _minuted(record: Record, data: Data, day: Any) -> None:
    record["minutes_on"] = day


def _concluded(record: Record, data: Data, day: Any) -> None:
    record["concluded_on"] = day
    record["conclusion_late"] = data["late"]
    record["findings"] = [{**f, "remediated_on": None, "late": False} for f in data["findings"]]


def _remediated(record: Record, data: Data, day: Any) -> None:
    done, late = data["findings"], data["late_findings"]  # a few numbers each
    record["findings"] = [
        {**f, "remediated_on": day, "late": f["number"] in late} if f["number"] in done else f
        for f in record["findings"]]


def _cancelled(record: Record, data: Data, day: Any) -> None:
    record["cancelled_on"] = day
    record["cancel_reason"] = data["reason"]


def _retracted(record: Record, data: Data, day: Any) -> None:
    """The record as it was before the retracted step (the event carries it whole)."""
    restored = data["restored"] if "restored" in data else data["record"]
    record.clear()
    record.update({k: list(v) if isinstance(v, list) else v for k, v in restored.items()})
    record["findings"] = [dict(f) for f in restored["findings"]]


def _unchanged(record: Record, data: Data, day: Any) -> None:
    """An event that changes nothing in the record."""


def fold_steps(campaign: str, unit: str, steps: Iterable[tuple[int, str, Data]]) -> Record:
    """The record that `steps` (version, event name, data) add up to, folded from nothing."""
    record = new_record(campaign, unit)
    for _, name, data in steps:
        evolve(record, name, data)
    return record


EVOLVE: dict[str, Callable[[Record, Data, Any], None]] = {
    "Planned": _planned, "NoticeIssued": _noticed, "Rescheduled": _noticed,
    "ReportSubmitted": _reported, "Inspected": _inspected, "MinutesSigned": _minuted,
    "Concluded": _concluded, "RemediationReported": _remediated, "Cancelled": _cancelled,
    "StepRetracted": _retracted,
    "Corrected": _retracted,  # the record as the corrected steps add up to, whole
    "Replanned": _retracted,  # the record as the re-derived steps add up to, whole
    "Withdrawn": _unchanged,
}
_STEP_NAMES = {event: step.value for event, step in EVENT_STEPS.items() if step is not None}


def evolve(record: Record, event: str, data: Data) -> None:
    """Apply one event's data (its attributes, as stored) to `record`, in place."""
    evolver(event)(record, data)


def evolver(event: str) -> Callable[[Record, Data], None]:
    """`evolve` for one kind of event, looked up once (the views fold a province's log
    with it): the event's own change, then the state it led to and the last step."""
    change, step = EVOLVE[event], _STEP_NAMES.get(event)

    def apply(record: Record, data: Data) -> None:
        day = data["effective_date"]  # every step records the day it happened on paper
        change(record, data, day)
        state = data.get("state")  # the first event records none: its state is `planned`
        if state is not None:
            record["state"] = state if type(state) is str else str(state)  # or a State
        if step is not None:
            record["last_step"] = step
            record["last_date"] = day

    return apply


STATUS_DATES = ("planned_on_site", "notice_date", "on_site", "report_due",
                "report_submitted_on", "inspected_on", "minutes_on", "conclusion_due",
                "concluded_on")
STATUS_FLAGS = ("surprise", "report_late", "report_waived", "conclusion_late")


def status_row(record: Record, unit_name: str, as_of: date) -> dict[str, Any]:
    """One row of `kiemtra status`, with the keys of the command-line contract."""
    step, deadline = next_step(record)
    findings = record["findings"]
    estimated = estimated_record(record)
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
        "overdue": is_overdue(deadline, as_of),
        "closed": step is None,
        "as_of": as_of.isoformat(),
        "calendar_estimated": bool(estimated),  # counted over a year not announced
        "estimated_years": list(estimated),
    }
