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
