"""What is due next for an inspection, and when a deadline is overdue.

The deadlines themselves were computed by the date rules (`rules.py`) when each step
was recorded and travel in the events; this module reads them off the record. It is
also the one definition of "overdue" and "days left": the views, the tables and the
letters ask `is_overdue` / `days_left`, and the one query that must decide it in SQL (the
campaign list) uses `OVERDUE_SQL`, which a test holds equal to `is_overdue`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from kiemtra.domain.calendar import estimated_years
from kiemtra.domain.formats import as_date
from kiemtra.domain.lifecycle import State, Step

Record = dict[str, Any]
Deadline = tuple[str, Any, int | None]  # (kind, due date, finding number or None)

KINDS = ("notice", "report", "on_site", "minutes", "conclusion", "remediation")

# Who must act for each kind of deadline (kind -> responsible party).
RESPONSIBLE = {
    "notice": "secretariat",
    "report": "unit",
    "on_site": "team",
    "minutes": "team",
    "conclusion": "leader",
    "remediation": "unit",
}

# The date each kind of deadline is counted from (a field of the record); the on-site
# date is set by the notice, not counted.
COUNTED_FROM: dict[str, str | None] = {
    "notice": "planned_on_site",
    "report": "on_site",
    "on_site": None,
    "minutes": "on_site",
    "conclusion": "on_site",
    "remediation": "concluded_on",
}

NEXT_STEP: dict[str, Step] = {  # by the state's name: records hold plain strings
    State.PLANNED.value: Step.NOTIFY,
    State.NOTIFIED.value: Step.REPORT,
    State.REPORT_SUBMITTED.value: Step.INSPECT,
    State.INSPECTED.value: Step.MINUTES,
    State.MINUTED.value: Step.CONCLUDE,
    State.CONCLUDED.value: Step.REMEDIATE,
}


def days_left(due: date, as_of: date) -> int:
    """Days from `as_of` to `due`: 0 on the day, negative once it has passed."""
    return (due - as_of).days


def is_overdue(due: date | None, as_of: date) -> bool:
    """A deadline is overdue from the day after its due date (the due day itself counts)."""
    return due is not None and days_left(due, as_of) < 0


OVERDUE_SQL = "({due} IS NOT NULL AND {due} < {as_of})"
"""`is_overdue` in SQL, for ISO-text (SQLite) or DATE (PostgreSQL) columns: fill in the
column and the parameter, e.g. `OVERDUE_SQL.format(due="i.next_deadline", as_of=":as_of")`."""


def open_findings(record: Record) -> list[dict[str, Any]]:
    return [f for f in record["findings"] if f.get("remediated_on") is None]


def open_deadlines(record: Record) -> list[Deadline]:
    """Every deadline still open, by due date. Due dates are dates or ISO text (the views
    fold with text), either of which sorts in date order."""
    r = record
    items: list[Deadline] = []
    match r["state"]:
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


def next_step(record: Record) -> tuple[Step | None, Any]:
    """The step the inspection waits for and the date it is due by (None if no deadline)."""
    state = record["state"]
    if state == State.CONCLUDED and not open_findings(record):
        return None, None
    step = NEXT_STEP.get(state)
    if step is None:
        return None, None
    deadlines = open_deadlines(record)
    return step, deadlines[0][1] if deadlines else None


def estimated_deadline(kind: str, due: Any, counted_from: Any) -> tuple[int, ...]:
    """The unannounced years a deadline of `kind` was counted over (from `counted_from` to
    `due`, dates or ISO text): none when it is certain. A deadline counted over any day
    of a year whose days off the Government has not announced is the calendar's
    estimate (`calendar.estimated_years`); the on-site date, set by the notice, never is."""
    start, end = as_date(counted_from), as_date(due)
    if COUNTED_FROM.get(kind) is None or start is None or end is None:
        return ()
    return estimated_years(start, end)


def estimated_record(record: Record) -> tuple[int, ...]:
    """The unannounced years any deadline the record holds was counted over: the report and
    conclusion due dates, every finding's remediation deadline and, before the notice, the
    last day for it."""
    spans = [("report", record["report_due"]), ("conclusion", record["conclusion_due"])]
    spans += [("remediation", f["remediate_by"]) for f in record["findings"]]
    if record["state"] == State.PLANNED:
        spans.append(("notice", record["notice_due"]))
    years = {y for kind, due in spans
             for y in estimated_deadline(kind, due, record[COUNTED_FROM[kind] or ""])}
    return tuple(sorted(years))
