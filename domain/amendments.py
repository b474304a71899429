"""Amending a campaign's plan: what a new version of the plan changes, what it may not
change, and the open deadlines it derives again.

A plan changes during the year (a unit is added, a member replaced, a visit moved, a
rule changed by the committee); the log keeps every version. The rules of an amendment:

- the campaign's code is the plan's identity, and a unit's code and name are fixed once
  imported (its name is printed on documents already issued, and the trail names it);
- a unit may leave the plan only while nothing has been recorded for it (otherwise it
  is cancelled, with a reason, like any inspection that does not take place); a code that
  left the plan is not taken again in that campaign;
- new rules and a new calendar apply to the steps not yet taken: a deadline still open
  (the notice before the planned visit, the report before the visit, the conclusion after
  it) is derived again; a deadline whose step is taken stays as it was derived.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import date
from enum import StrEnum
from typing import Any

from kiemtra.domain import rules as r
from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import InvalidInput, RuleViolation
from kiemtra.domain.plan import RULE_KEYS, Plan
from kiemtra.domain.record import Record, fold_steps

Steps = list[tuple[int, str, dict[str, Any]]]
Change = dict[str, Any]
OPEN_DEADLINES = ("planned_on_site", "notice_due", "report_due", "conclusion_due")
UNIT_FIELDS = ("email", "head", "planned_on_site", "place")  # what an amendment may change
MEMBER_FIELDS = ("role", "name", "email", "title")
PLAN_FIELDS = ("title", "authority", "place", "number", "issued_on", "data_from",
               "period_start", "period_end", "basis", "contents")


class NothingToAmend(RuleViolation):
    rule = "amend_nothing"
    vi = "Tệp kế hoạch giống hệt kế hoạch đang áp dụng: không có gì thay đổi."
    en = "The plan file is the same as the plan in force: nothing would change."


class UnitAlreadyStarted(RuleViolation):
    rule = "amend_remove_unit"
    vi = ("Không thể bỏ đơn vị “{unit}” khỏi kế hoạch: đã ghi nhận bước “{step_name}” cho "
          "đơn vị này (quy tắc: chỉ bỏ được đơn vị chưa có bước nào được ghi nhận).")
    en = ("Unit '{unit}' cannot be removed from the plan: the step '{step_name}' is recorded "
          "for it (rule: only a unit with no recorded step can be removed).")

    def extra_values(self, lang: str, names: Any) -> dict[str, str]:
        from kiemtra.domain.vocabulary import step_label

        return {"step_name": step_label(self.params["step"], lang)}


class UnitRenamed(InvalidInput):
    rule = "amend_unit_name"
    vi = ("units: tên của đơn vị “{unit}” không đổi được sau khi nhập kế hoạch (đang là "
          "“{old}”, tệp ghi “{new}”): tên đã in trên văn bản và trong nhật ký.")
    en = ("units: the name of unit '{unit}' cannot change once the plan is imported (it is "
          "'{old}', the file says '{new}'): it is printed on documents and in the trail.")


class UnitCodeWithdrawn(InvalidInput):
    rule = "amend_unit_code"
    vi = ("units: mã đơn vị “{unit}” đã bị bỏ khỏi kế hoạch này trước đây và không dùng lại "
          "được; hãy đặt mã khác.")
    en = ("units: the unit code '{unit}' was removed from this plan earlier and cannot be "
          "used again; choose another code.")


def plan_changes(old: Plan, new: Plan) -> list[Change]:
    """What `new` changes in `old`, item by item, in the plan file's order."""
    found: list[Change] = []

    def add(section: str, item: str | None, change: str, field: str | None = None,
            was: Any = None, now: Any = None) -> None:
        found.append({"section": section, "item": item, "change": change, "field": field,
                      "old": _plain(was), "new": _plain(now)})

    for name in PLAN_FIELDS:
        if getattr(old, name) != getattr(new, name):
            add("plan", None, "changed", name, getattr(old, name), getattr(new, name))
    for name in RULE_KEYS:
        was, now = getattr(old.rules, name), getattr(new.rules, name)
        if was != now:
            add("rules", name, "changed", None, _period(was), _period(now))
    for name in ("extra_days_off", "extra_working_days"):
        if getattr(old, name) != getattr(new, name):
            add("calendar", None, "changed", name, getattr(old, name), getattr(new, name))
    for name in ("id", "name", "email"):
        if getattr(old.secretariat, name) != getattr(new.secretariat, name):
            add("secretariat", old.secretariat.id, "changed", name,
                getattr(old.secretariat, name), getattr(new.secretariat, name))
    _items(add, "team", {m.id: m for m in old.team}, {m.id: m for m in new.team},
           MEMBER_FIELDS, lambda m: f"{m.name} ({m.role.value})")
    _items(add, "units", {u.code: u for u in old.units}, {u.code: u for u in new.units},
           UNIT_FIELDS, lambda u: u.name)
    if old.paperwork != new.paperwork:
        add("documents", None, "changed")
    if old.source.get("reminders") != new.source.get("reminders"):
        add("reminders", None, "changed")
    return found


