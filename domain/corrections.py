"""Correcting a recorded step: the mistaken fact replaced, everything derived from it
derived again by the same rules, and the rules checked on the corrected facts.

An inspection keeps the data of each step in force (`Inspection.steps`: version, event
name, data). A correction changes one step's facts, then folds every step again in
order (`refold`): each step's derived values — the report's due date from the on-site
date, the conclusion's due date from the visit, the default remediation deadlines from
the conclusion, the "late" flags — are computed again, and each step must still obey the
date rules it obeyed when it was recorded. The event of the correction carries the
steps' new data and the record they add up to, so the views take the record as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kiemtra.domain import rules as r
from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import (
    AbsenceNotApproved,
    DateBeforePreviousStep,
    InvalidInput,
    OnSiteDateMismatch,
    RuleViolation,
    UnknownFinding,
)
from kiemtra.domain.record import EVENT_STEPS, Record, evolve, new_record
from kiemtra.domain.vocabulary import step_label

Steps = list[tuple[int, str, dict[str, Any]]]
EVENT_OF_STEP = {str(step): name for name, step in EVENT_STEPS.items()
                 if step is not None and str(step) != "cancel"}
"""The steps a correction may change (their command names) → their event."""
DEADLINES = ("on_site", "report_due", "conclusion_due")


@dataclass(frozen=True)
class Change:
    """What a correction says: the facts to put in place of the recorded ones."""

    day: date | None = None  # the step's effective date
    finding: int | None = None  # the finding whose text or deadline changes
    text: str | None = None
    remediate_by: date | None = None
    metrics: dict[str, Any] | None = None
    absent: tuple[str, ...] | None = None


class NotCorrectable(InvalidInput):
    rule = "correct_field"
    vi = "Bước “{step_name}” không có {what} để sửa (sửa được: {allowed})."
    en = "The step '{step_name}' has no {what} to correct (it has: {allowed})."

    def extra_values(self, lang: str, names: Any) -> dict[str, str]:
        return {"step_name": step_label(self.params["step"], lang)}


class StepNotRecorded(RuleViolation):
    rule = "correct_step"
    vi = "Đơn vị {unit} chưa có bước “{step_name}” được ghi nhận để sửa."
    en = "Unit {unit} has no recorded step '{step_name}' to correct."

    def extra_values(self, lang: str, names: Any) -> dict[str, str]:
        return {"step_name": step_label(self.params["step"], lang)}


class FindingRequired(InvalidInput):
    rule = "correct_finding"
    vi = "Sửa nội dung tồn tại cần cho biết số thứ tự của tồn tại (--finding N)."
    en = "Correcting a finding's text needs the finding's number (--finding N)."


class LaterStepBefore(RuleViolation):
    rule = "date_order"
    vi = ("Bước “{later_name}” đã ghi nhận ngày {later_day}, sớm hơn ngày sửa của bước "
          "“{step_name}” (quy tắc: các bước theo đúng thứ tự thời gian). Ngày muộn nhất được "
          "phép là {later_day}.")
    en = ("The step '{later_name}' is recorded on {later_day}, before the corrected date of "
          "the step '{step_name}' (rule: steps in date order). The latest date allowed is "
          "{later_day}.")

    def extra_values(self, lang: str, names: Any) -> dict[str, str]:
        return {"step_name": step_label(self.params["step"], lang),
                "later_name": step_label(self.params["later"], lang)}


class AbsenceCorrectedByLeader(AbsenceNotApproved):
    """Who was absent from a visit is corrected by the leader (whose approval it needs)."""

    rule = "absence_correction"
    vi = ("Chỉ Tổ trưởng “{leader}” sửa được danh sách thành viên vắng mặt ({absent}) (quy "
          "tắc: vắng mặt khi kiểm tra phải được Tổ trưởng đồng ý).")
    en = ("Only the leader '{leader}' may correct who was absent ({absent}) (rule: an absence "
          "from the visit needs the leader's approval).")


class NothingToCorrect(RuleViolation):
    rule = "correct_nothing"
    vi = "Nội dung sửa giống hệt điều đã ghi nhận: không có gì thay đổi."
    en = "The correction is the same as what was recorded: nothing would change."


FIELDS = {  # what each step's correction may change
    "notify": {"day"}, "reschedule": {"day"}, "report": {"day", "metrics"},
    "inspect": {"day", "absent"}, "minutes": {"day"},
    "conclude": {"day", "finding", "text", "remediate_by"}, "remediate": {"day"},
}
FIELD_WORDS = {"day": ("ngày", "date"), "metrics": ("số liệu báo cáo", "report figures"),
               "absent": ("thành viên vắng mặt", "absent members"),
               "text": ("nội dung tồn tại", "finding text"),
               "finding": ("tồn tại", "findings"),
               "remediate_by": ("hạn khắc phục", "remediation deadline")}


def correct(campaign: str, unit: str, steps: Steps, before: Record, step: str,
            change: Change, rules: r.Rules, calendar: WorkingCalendar,
            dates: r.PlanDates | None = None
            ) -> tuple[Steps, int, Record, list[dict[str, Any]]]:
    """The steps with the correction made and all derived again (`steps` and the record
    `before` them are left as they are); the corrected event's version, the record the
    new steps add up to and the changes (fact and derived) a reader sees."""
    given = {k for k, v in vars(change).items() if v is not None}
    allowed = FIELDS[step]
    extra = sorted(given - allowed)
    if extra:
        raise NotCorrectable(step=step, what=FIELD_WORDS[extra[0]],
                             allowed=(", ".join(FIELD_WORDS[a][0] for a in sorted(allowed)),
                                      ", ".join(FIELD_WORDS[a][1] for a in sorted(allowed))))
    if change.text is not None and change.finding is None:
        raise FindingRequired()
    name = EVENT_OF_STEP[step]
    found = [i for i, (_, n, _) in enumerate(steps) if n == name]
    if not found:
        raise StepNotRecorded(unit=unit, step=step)
    index = found[-1]
    version, _, data = steps[index]
    new = [(v, n, dict(d)) for v, n, d in steps]
    fixed = new[index][2]
    _apply_change(name, fixed, change, new, index, rules, calendar)
    first = next(i for i, ((_, _, d), (_, _, was)) in enumerate(zip(new, steps, strict=True))
                 if d != was or i == index)
    try:
        record = refold(campaign, unit, new, rules, calendar, start=first, dates=dates)
    except DateBeforePreviousStep as exc:
        if change.day is None or exc.params["day"] == change.day:
            raise  # the corrected step itself comes before the step it follows
        later = next((n for _, n, d in new[index + 1:]
                      if d["effective_date"] == exc.params["day"]), None)
        if later is None:
            raise
        raise LaterStepBefore(step=step, later=str(EVENT_STEPS[later]),
                              later_day=exc.params["day"]) from None
    changes = _changes(before, record, data, fixed)
    if not changes:
        raise NothingToCorrect()
    return new, version, record, changes


def _apply_change(name: str, data: dict[str, Any], change: Change, steps: Steps,
                  index: int, rules: r.Rules, calendar: WorkingCalendar) -> None:
    if change.day is not None:
        old_day = data["effective_date"]
        data["effective_date"] = change.day
        if name == "Inspected":  # a corrected visit is on a working day, as a visit is
            r.check_working_day(change.day, calendar)
            if not data["surprise"]:
                _move_schedule(steps, index, change.day)
        if name == "Concluded":  # default deadlines follow the conclusion's date
            default = r.remediation_due(old_day, rules, calendar)
            data["findings"] = [{**f, "remediate_by": r.remediation_due(change.day, rules,
                                                                        calendar)}
                                if f["remediate_by"] == default else dict(f)
                                for f in data["findings"]]
    if change.metrics is not None:
        data["metrics"] = change.metrics
    if change.absent is not None:
        data["absent"] = sorted(set(change.absent))
    if change.text is not None or change.remediate_by is not None:
        numbers = [f["number"] for f in data["findings"]]
        if change.finding is None and change.text is not None or (
                change.finding is not None and change.finding not in numbers):
            raise UnknownFinding(finding=change.finding or 0, known=numbers or "-")
        data["findings"] = [
            {**f, **({"text": change.text} if change.text is not None else {}),
             **({"remediate_by": change.remediate_by} if change.remediate_by else {})}
            if change.finding in (None, f["number"]) else dict(f)
            for f in data["findings"]]


def _move_schedule(steps: Steps, index: int, day: date) -> None:
    """A notified visit happens on its scheduled date by rule: a corrected visit date is a
    corrected on-site date of the schedule in force, and the report's due date moves."""
    for i in range(index - 1, -1, -1):
        if steps[i][1] in ("NoticeIssued", "Rescheduled"):
            steps[i][2]["on_site"] = day
            return


