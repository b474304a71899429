"""The number register's rules, on the aggregate alone (no store): numbers run 01, 02, …
in date order, one series per body, series and year; '05/TB-TKT' as ND 30 writes it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain.documents import DocumentDateTooEarly, DocumentSeries, series_id, symbol

DAYS = st.lists(st.integers(min_value=0, max_value=364), min_size=1, max_size=30)


def test_symbols_are_zero_padded_below_ten() -> None:
    assert symbol(5, "TB", "TKT") == "05/TB-TKT"
    assert symbol(12, "BC", "UBND") == "12/BC-UBND"
    assert symbol(None, "BB", "TKT") == "…/BB-TKT"


def test_a_series_is_one_per_body_series_and_year() -> None:
    body = "Ủy ban nhân dân xã Khúc Thừa Dụ / Tổ kiểm tra"
    assert series_id(body, "TB", 2026) == series_id("  ủy ban nhân dân xã khúc thừa dụ /"
                                                    " tổ kiểm tra ", "tb", 2026)
    assert len({series_id(body, "TB", 2026), series_id(body, "BB", 2026),
                series_id(body, "TB", 2027), series_id("UBND xã khác", "TB", 2026)}) == 4


@given(DAYS)
def test_numbers_follow_the_dates(offsets: list[int]) -> None:
    series = DocumentSeries(body="Tổ kiểm tra", series="TB", year=2026)
    taken = []
    last: date | None = None
    for offset in offsets:
        day = date(2026, 1, 1) + timedelta(days=offset)
        number = series.next_number
        if last is not None and day < last:
            with pytest.raises(DocumentDateTooEarly):
                series.take(number=number, issued_on=day, campaign="K", kind="schedule",
                            unit="vp")
            assert series.next_number == number  # a refusal takes no number
            continue
        series.take(number=number, issued_on=day, campaign="K", kind="schedule", unit="vp")
        taken.append(number)
        last = day
    assert taken == list(range(1, len(taken) + 1))