def _items(add: Any, section: str, old: dict[str, Any], new: dict[str, Any],
           fields: Iterable[str], label: Any) -> None:
    for key, item in new.items():
        if key not in old:
            add(section, key, "added", None, None, label(item))
        else:
            for name in fields:
                was, now = getattr(old[key], name), getattr(item, name)
                if was != now:
                    add(section, key, "changed", name, was, now)
    for key, item in old.items():
        if key not in new:
            add(section, key, "removed", None, label(item), None)


def check_amendment(old: Plan, new: Plan, withdrawn: Iterable[str]) -> None:
    """Refuse what an amendment may not change (see the module's docstring); a unit with
    recorded steps is refused by the inspection itself (`Inspection.withdraw`)."""
    gone = set(withdrawn)
    known = {u.code: u for u in old.units}
    for unit in new.units:
        if unit.code in gone:
            raise UnitCodeWithdrawn(unit=unit.code)
        if unit.code in known and known[unit.code].name != unit.name:
            raise UnitRenamed(unit=unit.code, old=known[unit.code].name, new=unit.name)


def rederive(steps: Steps, planned_on_site: date | None, rules: r.Rules,
             calendar: WorkingCalendar) -> Steps:
    """The steps with their open deadlines derived again under `rules` and `calendar`
    (and the planned visit date of the new plan, while no notice has gone out); the
    steps taken keep what was derived when they were taken. `steps` is left as it is."""
    new = [(v, n, dict(d)) for v, n, d in steps]
    names = [n for _, n, _ in new]
    if names == ["Planned"]:
        data = new[0][2]
        data["planned_on_site"] = planned_on_site
        data["notice_due"] = (r.latest_notice(planned_on_site, rules, calendar)
                              if planned_on_site else None)
    schedule = _last(names, ("NoticeIssued", "Rescheduled"))
    if schedule is not None and not _settled(names, ("ReportSubmitted", "Inspected")):
        data = new[schedule][2]
        data["report_due"] = r.report_due(data["on_site"], rules, calendar)
    visit = _last(names, ("Inspected",))
    if visit is not None and not _settled(names, ("Concluded",)):
        data = new[visit][2]
        data["conclusion_due"] = r.conclusion_due(data["effective_date"], rules, calendar)
    return new


def deadline_changes(before: Record, after: Record) -> list[Change]:
    """The open deadlines (and the planned date) an amendment moved, for the trail."""
    return [{"field": key, "old": before[key], "new": after[key],
             "derived": key != "planned_on_site"}
            for key in OPEN_DEADLINES if before[key] != after[key]]


def replanned(campaign: str, unit: str, steps: Steps, before: Record,
              planned_on_site: date | None, rules: r.Rules, calendar: WorkingCalendar
              ) -> tuple[Steps, Record, list[Change]]:
    """The steps re-derived, the record they add up to and what moved (maybe nothing)."""
    new = rederive(steps, planned_on_site, rules, calendar)
    record = fold_steps(campaign, unit, new)
    return new, record, deadline_changes(before, record)


def _last(names: list[str], wanted: tuple[str, ...]) -> int | None:
    found = [i for i, n in enumerate(names) if n in wanted]
    return found[-1] if found else None


def _settled(names: list[str], by: tuple[str, ...]) -> bool:
    """Whether a step recorded settles the deadline (a report sent before a reschedule
    still counts), or the inspection is cancelled."""
    return any(n in (*by, "Cancelled") for n in names)


def _period(period: r.Period) -> dict[str, Any]:
    return {"days": period.days, "kind": str(period.kind)}


def _plain(value: Any) -> Any:
    """A value as an event stores it: tuples as lists, dataclasses as dicts."""
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "__dataclass_fields__"):
        return asdict(value)
    return value
