"""The date rules of an inspection, as pure functions of dates, rules and a calendar.

Both the workflow (to accept or refuse a step) and the views (to say what is
due) use these functions, so a deadline is computed in one place only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import (
    BeyondCalendar,
    NoDateLeftInPeriod,
    NoReportTime,
    NotAWorkingDay,
    NoticeTooLate,
    RemediationDeadlineTooEarly,
    RuleViolation,
    StepBeforePlan,
    VisitOutsidePeriod,
)
from kiemtra.domain.formats import LATEST


class DayKind(StrEnum):
    CALENDAR = "calendar"
    WORKING = "working"


@dataclass(frozen=True)
class Period:
    """A number of days of one kind: '5 working days', '30 calendar days'."""

    days: int
    kind: DayKind

    def after(self, day: date, calendar: WorkingCalendar) -> date:
        if self.kind is DayKind.WORKING:
            return calendar.shift(day, self.days)
        return day + timedelta(days=self.days)

    def before(self, day: date, calendar: WorkingCalendar) -> date:
        if self.kind is DayKind.WORKING:
            return calendar.shift(day, -self.days)
        return day - timedelta(days=self.days)


@dataclass(frozen=True)
class Rules:
    """A plan's `[rules]` table, with the product's defaults for what it leaves out."""

    notice: Period = Period(5, DayKind.CALENDAR)
    report_lead: Period = Period(5, DayKind.WORKING)
    conclusion_within: Period = Period(15, DayKind.WORKING)
    remediation_within: Period = Period(30, DayKind.CALENDAR)


DEADLINES: dict[str, tuple[str, str]] = {
    "notice_due": ("Hạn gửi thông báo lịch kiểm tra", "The last day for the notice"),
    "report_due": ("Hạn nộp báo cáo", "The report due date"),
    "conclusion_due": ("Hạn thông báo kết luận", "The conclusion due date"),
    "remediation_due": ("Hạn khắc phục", "The remediation deadline"),
    "earliest_on_site": ("Ngày kiểm tra sớm nhất được phép", "The earliest allowed on-site "
                         "date"),
    "next_working_day": ("Ngày làm việc tiếp theo", "The next working day"),
}
"""The dates the rules compute, as a refusal names them."""


def within_calendar(day: date, what: str, start: date) -> date:
    """`day`, a date the rules computed as `what` from `start`, if the calendar knows it:
    a date after 31/12/2100 (`formats.LATEST`) is refused, never computed on."""
    if day > LATEST:
        raise BeyondCalendar(what=DEADLINES[what], start=start, latest=LATEST)
    return day


def working_day_from(day: date, calendar: WorkingCalendar, what: str) -> date:
    """`day` if it is a working day, else the next one (a time limit given on a day off,
    Bộ luật Dân sự 2015, Điều 148), within the calendar."""
    return within_calendar(calendar.next_working_day(day), what, day)


def deadline_after(period: Period, day: date, calendar: WorkingCalendar) -> date:
    """A time limit running from `day`. Counted in calendar days, a limit whose last day
    is a day off ends on the next working day (Bộ luật Dân sự 2015, Điều 148)."""
    end = period.after(day, calendar)
    return calendar.next_working_day(end) if period.kind is DayKind.CALENDAR else end


def deadline_before(period: Period, day: date, calendar: WorkingCalendar) -> date:
    """A time limit counted back from `day`; one that lands on a day off moves to the
    working day before it, so it still comes before `day`."""
    start = period.before(day, calendar)
    return calendar.previous_working_day(start)


def earliest_on_site(notice_date: date, rules: Rules, calendar: WorkingCalendar) -> date:
    """With calendar days, notice + N; with working days, the N-th working day after notice."""
    return rules.notice.after(notice_date, calendar)


def latest_notice(on_site: date, rules: Rules, calendar: WorkingCalendar) -> date:
    """The last working day a notice can go out on for `on_site`.

    With working days the count runs back from the last working day on or before
    `on_site`, since the N-th working day after a notice is always a working day. It
    also leaves the unit a working day for its report (`leaves_report_time`), so a notice
    on that day is one that `notify` accepts.
    """
    visit = on_site
    if rules.notice.kind is DayKind.WORKING:
        on_site = calendar.previous_working_day(on_site)
    notice = deadline_before(rules.notice, on_site, calendar)
    while not leaves_report_time(notice, visit, rules, calendar):  # the report's day too
        notice = calendar.previous_working_day(notice - timedelta(days=1))
    return within_calendar(notice, "notice_due", visit)


def leaves_report_time(notice_date: date, on_site: date, rules: Rules,
                       calendar: WorkingCalendar) -> bool:
    """Whether a visit on `on_site`, notified on `notice_date`, leaves the unit at least one
    working day after the notice to send its report (due `report_lead` before the visit)."""
    return report_due(on_site, rules, calendar) >= calendar.shift(notice_date, 1)


def earliest_allowed_on_site(notice_date: date, rules: Rules, calendar: WorkingCalendar,
                             *, working_day_required: bool = True) -> date:
    """The first on-site date a notice of `notice_date` allows by both rules: the notice
    period, and a report window of at least one working day after the notice (with the
    defaults, 5 calendar days of notice alone would make the report due before it)."""
    day = earliest_on_site(notice_date, rules, calendar)
    for _ in range(800):  # the rules are at most 365 days each: always found long before
        within_calendar(day, "earliest_on_site", notice_date)
        if (not working_day_required or calendar.is_working_day(day)) and \
                leaves_report_time(notice_date, day, rules, calendar):
            return day
        day += timedelta(days=1)
    msg = f"no on-site date found after {notice_date}"
    raise AssertionError(msg)


def check_notice_period(
    notice_date: date, on_site: date, rules: Rules, calendar: WorkingCalendar,
    *, working_day_required: bool = True, dates: PlanDates | None = None,
) -> None:
    """Refuse an on-site date too soon after the notice, by the notice period or because
    the report would be due before the unit has a working day for it; the refusal names
    the earliest date both rules allow (which the same command then accepts) — or, when
    that date is past the plan's period, says that no date within it is left."""
    notice_ok = on_site >= earliest_on_site(notice_date, rules, calendar)
    if notice_ok and leaves_report_time(notice_date, on_site, rules, calendar):
        return
    earliest = earliest_allowed_on_site(notice_date, rules, calendar,
                                        working_day_required=working_day_required)
    error: type[RuleViolation] = NoticeTooLate if not notice_ok else NoReportTime
    if dates is not None and earliest > dates.end:
        error = NoDateLeftInPeriod
    raise error(**_notice_facts(notice_date, on_site, rules, calendar), earliest=earliest,
                **({"end": dates.end} if dates is not None else {}))


