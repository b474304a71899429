""""Overdue" and "days left" are one definition, in Python and in the SQL derived from it."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from kiemtra.domain.deadlines import OVERDUE_SQL, days_left, is_overdue

DAYS = st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31))


def test_a_deadline_is_overdue_from_the_day_after() -> None:
    due = date(2026, 8, 11)
    assert days_left(due, due) == 0 and not is_overdue(due, due)
    assert days_left(due, due + timedelta(days=1)) == -1 and is_overdue(due, due + timedelta(1))
    assert days_left(due, due - timedelta(days=3)) == 3 and not is_overdue(due, date(2026, 8, 8))
    assert not is_overdue(None, due)


@given(due=st.none() | DAYS, as_of=DAYS)
def test_the_sql_says_what_the_function_says(due: date | None, as_of: date) -> None:
    """The views store dates as ISO text on SQLite: the SQL must agree with the function."""
    with sqlite3.connect(":memory:") as conn:
        sql = OVERDUE_SQL.format(due=":due", as_of=":as_of")
        found = conn.execute(f"SELECT {sql}", {"due": due.isoformat() if due else None,
                                               "as_of": as_of.isoformat()}).fetchone()[0]
    assert bool(found) is is_overdue(due, as_of)


# --- deadlines counted over a year not announced are estimates ---------------------------


def test_a_deadline_is_estimated_when_counted_over_an_unannounced_year() -> None:
    from kiemtra.domain.deadlines import estimated_deadline

    assert estimated_deadline("report", date(2026, 12, 24), date(2026, 12, 31)) == ()
    assert estimated_deadline("conclusion", date(2027, 1, 21), date(2026, 12, 30)) == (2027,)
    assert estimated_deadline("remediation", "2027-02-10", "2027-01-05") == (2027,)
    assert estimated_deadline("on_site", date(2027, 3, 1), None) == ()  # set, not counted
    assert estimated_deadline("notice", None, date(2027, 3, 1)) == ()


def test_a_record_is_estimated_when_any_deadline_it_holds_is() -> None:
    from kiemtra.domain.deadlines import estimated_record
    from kiemtra.domain.record import new_record, status_row

    record = new_record("KTD", "vp")
    record.update(state="notified", on_site=date(2026, 12, 21), report_due=date(2026, 12, 14),
                  notice_date=date(2026, 12, 7))
    assert estimated_record(record) == ()
    record.update(state="inspected", inspected_on=date(2026, 12, 21),
                  conclusion_due=date(2027, 1, 12))
    assert estimated_record(record) == (2027,)
    row = status_row(record, "Văn phòng", date(2026, 12, 22))
    assert row["calendar_estimated"] is True and row["estimated_years"] == [2027]
    planned = new_record("KTD", "kt")
    planned.update(planned_on_site=date(2027, 3, 1), notice_due=date(2027, 2, 22))
    assert estimated_record(planned) == (2027,)
