"""Which reminder is due for an open deadline on a given day, and to whom.

A rule lists the stages of one kind of deadline as offsets in working days
from the due date: reminders before it (negative), one on the day (0), and
chasers after it (positive), up to a limit. On any day only the latest stage
whose day has come is due; earlier stages that were missed (the machine was
off) are not sent late. Each stage of each deadline has a stable key, which
the delivery ledger uses so that it goes out once.

Plans may override the defaults in their `[reminders]` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from kiemtra.domain.calendar import WorkingCalendar

RECIPIENT_ROLES = ("unit", "leader", "deputy", "secretariat", "team")
KINDS = ("notice", "report", "on_site", "minutes", "conclusion", "remediation")


@dataclass(frozen=True)
class ReminderRule:
    before: tuple[int, ...] = ()  # working days before the due date
    on_due: bool = True
    every_overdue: int = 0  # working days between chasers; 0: no chasers
    max_overdue: int = 0
    to: tuple[str, ...] = ("unit",)

    def offsets(self) -> list[int]:
        stages = sorted({-d for d in self.before})
        if self.on_due:
            stages.append(0)
        if self.every_overdue:
            stages += [self.every_overdue * k for k in range(1, self.max_overdue + 1)]
        return stages


DEFAULT_RULES: dict[str, ReminderRule] = {
    "notice": ReminderRule(before=(3, 1), on_due=True, every_overdue=1, max_overdue=2,
                           to=("leader", "secretariat")),
    "report": ReminderRule(before=(3,), on_due=True, every_overdue=2, max_overdue=3,
                           to=("unit",)),
    "on_site": ReminderRule(before=(1,), on_due=False, to=("unit", "team")),
    "minutes": ReminderRule(before=(3,), on_due=True, every_overdue=2, max_overdue=3,
                            to=("leader",)),
    "conclusion": ReminderRule(before=(3,), on_due=True, every_overdue=2, max_overdue=3,
                               to=("leader",)),
    "remediation": ReminderRule(before=(5,), on_due=True, every_overdue=5, max_overdue=3,
                                to=("unit",)),
}
# The longest reach of any stage, in calendar days, bounds the due-date window a tick reads.
LOOKAHEAD_DAYS = 21
LOOKBACK_DAYS = 120


def rules_for(plan: Mapping[str, Any]) -> dict[str, ReminderRule]:
    """The defaults with the plan's `[reminders]` overrides applied."""
    table = plan.get("reminders") or {}
    if table.get("enabled") is False:
        return {}
    rules = dict(DEFAULT_RULES)
    for kind, override in table.items():
        if kind in rules and isinstance(override, Mapping):
            fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v
                                      for k, v in override.items()}
            rules[kind] = replace(rules[kind], **fields)
    return rules


