"""Working days in Vietnam: the layers that decide whether a date is a day off.

Precedence, most specific first: the plan's own `extra_working_days` and
`extra_days_off`; the Government's announced swaps shipped in
`announced_days.toml`; the `holidays` package's public holidays for Vietnam
and the working Saturdays it knows; weekends.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Any

from kiemtra.domain.vocabulary import WEEKDAYS_VI

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class AnnouncedDays:
    """The Government's announced swaps: date → reason."""

    days_off: dict[date, str]
    working_days: dict[date, str]


@cache
def announced_days() -> AnnouncedDays:
    text = resources.files("kiemtra.domain").joinpath("announced_days.toml").read_text("utf-8")
    data = tomllib.loads(text)
    return AnnouncedDays(
        days_off={e["date"]: e["reason"] for e in data.get("days_off", [])},
        working_days={e["date"]: e["reason"] for e in data.get("working_days", [])},
    )


@cache
def _public_holidays() -> Any:
    import holidays  # imported lazily: 80 ms that read-only commands do not need

    return holidays.country_holidays("VN", language="vi")


@cache
def _public_working_day(day: date) -> bool:
    """Weekends, public holidays and working Saturdays, remembered for every calendar."""
    return bool(_public_holidays().is_working_day(day))


class WorkingCalendar:
    """Answers 'is this a working day' and counts working days forwards and back."""

    def __init__(
        self,
        extra_days_off: Iterable[date] = (),
        extra_working_days: Iterable[date] = (),
        announced: AnnouncedDays | None = None,
    ) -> None:
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_working_days = frozenset(extra_working_days)
        self.announced = announced if announced is not None else announced_days()
        self._known: dict[date, bool] = {}

    def is_working_day(self, day: date) -> bool:
        known = self._known.get(day)
        if known is None:
            known = self._known[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.extra_days_off:
            return False
        if day in self.announced.working_days:
            return True
        if day in self.announced.days_off:
            return False
        return _public_working_day(day)

    def day_off_reason(self, day: date, lang: str = "vi") -> str | None:
        """Why `day` is not a working day, in words; None when it is one."""
        if self.is_working_day(day):
            return None
        if day in self.extra_days_off:
            return "ngày nghỉ theo kế hoạch" if lang == "vi" else "day off in the plan"
        if day in self.announced.days_off:
            reason = self.announced.days_off[day]
            return reason if lang == "vi" else f"announced day off ({reason})"
        name = _public_holidays().get(day)
        if name:
            return str(name) if lang == "vi" else f"public holiday ({name})"
        if lang == "vi":
            return WEEKDAYS_VI[day.weekday()]
        return day.strftime("%A")

    def shift(self, day: date, working_days: int) -> date:
        """The `working_days`-th working day after `day` (before it when negative).

        `day` itself is never counted, so shift(d, 1) is the next working day.
        """
        step = ONE_DAY if working_days >= 0 else -ONE_DAY
        remaining = abs(working_days)
        current = day
        while remaining:
            current += step
            if self.is_working_day(current):
                remaining -= 1
        return current

    def next_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the first one after it."""
        return day if self.is_working_day(day) else self.shift(day, 1)

    def previous_working_day(self, day: date) -> date:
        """`day` itself when it is a working day, else the last one before it."""
        return day if self.is_working_day(day) else self.shift(day, -1)
