"""The date rules (README, "The workflow and its date rules"), with their worked examples
and our own."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain import rules as r
from kiemtra.domain.calendar import WorkingCalendar
from kiemtra.domain.errors import (
    NoDateLeftInPeriod,
    NotAWorkingDay,
    NoticeTooLate,
    RemediationDeadlineTooEarly,
    VisitOutsidePeriod,
)
from kiemtra.domain.overrides import Bounds
from kiemtra.domain.rules import DayKind, Period, PlanDates, Rules

CAL = WorkingCalendar()
DEFAULT = Rules()
# Plans whose report lead (1 working day) leaves the notice period alone to decide, for the
# examples of the notice period itself; the report window has its own below.
NOTICE_ONLY = Rules(report_lead=Period(1, DayKind.WORKING))
WORKING_NOTICE = Rules(notice=Period(5, DayKind.WORKING), report_lead=Period(1, DayKind.WORKING))


def test_defaults_are_those_of_the_design() -> None:
    assert DEFAULT.notice == Period(5, DayKind.CALENDAR)
    assert DEFAULT.report_lead == Period(5, DayKind.WORKING)
    assert DEFAULT.conclusion_within == Period(15, DayKind.WORKING)
    assert DEFAULT.remediation_within == Period(30, DayKind.CALENDAR)


def test_the_earliest_date_offered_is_a_working_day() -> None:
    # notice Monday 10/08 → +5 calendar days is Saturday 15/08: offer Monday 17/08,
    # unless a visit on a day off is allowed.
    with pytest.raises(NoticeTooLate) as refused:
        r.check_notice_period(date(2026, 8, 10), date(2026, 8, 12), NOTICE_ONLY, CAL)
    assert refused.value.params["earliest"] == date(2026, 8, 17)
    with pytest.raises(NoticeTooLate) as refused:
        r.check_notice_period(date(2026, 8, 10), date(2026, 8, 12), NOTICE_ONLY, CAL,
                              working_day_required=False)
    assert refused.value.params["earliest"] == date(2026, 8, 15)


def test_calendar_notice_worked_example() -> None:
    # notice 2026-09-10 → on-site 2026-09-15 or later
    assert r.earliest_on_site(date(2026, 9, 10), NOTICE_ONLY, CAL) == date(2026, 9, 15)
    r.check_notice_period(date(2026, 9, 10), date(2026, 9, 15), NOTICE_ONLY, CAL)
    with pytest.raises(NoticeTooLate) as refused:
        r.check_notice_period(date(2026, 9, 10), date(2026, 9, 14), NOTICE_ONLY, CAL)
    assert refused.value.params["earliest"] == date(2026, 9, 15)
    assert "15/09/2026" in refused.value.message("vi")
    assert "2026-09-15" in refused.value.message("en")


def test_a_period_of_one_day_is_said_in_the_singular() -> None:
    one = Rules(notice=Period(1, DayKind.WORKING))
    with pytest.raises(NoticeTooLate) as refused:
        r.check_notice_period(date(2026, 9, 10), date(2026, 9, 10), one, CAL)
    assert "notice at least 1 working day ahead" in refused.value.message("en")
    assert "thông báo trước ít nhất 1 ngày làm việc" in refused.value.message("vi")
    with pytest.raises(NoticeTooLate) as refused:
        r.check_notice_period(date(2026, 9, 10), date(2026, 9, 14), NOTICE_ONLY, CAL)
    assert "notice at least 5 calendar days ahead" in refused.value.message("en")


def test_working_notice_skips_national_day() -> None:
    # Notice Friday 28/08/2026: working days after are 03/09 (1), 04 (2), 07 (3), 08 (4), 09 (5);
    # 29–30/08 weekend, 31/08 swapped day off, 01–02/09 Quốc khánh.
    assert r.earliest_on_site(date(2026, 8, 28), WORKING_NOTICE, CAL) == date(2026, 9, 9)
    with pytest.raises(NoticeTooLate) as refused:
        r.check_notice_period(date(2026, 8, 28), date(2026, 9, 8), WORKING_NOTICE, CAL)
    assert "09/09/2026" in refused.value.message()


def test_report_due_worked_example() -> None:
    # 5 working days before Thursday 2026-09-03: 09-02, 09-01, 08-31 are days off → Monday 08-24.
    assert r.report_due(date(2026, 9, 3), DEFAULT, CAL) == date(2026, 8, 24)


def test_report_due_over_tet_and_announced_swap() -> None:
    one = Rules(report_lead=Period(1, DayKind.WORKING))
    # On-site Monday 23/02/2026, right after Tết: the previous working day is Friday 13/02.
    assert r.report_due(date(2026, 2, 23), one, CAL) == date(2026, 2, 13)
    # On-site Monday 05/01/2026: 02/01 is the announced day off, 01/01 a holiday → 31/12/2025.
    assert r.report_due(date(2026, 1, 5), one, CAL) == date(2025, 12, 31)
    # On-site Monday 12/01/2026: Saturday 10/01 is a working day.
    assert r.report_due(date(2026, 1, 12), one, CAL) == date(2026, 1, 10)


def test_report_lead_in_calendar_days() -> None:
    cal_rules = Rules(report_lead=Period(3, DayKind.CALENDAR))
    # 3 calendar days before 03/09/2026 is Monday 31/08, a day off: the working day
    # before it, Friday 28/08, is the due date.
    assert r.report_due(date(2026, 9, 3), cal_rules, CAL) == date(2026, 8, 28)
    assert r.report_due(date(2026, 9, 10), cal_rules, CAL) == date(2026, 9, 7)


def test_conclusion_and_remediation_due() -> None:
    # 15 working days after Monday 10/08/2026; Saturday 22/08 is a working day,
    # 31/08–02/09 are off.
    assert r.conclusion_due(date(2026, 8, 10), DEFAULT, CAL) == date(2026, 8, 28)
    # 30 calendar days after 28/08 is Sunday 27/09: the limit ends on Monday 28/09
    # (Bộ luật Dân sự, Điều 148)
    assert r.remediation_due(date(2026, 8, 28), DEFAULT, CAL) == date(2026, 9, 28)
    assert r.remediation_due(date(2026, 8, 27), DEFAULT, CAL) == date(2026, 9, 28)
    assert r.remediation_due(date(2026, 8, 25), DEFAULT, CAL) == date(2026, 9, 24)
    working = Rules(remediation_within=Period(2, DayKind.WORKING))
    assert r.remediation_due(date(2026, 8, 28), working, CAL) == date(2026, 9, 4)


def test_on_site_must_be_a_working_day() -> None:
    r.check_working_day(date(2026, 9, 3), CAL)
    with pytest.raises(NotAWorkingDay) as refused:
        r.check_working_day(date(2026, 9, 2), CAL)
    assert refused.value.params["next_working_day"] == date(2026, 9, 3)
    assert refused.value.rule == "on_site_working_day"


def test_remediation_deadline_after_conclusion() -> None:
    r.check_remediation_deadline(date(2026, 9, 1), date(2026, 8, 31))
    with pytest.raises(RemediationDeadlineTooEarly):
        r.check_remediation_deadline(date(2026, 8, 31), date(2026, 8, 31))


days = st.dates(min_value=date(2025, 1, 1), max_value=date(2028, 12, 31))
counts = st.integers(min_value=1, max_value=30)


def working_days_between(start: date, end: date) -> int:
    """Working days d with start <= d < end."""
    return sum(CAL.is_working_day(start + timedelta(days=i)) for i in range((end - start).days))


@given(on_site=days, n=counts, kind=st.sampled_from(list(DayKind)))
def test_every_due_date_is_a_working_day(on_site: date, n: int, kind: DayKind) -> None:
    rules = Rules(notice=Period(n, kind), report_lead=Period(n, kind),
                  conclusion_within=Period(n, kind), remediation_within=Period(n, kind))
    for due in (r.report_due(on_site, rules, CAL), r.conclusion_due(on_site, rules, CAL),
                r.remediation_due(on_site, rules, CAL), r.latest_notice(on_site, rules, CAL)):
        assert CAL.is_working_day(due)
    assert r.report_due(on_site, rules, CAL) <= on_site - timedelta(days=n)
    assert r.remediation_due(on_site, rules, CAL) >= on_site + timedelta(days=n)


@given(on_site=days, n=counts)
def test_report_due_is_a_working_day_exactly_n_working_days_before(on_site: date, n: int) -> None:
    due = r.report_due(on_site, Rules(report_lead=Period(n, DayKind.WORKING)), CAL)
    assert CAL.is_working_day(due)
    assert due < on_site
    assert working_days_between(due, on_site) == n


@given(notice=days, n=counts, kind=st.sampled_from(list(DayKind)))
def test_earliest_on_site_is_accepted_and_the_day_before_is_refused(
    notice: date, n: int, kind: DayKind
) -> None:
    rules = Rules(notice=Period(n, kind))
    earliest = r.earliest_on_site(notice, rules, CAL)  # by the notice period alone
    allowed = r.earliest_allowed_on_site(notice, rules, CAL, working_day_required=False)
    assert allowed >= earliest
    r.check_notice_period(notice, allowed, rules, CAL, working_day_required=False)
    with pytest.raises((NoticeTooLate, r.NoReportTime)):
        r.check_notice_period(notice, allowed - timedelta(days=1), rules, CAL,
                              working_day_required=False)
    if kind is DayKind.CALENDAR:
        assert earliest == notice + timedelta(days=n)
    else:
        assert CAL.is_working_day(earliest)
        assert working_days_between(notice + timedelta(days=1), earliest + timedelta(days=1)) == n


@given(on_site=days, n=counts, kind=st.sampled_from(list(DayKind)))
def test_latest_notice_always_satisfies_the_notice_period(
    on_site: date, n: int, kind: DayKind
) -> None:
    rules = Rules(notice=Period(n, kind))
    r.check_notice_period(r.latest_notice(on_site, rules, CAL), on_site, rules, CAL)


def _notify(notice: date, on_site: date, rules: Rules, bounds: Bounds | None = None) -> None:
    """What `Inspection.notify` checks, on a fresh inspection, in its order (with the
    plan's dates when `bounds` gives them)."""
    from kiemtra.domain.inspection import Inspection
    from kiemtra.domain.roles import Actor, ActorRole

    inspection = Inspection(campaign="K", unit="u", planned_on_site=None, notice_due=None,
                            actor="a", actor_role="leader", effective_date=date(2026, 1, 1))
    inspection.notify(notice_date=notice, on_site=on_site, rules=rules, calendar=CAL,
                      actor=Actor("a", ActorRole.LEADER, "A"), bounds=bounds)


def test_with_the_defaults_a_notice_five_days_ahead_leaves_no_time_for_the_report() -> None:
    """Notice Monday 03/08/2026, visit Monday 10/08 (7 days: the notice period is met), but
    the report, 5 working days before the visit, would be due Monday 03/08 — the notice's
    own day. The earliest visit leaving the unit a working day is Tuesday 11/08."""
    with pytest.raises(r.NoReportTime) as refused:
        _notify(date(2026, 8, 3), date(2026, 8, 10), DEFAULT)
    assert refused.value.params["earliest"] == date(2026, 8, 11)
    assert "Ngày kiểm tra sớm nhất được phép là 11/08/2026" in refused.value.message("vi")
    _notify(date(2026, 8, 3), date(2026, 8, 11), DEFAULT)


@given(notice=st.dates(date(2026, 1, 1), date(2027, 12, 31)),
       gap=st.integers(min_value=0, max_value=25),
       notice_days=st.integers(min_value=1, max_value=10),
       notice_kind=st.sampled_from(DayKind), report_days=st.integers(min_value=1, max_value=8),
       report_kind=st.sampled_from(DayKind),
       period_left=st.one_of(st.none(), st.integers(min_value=0, max_value=40)))
def test_every_earliest_date_a_refusal_offers_is_accepted(
        notice: date, gap: int, notice_days: int, notice_kind: DayKind, report_days: int,
        report_kind: DayKind, period_left: int | None) -> None:
    """Whatever the rules and however near the plan's period ends (`period_left` days
    after the notice), a date a refusal offers is one the same command accepts."""
    rules = Rules(notice=Period(notice_days, notice_kind),
                  report_lead=Period(report_days, report_kind))
    bounds = None if period_left is None else Bounds(
        PlanDates(notice - timedelta(days=20), notice - timedelta(days=10),
                  notice + timedelta(days=period_left)), leader="a")
    try:
        _notify(notice, notice + timedelta(days=gap), rules, bounds)
    except (NoticeTooLate, r.NoReportTime) as exc:
        _notify(notice, exc.params["earliest"], rules, bounds)  # accepted as offered
    except NotAWorkingDay as exc:
        _notify(notice, exc.params["next_working_day"], rules, bounds)
    except (NoDateLeftInPeriod, VisitOutsidePeriod):
        pass  # these offer no date: there is none within the period


# --- the calendar ends on 31/12/2100 ------------------------------------------------------

LAST = date(2100, 12, 31)
LATE_DAYS = st.dates(min_value=date(2100, 6, 1), max_value=LAST)


@given(day=LATE_DAYS)
def test_no_deadline_is_computed_beyond_2100(day: date) -> None:
    """Each deadline is computed and at most 31/12/2100, or refused as out of range (exit
    2), naming what was counted and from when; the refusal speaks both languages."""
    from kiemtra.domain.errors import BAD_INPUT, BeyondCalendar

    for compute in (r.conclusion_due, r.remediation_due, r.report_due):
        try:
            due = compute(day, DEFAULT, CAL)
        except BeyondCalendar as exc:
            assert exc.exit_code == BAD_INPUT
            assert "31/12/2100" in exc.message("vi") and "2100-12-31" in exc.message("en")
            assert day.strftime("%d/%m/%Y") in exc.message("vi")
        else:
            assert due <= LAST


def test_deadlines_that_would_fall_in_2101_are_refused() -> None:
    from kiemtra.domain.errors import BeyondCalendar

    with pytest.raises(BeyondCalendar) as conclusion:
        r.conclusion_due(date(2100, 12, 20), DEFAULT, CAL)
    assert conclusion.value.message("vi").startswith(
        "Hạn thông báo kết luận tính từ ngày 20/12/2100 rơi vào sau ngày 31/12/2100")
    assert conclusion.value.message("en").startswith(
        "The conclusion due date counted from 2100-12-20 would fall after 2100-12-31")
    with pytest.raises(BeyondCalendar):
        r.remediation_due(date(2100, 12, 15), DEFAULT, CAL)
    with pytest.raises(BeyondCalendar):  # the earliest on-site date a refusal would name
        r.check_notice_period(date(2100, 12, 28), date(2100, 12, 30), DEFAULT, CAL)
    with pytest.raises(BeyondCalendar):  # a day given on a day off moves past the end
        r.working_day_from(date(2100, 12, 31) + timedelta(days=0), WorkingCalendar(
            extra_days_off=[LAST]), "remediation_due")
    assert r.conclusion_due(date(2100, 12, 1), DEFAULT, CAL) <= LAST
    assert r.report_due(LAST, DEFAULT, CAL) < LAST


def test_the_import_warning_stops_at_the_end_of_the_calendar() -> None:
    """The warning's scan ends at the calendar's last day (before, it raised there), and
    still finds the worst gap of its weeks: 11 days with the defaults (a notice on
    18/11/2100, before the day off of 24/11)."""
    assert r.notice_leaves_no_report_time(DEFAULT, CAL, date(2100, 10, 1), LAST) == 11


def test_a_day_off_refusal_names_the_holiday() -> None:
    with pytest.raises(NotAWorkingDay) as refused:
        r.check_working_day(date(2026, 9, 2), CAL)
    assert refused.value.message("vi").startswith(
        "Ngày 02/09/2026 không phải ngày làm việc: Quốc khánh (2/9) (quy tắc: kiểm tra vào "
        "ngày làm việc)")
    assert refused.value.message("en").startswith(
        "2026-09-02 is not a working day: National Day (2 September)")
    with pytest.raises(NotAWorkingDay) as saturday:
        r.check_working_day(date(2026, 9, 5), CAL)
    assert "không phải ngày làm việc: thứ Bảy" in saturday.value.message("vi")
