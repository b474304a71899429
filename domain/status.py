"""Where an inspection stands on a given day: next step, its deadline, overdue or not.

Pure: the due dates were fixed by the date rules when each step was recorded,
so this needs no calendar, only the inspection and the as-of date.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.inspection import Inspection
from domain.lifecycle import State, Step


def next_step(ins: Inspection) -> tuple[Step | None, date | None]:
    """The step the inspection waits for, and the date it is due by (None if no deadline)."""
    match ins.state:
        case State.PLANNED:
            return Step.NOTIFY, ins.notice_due
        case State.NOTIFIED:
            return Step.REPORT, ins.report_due
        case State.REPORT_SUBMITTED:
            return Step.INSPECT, ins.on_site
        case State.INSPECTED:
            return Step.MINUTES, ins.conclusion_due
        case State.MINUTED:
            return Step.CONCLUDE, ins.conclusion_due
        case State.CONCLUDED if ins.open_findings:
            return Step.REMEDIATE, min(f["remediate_by"] for f in ins.open_findings)
    return None, None


def is_closed(ins: Inspection) -> bool:
    """Remediated, cancelled, or concluded with nothing left to remediate."""
    return next_step(ins)[0] is None


def iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def status_row(ins: Inspection, unit_name: str, as_of: date) -> dict[str, Any]:
    """One row of `kiemtra status`, with the keys of the command-line contract."""
    step, deadline = next_step(ins)
    return {
        "campaign": ins.campaign,
        "unit": ins.unit,
        "unit_name": unit_name,
        "state": str(ins.state),
        "surprise": ins.surprise,
        "planned_on_site": iso(ins.planned_on_site),
        "notice_date": iso(ins.notice_date),
        "on_site": iso(ins.on_site),
        "report_due": iso(ins.report_due),
        "report_submitted_on": iso(ins.report_submitted_on),
        "report_late": ins.report_late,
        "report_waived": ins.report_waiver is not None,
        "inspected_on": iso(ins.inspected_on),
        "minutes_on": iso(ins.minutes_on),
        "conclusion_due": iso(ins.conclusion_due),
        "concluded_on": iso(ins.concluded_on),
        "conclusion_late": ins.conclusion_late,
        "findings_total": len(ins.findings),
        "findings_open": len(ins.open_findings),
        "next_step": str(step) if step else None,
        "next_deadline": iso(deadline),
        "overdue": bool(deadline and as_of > deadline),
        "closed": step is None,
        "as_of": as_of.isoformat(),
    }