def _notice_facts(notice_date: date, on_site: date, rules: Rules,
                  calendar: WorkingCalendar) -> dict[str, object]:
    """What a refusal of a notice names: the dates, both periods, the report's due date."""
    return {"notice_date": notice_date, "on_site": on_site, "days": rules.notice.days,
            "kind": str(rules.notice.kind), "report_days": rules.report_lead.days,
            "report_kind": str(rules.report_lead.kind),
            "report_due": report_due(on_site, rules, calendar)}


def check_report_window(notice_date: date, on_site: date, rules: Rules,
                        calendar: WorkingCalendar) -> None:
    """The report's working day after the notice, on its own: so that an override of the
    notice period also records this rule when it too is set aside."""
    if not leaves_report_time(notice_date, on_site, rules, calendar):
        raise NoReportTime(**_notice_facts(notice_date, on_site, rules, calendar),
                           earliest=earliest_allowed_on_site(notice_date, rules, calendar))


def report_due_after_notice(notice_date: date, on_site: date, rules: Rules,
                            calendar: WorkingCalendar) -> date:
    """The report's deadline for a visit the leader let come sooner than the rules allow:
    never before the working day after the notice (nor after the visit itself)."""
    due = report_due(on_site, rules, calendar)
    return max(due, min(calendar.shift(notice_date, 1), on_site))


def report_due(on_site: date, rules: Rules, calendar: WorkingCalendar) -> date:
    """Step back `report_lead` days from the on-site date (to a working day)."""
    return within_calendar(deadline_before(rules.report_lead, on_site, calendar),
                           "report_due", on_site)