def effective_rules(plan: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The plan's reminder rules with the defaults applied, as `plan show` lists them:
    each kind, its stages ('-3, 0, +2, +4, +6': working days from the due date) and
    recipients; none when the plan turns reminders off."""
    return [{"kind": kind, "stages": ", ".join(f"{o:+d}" if o else "0" for o in rule.offsets()),
             "offsets": rule.offsets(), "to": list(rule.to)}
            for kind, rule in rules_for(plan).items()]


@dataclass(frozen=True)
class Deadline:
    """An open deadline as the due view lists it."""

    campaign: str
    unit: str
    unit_name: str
    kind: str
    finding: int | None
    due: date


MISSED_TO = ("leader", "secretariat")
"""Who hears of a step whose day passed with nothing recorded: those who can act on it."""


@dataclass(frozen=True)
class Reminder:
    deadline: Deadline
    offset: int
    send_on: date
    recipients: tuple[tuple[str, str], ...]  # (name, email)
    roles: tuple[str, ...] = ("unit",)
    missed: bool = False  # not a reminder: the day passed and the step is not recorded

    @property
    def key(self) -> str:
        d = self.deadline
        stage = "missed" if self.missed else f"{self.offset:+d}"
        return f"{d.campaign}/{d.unit}/{d.kind}/{d.finding or 0}/{d.due.isoformat()}/{stage}"

    @property
    def stage(self) -> str:
        if self.missed:
            return "missed"
        return "before" if self.offset < 0 else "due" if self.offset == 0 else "overdue"


def plan_calendar(plan: Mapping[str, Any]) -> WorkingCalendar:
    cal = plan.get("calendar") or {}

    def days(values: Iterable[Any]) -> list[date]:
        return [v if isinstance(v, date) else date.fromisoformat(v) for v in values]

    return WorkingCalendar(days(cal.get("extra_days_off", [])),
                           days(cal.get("extra_working_days", [])))


def recipients(plan: Mapping[str, Any], unit: str, roles: Iterable[str]
               ) -> tuple[tuple[str, str], ...]:
    """(name, email) of each role, the unit's own address for "unit", no duplicates."""
    found: dict[str, str] = {}
    team = plan.get("team", [])
    for role in roles:
        if role == "unit":
            for u in plan.get("units", []):
                if u["code"] == unit:
                    found.setdefault(u["email"], u["name"])
        elif role == "secretariat":
            sec = plan["secretariat"]
            found.setdefault(sec["email"], sec["name"])
        else:
            for member in team:
                if role == "team" or member["role"] == role:
                    found.setdefault(member["email"], member["name"])
    return tuple((name, email) for email, name in found.items())


def reminder_due(deadline: Deadline, plan: Mapping[str, Any], as_of: date,
                 calendar: WorkingCalendar, rules: Mapping[str, ReminderRule]
                 ) -> Reminder | None:
    """The latest stage of `deadline` whose day has come by `as_of`, if its purpose has not
    passed: a reminder before the due date, or on it, is never sent after it ("the visit
    is tomorrow" on the day after). A deadline past with no chaser to follow (the on-site
    visit's) is raised once to the leader and the secretariat instead (`missed`)."""
    rule = rules.get(deadline.kind)
    if rule is None:
        return None
    latest: Reminder | None = None
    for offset in rule.offsets():
        send_on = deadline.due if offset == 0 else calendar.shift(deadline.due, offset)
        if send_on > as_of:
            break
        latest = Reminder(deadline, offset, send_on,
                          recipients(plan, deadline.unit, rule.to), rule.to)
    if as_of <= deadline.due or (latest is not None and latest.offset > 0):
        return latest
    if any(offset > 0 for offset in rule.offsets()):
        return None  # between the due date and the first chaser
    return Reminder(deadline, 0, calendar.shift(deadline.due, 1),
                    recipients(plan, deadline.unit, MISSED_TO), MISSED_TO, missed=True)


def reminders_due(deadlines: Iterable[Deadline], plans: Mapping[str, Mapping[str, Any]],
                  as_of: date, visits: Mapping[tuple[str, str], date | None] | None = None
                  ) -> list[Reminder]:
    """Every reminder due by `as_of` for these open deadlines.

    While the minutes are pending, the minutes reminder also speaks for the
    conclusion (same person, same date), so the conclusion's is left out. Once the day
    of the visit (`visits`: scheduled, or planned while no notice went out) has come, the
    report's reminders ("send it before the visit") stop, and a notice never sent is
    raised once as missed.
    """
    items = list(deadlines)
    waiting_minutes = {(d.campaign, d.unit) for d in items if d.kind == "minutes"}
    visit_day = dict(visits or {})  # (campaign, unit) → the visit's day, scheduled or planned
    visit_day.update({(d.campaign, d.unit): d.due for d in items if d.kind == "on_site"})
    found = []
    calendars: dict[str, WorkingCalendar] = {}
    for d in items:
        if d.kind == "conclusion" and (d.campaign, d.unit) in waiting_minutes:
            continue
        plan = plans[d.campaign]
        if d.campaign not in calendars:
            calendars[d.campaign] = plan_calendar(plan)
        visit = visit_day.get((d.campaign, d.unit))
        if d.kind in ("notice", "report") and visit is not None and as_of >= visit:
            # "send it before the visit" once the visit's day has come is stale: the report
            # waits for the visit's own reminder; a notice never sent is raised as missed
            if d.kind == "report":
                continue
            reminder: Reminder | None = Reminder(
                d, 0, visit, recipients(plan, d.unit, MISSED_TO), MISSED_TO, missed=True)
        else:
            reminder = reminder_due(d, plan, as_of, calendars[d.campaign], rules_for(plan))
        if reminder is not None and reminder.recipients:
            found.append(reminder)
    return found