def refold(campaign: str, unit: str, steps: Steps, rules: r.Rules,
           calendar: WorkingCalendar, start: int = 0, dates: r.PlanDates | None = None
           ) -> Record:
    """Fold `steps` again, deriving the derived values of each step from `start` on (the
    first one a correction changed) and checking the date rules on them — those of the
    plan's `dates` too; the steps before keep what was derived when they were taken (under
    the rules then in force, which an amendment may since have changed). The data in
    `steps` is updated in place."""
    record = new_record(campaign, unit)
    for i, (_, name, data) in enumerate(steps):
        if i >= start and name != "Planned":
            _derive(name, data, record, rules, calendar, dates)
        evolve(record, name, data)
    return record


def _derive(name: str, data: dict[str, Any], rec: Record, rules: r.Rules,
            calendar: WorkingCalendar, dates: r.PlanDates | None = None) -> None:
    """A corrected step meets the rules a new one meets, save those the leader set aside
    when it was recorded (its `override`): a correction does not take that back."""
    day: date = data["effective_date"]
    if rec["last_date"] is not None and day < rec["last_date"]:
        raise DateBeforePreviousStep(day=day, previous_step=rec["last_step"],
                                     previous_date=rec["last_date"])
    accepted = set((data.get("override") or {}).get("rules", ()))
    if name in ("NoticeIssued", "Inspected", "Cancelled") and "before_plan" not in accepted:
        r.check_after_plan(day, dates)
    if name in ("NoticeIssued", "Rescheduled"):
        on_site: date = data["on_site"]
        if "outside_period" not in accepted:
            r.check_in_period(on_site, dates)
        if not accepted & {"notice_period", "report_window"}:
            working = calendar.is_working_day(on_site)
            r.check_notice_period(day, on_site, rules, calendar, working_day_required=working,
                                  dates=dates)
        data["report_due"] = r.report_due_after_notice(day, on_site, rules, calendar)
    elif name == "ReportSubmitted":
        data["late"] = rec["report_due"] is not None and day > rec["report_due"]
    elif name == "Inspected":
        if not data["surprise"] and rec["on_site"] is not None and day != rec["on_site"]:
            raise OnSiteDateMismatch(scheduled=rec["on_site"], given=day)
        if data["surprise"] and "outside_period" not in accepted:
            r.check_in_period(day, dates)
        data["conclusion_due"] = r.conclusion_due(day, rules, calendar)
    elif name == "Concluded":
        for finding in data["findings"]:
            r.check_remediation_deadline(finding["remediate_by"], day)
        data["late"] = rec["conclusion_due"] is not None and day > rec["conclusion_due"]
    elif name == "RemediationReported":
        by = {f["number"]: f["remediate_by"] for f in rec["findings"]}
        data["late_findings"] = [n for n in data["findings"] if day > by[n]]


def _changes(before: Record, after: Record, old: dict[str, Any], new: dict[str, Any]
             ) -> list[dict[str, Any]]:
    """What changed, for the trail: the corrected facts, then the deadlines derived again."""
    found = [{"field": key, "old": old.get(key), "new": new.get(key)}
             for key in ("effective_date", "metrics", "absent") if old.get(key) != new.get(key)]
    for f_old, f_new in zip(old.get("findings") or (), new.get("findings") or (), strict=True):
        if not isinstance(f_old, dict):  # a remediation report's findings are numbers
            continue
        for key in ("text", "remediate_by"):
            if f_old[key] != f_new[key]:
                found.append({"field": f"finding {f_old['number']} {key}", "old": f_old[key],
                              "new": f_new[key]})
    for key in (*DEADLINES, "report_late", "conclusion_late"):
        if before[key] != after[key] and not any(c["field"] == key for c in found):
            found.append({"field": key, "old": before[key], "new": after[key],
                          "derived": True})
    return found