def conclusion_due(on_site: date, rules: Rules, calendar: WorkingCalendar) -> date:
    return within_calendar(deadline_after(rules.conclusion_within, on_site, calendar),
                           "conclusion_due", on_site)


def remediation_due(conclusion_date: date, rules: Rules, calendar: WorkingCalendar) -> date:
    return within_calendar(deadline_after(rules.remediation_within, conclusion_date, calendar),
                           "remediation_due", conclusion_date)


def check_visit_day(notice_date: date, on_site: date, rules: Rules, calendar: WorkingCalendar,
                    dates: PlanDates | None = None) -> None:
    """A notified visit on a working day. The date a refusal offers is one `notify`
    accepts: the next working day, or, when that is past the plan's period, the working
    day before (if the notice still allows it); else no date in the period is left."""
    try:
        check_working_day(on_site, calendar)
    except NotAWorkingDay as exc:
        if dates is None or exc.params["next_working_day"] <= dates.end:
            raise
        before = calendar.previous_working_day(on_site)
        if before >= dates.start and check_allows(notice_date, before, rules, calendar):
            raise NotAWorkingDay(day=on_site, reason=exc.params["reason"],
                                 reason_en=exc.params["reason_en"],
                                 next_working_day=before) from None
        raise NoDateLeftInPeriod(**_notice_facts(notice_date, on_site, rules, calendar),
                                 earliest=exc.params["next_working_day"],
                                 end=dates.end) from None


def check_allows(notice_date: date, on_site: date, rules: Rules,
                 calendar: WorkingCalendar) -> bool:
    """Whether a notice of `notice_date` allows a visit on `on_site` by both rules."""
    return on_site >= earliest_on_site(notice_date, rules, calendar) and \
        leaves_report_time(notice_date, on_site, rules, calendar)


def check_working_day(day: date, calendar: WorkingCalendar) -> None:
    """Refuse a day off, naming it (the holiday as officials write it, or the weekday) and
    the next working day (which must itself be within the calendar)."""
    reason = calendar.day_off_reason(day)
    if reason is not None:
        raise NotAWorkingDay(
            day=day, reason=reason, reason_en=calendar.day_off_reason(day, "en"),
            next_working_day=working_day_from(day, calendar, "next_working_day"),
        )


@dataclass(frozen=True)
class PlanDates:
    """The plan's own dates that bound its steps: when it was issued, and the period its
    visits fall in."""

    issued_on: date | None
    start: date
    end: date


def check_after_plan(day: date, dates: PlanDates | None) -> None:
    """No step is dated before the plan it carries out was issued."""
    if dates is not None and dates.issued_on is not None and day < dates.issued_on:
        raise StepBeforePlan(day=day, issued_on=dates.issued_on)


def check_in_period(on_site: date, dates: PlanDates | None) -> None:
    """A visit falls within the plan's inspection period."""
    if dates is not None and not dates.start <= on_site <= dates.end:
        raise VisitOutsidePeriod(on_site=on_site, start=dates.start, end=dates.end)


def check_remediation_deadline(remediate_by: date, conclusion_date: date) -> None:
    if remediate_by <= conclusion_date:
        raise RemediationDeadlineTooEarly(
            remediate_by=remediate_by,
            conclusion_date=conclusion_date,
            earliest=conclusion_date + timedelta(days=1),
        )


def notice_leaves_no_report_time(rules: Rules, calendar: WorkingCalendar, first: date,
                                 last: date) -> int:
    """How many calendar days after a notice the visit must at least be, at the worst,
    when the notice period alone would leave no working day for the report (0 when the
    notice period is always enough): for a warning at plan import."""
    worst = 0
    day = first
    while day <= last:
        try:
            if calendar.is_working_day(day):
                by_notice = earliest_on_site(day, rules, calendar)
                if not leaves_report_time(day, by_notice, rules, calendar):
                    worst = max(worst,
                                (earliest_allowed_on_site(day, rules, calendar) - day).days)
        except BeyondCalendar:
            break  # a notice this late could not be given at all: nothing to warn of
        day += timedelta(days=1)
    return worst
