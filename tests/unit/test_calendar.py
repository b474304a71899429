"""Working days: weekends, Vietnam's public holidays, announced swaps, plan overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain.calendar import (
    AnnouncedDays,
    Source,
    WorkingCalendar,
    announced_days,
    estimated_years,
)

CAL = WorkingCalendar()


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 9, 3), True),    # Thursday
        (date(2026, 9, 5), False),   # Saturday
        (date(2026, 9, 6), False),   # Sunday
        (date(2026, 9, 2), False),   # Quốc khánh
        (date(2026, 9, 1), False),   # Quốc khánh (second day)
        (date(2026, 8, 31), False),  # day off swapped with Saturday 22/08 (holidays package)
        (date(2026, 8, 22), True),   # the working Saturday of that swap
        (date(2026, 1, 1), False),   # Tết Dương lịch
        (date(2026, 1, 2), False),   # announced swap shipped with kiemtra
        (date(2026, 1, 10), True),   # Saturday worked in exchange (announced)
        (date(2026, 2, 16), False),  # Tết Nguyên Đán 2026: 16–20/02
        (date(2026, 2, 20), False),
        (date(2026, 2, 23), True),   # first working day after Tết
        (date(2026, 4, 27), False),  # Giỗ Tổ Hùng Vương (observed)
        (date(2026, 4, 30), False),
        (date(2026, 5, 1), False),
    ],
)
def test_working_days_of_2026(day: date, working: bool) -> None:
    assert CAL.is_working_day(day) is working


def test_announced_swaps_come_from_the_shipped_data_file() -> None:
    data = announced_days()
    assert date(2026, 1, 2) in data.days_off
    assert date(2026, 1, 10) in data.working_days


def test_plan_overrides_win_over_every_other_layer() -> None:
    cal = WorkingCalendar(extra_days_off=[date(2026, 9, 3)],
                          extra_working_days=[date(2026, 9, 2), date(2026, 1, 2)])
    assert not cal.is_working_day(date(2026, 9, 3))
    assert cal.is_working_day(date(2026, 9, 2))
    assert cal.is_working_day(date(2026, 1, 2))


def test_reasons_name_the_holiday_or_the_weekday() -> None:
    assert CAL.day_off_reason(date(2026, 9, 3)) is None
    assert "Quốc khánh" in (CAL.day_off_reason(date(2026, 9, 2)) or "")
    assert CAL.day_off_reason(date(2026, 9, 5)) == "thứ Bảy"  # inside a sentence
    assert CAL.day_off_reason(date(2026, 9, 6)) == "Chủ nhật"
    assert "10/01/2026" in (CAL.day_off_reason(date(2026, 1, 2)) or "")
    assert CAL.day_off_reason(date(2026, 9, 5), "en") == "Saturday"


def test_shift_over_tet() -> None:
    # Friday 13/02/2026 + 1 working day jumps the whole Tết week to Monday 23/02.
    assert CAL.shift(date(2026, 2, 13), 1) == date(2026, 2, 23)
    assert CAL.shift(date(2026, 2, 23), -1) == date(2026, 2, 13)
    assert CAL.next_working_day(date(2026, 2, 16)) == date(2026, 2, 23)
    assert CAL.next_working_day(date(2026, 2, 23)) == date(2026, 2, 23)


days = st.dates(min_value=date(2024, 1, 1), max_value=date(2028, 12, 31))


@given(day=days, n=st.integers(min_value=1, max_value=40))
def test_shift_lands_on_a_working_day_exactly_n_working_days_away(day: date, n: int) -> None:
    later = CAL.shift(day, n)
    assert CAL.is_working_day(later)
    between = [day + timedelta(days=i) for i in range(1, (later - day).days + 1)]
    assert sum(CAL.is_working_day(d) for d in between) == n
    earlier = CAL.shift(day, -n)
    assert CAL.is_working_day(earlier)
    between = [earlier + timedelta(days=i) for i in range((day - earlier).days)]
    assert sum(CAL.is_working_day(d) for d in between) == n


# --- names, sources and how sure the calendar is ----------------------------------------


def listed(year: int, cal: WorkingCalendar = CAL) -> dict[date, tuple[bool, str, str, Source]]:
    return {d.day: (d.working, d.name[0], d.name[1], d.source) for d in cal.year(year)}


def test_the_holidays_of_2026_as_officials_write_them() -> None:
    days = listed(2026)
    assert days[date(2026, 1, 1)] == (False, "Tết Dương lịch", "New Year's Day", Source.LAW)
    assert days[date(2026, 1, 2)] == (
        False, "Nghỉ bù dịp Tết Dương lịch 2026 (làm bù thứ Bảy 10/01/2026)",
        "Day off for New Year 2026, worked on Saturday 2026-01-10", Source.ANNOUNCED)
    assert days[date(2026, 1, 10)][:2] == (True, "Làm bù cho ngày nghỉ thứ Sáu 02/01/2026")
    assert days[date(2026, 2, 17)][1] == "Tết Nguyên đán (mùng 1)"
    assert days[date(2026, 4, 26)][1] == "Giỗ Tổ Hùng Vương (10/3 âm lịch)"
    assert days[date(2026, 4, 27)][1] == "Nghỉ bù Giỗ Tổ Hùng Vương (trùng Chủ nhật 26/04/2026)"
    assert days[date(2026, 4, 30)][1] == "Ngày Chiến thắng (30/4)"
    assert days[date(2026, 5, 1)][1:3] == ("Ngày Quốc tế lao động (1/5)",
                                           "International Labour Day (1 May)")
    assert days[date(2026, 8, 22)] == (True, "Làm bù cho ngày nghỉ thứ Hai 31/08/2026",
                                       "Working day in exchange for Monday 2026-08-31",
                                       Source.ANNOUNCED)
    assert days[date(2026, 8, 31)][1] == "Nghỉ bù dịp Quốc khánh (làm bù thứ Bảy 22/08/2026)"
    assert days[date(2026, 9, 1)] == (False, "Quốc khánh (ngày liền kề 2/9)",
                                      "National Day (the day next to 2 September)",
                                      Source.ANNOUNCED)
    assert days[date(2026, 9, 2)] == (False, "Quốc khánh (2/9)", "National Day (2 September)",
                                      Source.LAW)
    assert date(2026, 9, 5) not in days  # an ordinary Saturday
    assert all(d.source is not Source.ESTIMATE for d in CAL.year(2026))
    assert not any("Thứ" in name for _, name, _, _ in days.values())  # "thứ" inside a name


def test_2027_is_an_estimate_but_for_the_labour_codes_solar_holidays() -> None:
    days = listed(2027)
    tet = [d for d, (_, name, _, _) in days.items() if name.startswith("Tết Nguyên đán")]
    assert tet and all(days[d][3] is Source.ESTIMATE for d in tet)
    assert days[date(2027, 2, 6)][:2] == (False, "Tết Nguyên đán (mùng 1)")  # a Saturday
    assert days[date(2027, 4, 16)][3] is Source.ESTIMATE  # Giỗ Tổ: the lunar calendar
    assert days[date(2027, 9, 3)][3] is Source.ESTIMATE  # the day next to 2/9: chosen
    for solar in (date(2027, 1, 1), date(2027, 4, 30), date(2027, 5, 1), date(2027, 9, 2)):
        assert days[solar][3] is Source.LAW
    assert days[date(2027, 5, 3)] == (  # 1/5 on a Saturday: the law gives the Monday
        False, "Nghỉ bù Ngày Quốc tế lao động (trùng thứ Bảy 01/05/2027)",
        "Day off in lieu of Labour Day (on Saturday 2027-05-01)", Source.LAW)


def test_the_shipped_file_lists_the_announced_years_with_their_notice() -> None:
    data = announced_days()
    assert set(data.years) == {2025, 2026}
    assert all(vi and en for vi, en in data.years.values())
    assert data.announced(2026) and not data.announced(2027)
    assert set(data.english) == set(data.days_off) | set(data.working_days)


def test_plan_days_are_listed_with_the_plan_as_source() -> None:
    cal = WorkingCalendar(extra_days_off=[date(2026, 9, 3)],
                          extra_working_days=[date(2026, 9, 2)])
    days = listed(2026, cal)
    assert days[date(2026, 9, 3)] == (False, "Ngày nghỉ theo kế hoạch", "Day off in the plan",
                                      Source.PLAN)
    assert days[date(2026, 9, 2)][0] is True and days[date(2026, 9, 2)][3] is Source.PLAN
    assert cal.day_off_reason(date(2026, 9, 3)) == "Ngày nghỉ theo kế hoạch"


def test_refusals_name_the_holiday_from_the_same_source() -> None:
    for day in (date(2026, 9, 2), date(2026, 2, 17), date(2026, 1, 2), date(2027, 2, 8)):
        named = CAL.named_day(day)
        assert named is not None
        assert CAL.day_off_reason(day) == named.name[0]
        assert CAL.day_off_reason(day, "en") == named.name[1]


@given(year=st.integers(min_value=2000, max_value=2100))
def test_every_listed_day_agrees_with_the_working_day_answer(year: int) -> None:
    for d in CAL.year(year):
        assert d.day.year == year
        assert CAL.is_working_day(d.day) is d.working
        assert d.name[0] and d.name[1]
        assert d.working or not CAL.is_working_day(d.day)
        if d.working:
            assert d.day.weekday() >= 5 or d.source is Source.PLAN
    announced = announced_days().announced(year)
    assert announced or year < 2027 or any(d.source is Source.ESTIMATE for d in CAL.year(year))


@given(first=days, last=days)
def test_a_span_is_estimated_exactly_when_it_touches_an_unannounced_year(first: date,
                                                                           last: date) -> None:
    years = estimated_years(first, last)
    low, high = sorted((first.year, last.year))
    assert years == tuple(y for y in range(low, high + 1) if y not in (2025, 2026))
    assert years == estimated_years(last, first)


def test_the_announced_years_decide_what_is_estimated() -> None:
    none_announced = AnnouncedDays(days_off={}, working_days={})
    assert estimated_years(date(2026, 3, 1), date(2026, 3, 9), none_announced) == (2026,)
    assert estimated_years(date(2026, 12, 20), date(2027, 1, 8)) == (2027,)
    assert estimated_years(date(2026, 3, 1), date(2026, 3, 9)) == ()
