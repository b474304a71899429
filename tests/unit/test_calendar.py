"""Working days: weekends, Vietnam's public holidays, announced swaps, plan overrides."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain.calendar import WorkingCalendar, announced_days

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
    assert CAL.day_off_reason(date(2026, 9, 5)) == "Thứ Bảy"
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
