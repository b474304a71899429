"""Working days in Vietnam: the layers that decide whether a date is a day off, what each
day off is called, and how sure kiemtra is of it.

Precedence, most specific first: the plan's own `extra_working_days` and
`extra_days_off`; the Government's announced swaps shipped in
`announced_days.toml`; the `holidays` package's public holidays for Vietnam
and the working Saturdays it knows; weekends.

How sure (`Source`): the solar holidays of the Labour Code (1/1, 30/4, 1/5, 2/9, and the
day off in their place when one falls on a weekend) are certain in every year; the lunar
ones (Tết Nguyên đán, Giỗ Tổ Hùng Vương), the day next to Quốc khánh and the swaps are
the Government's choice, certain only in the years `announced_days.toml` lists as
announced, the package's estimate in every other year. A deadline counted over a day of
an unannounced year is marked as estimated (`estimated_years`).

The calendar answers for days up to 31/12/2100 (`formats.LATEST`); the date rules refuse
a deadline beyond it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

from kiemtra.domain.formats import format_date
from kiemtra.domain.vocabulary import weekday_in_text

ONE_DAY = timedelta(days=1)
Pair = tuple[str, str]  # (Vietnamese, English)


class Source(StrEnum):
    """Where a day off or a worked weekend day comes from."""

    LAW = "law"  # the Labour Code's fixed holidays: certain in every year
    ANNOUNCED = "announced"  # the Government's notice, in a year kiemtra lists as announced
    ESTIMATE = "estimate"  # the `holidays` package's estimate for a year not announced
    PLAN = "plan"  # the plan's own [calendar] table


@dataclass(frozen=True)
class CalendarDay:
    """A day the calendar says something about: a day off (also a holiday on a weekend),
    or a weekend day worked; its name as officials write it, and its source."""

    day: date
    working: bool
    name: Pair
    source: Source


@dataclass(frozen=True)
class AnnouncedDays:
    """The shipped data file: the announced years (year → the notice it comes from) and
    the swaps the package lacks (date → reason)."""

    days_off: dict[date, str]
    working_days: dict[date, str]
    years: dict[int, Pair] = field(default_factory=dict)
    english: dict[date, str] = field(default_factory=dict)  # date → the reason in English

    def announced(self, year: int) -> bool:
        return year in self.years


@cache
def announced_days() -> AnnouncedDays:
    text = resources.files("kiemtra.domain").joinpath("announced_days.toml").read_text("utf-8")
    data = tomllib.loads(text)
    entries = [*data.get("days_off", []), *data.get("working_days", [])]
    return AnnouncedDays(
        days_off={e["date"]: e["reason"] for e in data.get("days_off", [])},
        working_days={e["date"]: e["reason"] for e in data.get("working_days", [])},
        years={y["year"]: (y["source"], y.get("source_en", y["source"]))
               for y in data.get("years", [])},
        english={e["date"]: e.get("reason_en", e["reason"]) for e in entries},
    )


def estimated_years(first: date, last: date,
                    announced: AnnouncedDays | None = None) -> tuple[int, ...]:
    """The years between two days (either order, both included) whose days off are not
    announced: a working-day count between them is the package's estimate."""
    data = announced if announced is not None else announced_days()
    low, high = sorted((first.year, last.year))
    return tuple(y for y in range(low, high + 1) if not data.announced(y))


# --- the package's holidays, named as officials write them -------------------------------

SOLAR = "solar"  # a fixed day of the solar calendar: the law decides it
LUNAR = "lunar"  # Tết, Giỗ Tổ: the lunar calendar and the Government's choice
CHOSEN = "chosen"  # the day next to Quốc khánh, swaps: the Government's choice

# The package's Vietnamese names (holidays 0.10x) → the name officials write, in English,
# and who decides the day.
HOLIDAY_NAMES: dict[str, tuple[str, str, str]] = {
    "Tết Dương lịch": ("Tết Dương lịch", "New Year's Day", SOLAR),
    "Ngày Giỗ Tổ Hùng Vương": ("Giỗ Tổ Hùng Vương (10/3 âm lịch)",
                               "Hung Kings' Commemoration Day (10th of the 3rd lunar month)",
                               LUNAR),
    "Ngày Chiến thắng": ("Ngày Chiến thắng (30/4)", "Reunification Day (30 April)", SOLAR),
    "Ngày Quốc tế Lao động": ("Ngày Quốc tế lao động (1/5)", "International Labour Day (1 May)",
                              SOLAR),
    "Ngày Văn hóa Việt Nam": ("Ngày Văn hóa Việt Nam (24/11)", "Vietnam Culture Day (24 November)",
                              SOLAR),
}
TET_DAYS: dict[str, Pair] = {  # the package's names of the days of Tết
    "29 Tết": ("ngày trước giao thừa", "the day before New Year's Eve"),
    "Giao thừa Tết Nguyên Đán": ("giao thừa", "New Year's Eve"),
    "Tết Nguyên Đán": ("mùng 1", "day 1"),
    "Mùng hai Tết Nguyên Đán": ("mùng 2", "day 2"),
    "Mùng ba Tết Nguyên Đán": ("mùng 3", "day 3"),
    "Mùng bốn Tết Nguyên Đán": ("mùng 4", "day 4"),
    "Mùng năm Tết Nguyên Đán": ("mùng 5", "day 5"),
    "Mùng sáu Tết Nguyên Đán": ("mùng 6", "day 6"),
}
OCCASIONS: dict[str, Pair] = {  # a holiday's name as the occasion of a swap ("dịp …")
    "Tết Dương lịch": ("Tết Dương lịch", "New Year"),
    "Ngày Giỗ Tổ Hùng Vương": ("Giỗ Tổ Hùng Vương", "Hung Kings' Day"),
    "Ngày Chiến thắng": ("Ngày Chiến thắng", "Reunification Day"),
    "Ngày Quốc tế Lao động": ("Ngày Quốc tế lao động", "Labour Day"),
    "Quốc khánh": ("Quốc khánh", "National Day"),
    "Ngày Văn hóa Việt Nam": ("Ngày Văn hóa Việt Nam", "Vietnam Culture Day"),
}
OBSERVED = " (nghỉ bù)"
ESTIMATED = (" (dự kiến)", " (nghỉ bù, dự kiến)")
SWAP = re.compile(r"^Ngày nghỉ \(thay cho ngày (\d{2})/(\d{2})/(\d{4})\)$")


@cache
def _public_holidays() -> Any:
    import holidays  # imported lazily: 80 ms that read-only commands do not need

    return holidays.country_holidays("VN", language="vi")


@cache
def _public_working_day(day: date) -> bool:
    """Weekends, public holidays and working Saturdays, remembered for every calendar."""
    return bool(_public_holidays().is_working_day(day))


def _text_day(day: date, lang: str) -> str:
    """'thứ Bảy 22/08/2026', 'Saturday 2026-08-22'."""
    return f"{weekday_in_text(day.weekday(), lang)} {format_date(day, lang)}"


def _occasion(day: date, package: Any) -> Pair:
    """The holiday a swapped day off belongs to: the nearest one in the package."""
    for distance in range(1, 15):
        for near in (day - timedelta(days=distance), day + timedelta(days=distance)):
            name = str(package.get(near) or "")
            base = name.removesuffix(OBSERVED)
            if base in OCCASIONS:
                return OCCASIONS[base]
            if base in TET_DAYS:
                return ("Tết Nguyên đán", "Lunar New Year")
    return ("ngày lễ", "a holiday")


def _package_day(day: date, name: str, package: Any) -> tuple[Pair, str]:
    """A day off of the package: its name as officials write it, and who decides it."""
    for suffix in ESTIMATED:
        name = name.removesuffix(suffix)
    observed = name.endswith(OBSERVED)
    base = name.removesuffix(OBSERVED)
    if swap := SWAP.match(name):
        worked = date(int(swap[3]), int(swap[2]), int(swap[1]))
        vi, en = _occasion(day, package)
        return ((f"Nghỉ bù dịp {vi} (làm bù {_text_day(worked, 'vi')})",
                 f"Day off for {en}, worked on {_text_day(worked, 'en')}"), CHOSEN)
    if base in TET_DAYS:
        vi, en = TET_DAYS[base]
        return (f"Tết Nguyên đán ({vi})", f"Lunar New Year (Tết), {en}"), LUNAR
    if base == "Quốc khánh":
        if day.month == 9 and day.day == 2:
            named: tuple[str, str, str] = ("Quốc khánh (2/9)", "National Day (2 September)",
                                           SOLAR)
        else:
            named = ("Quốc khánh (ngày liền kề 2/9)", "National Day (the day next to "
                     "2 September)", CHOSEN)
    else:
        named = HOLIDAY_NAMES.get(base, (base, base, CHOSEN))  # a name kiemtra does not know
    vi, en, kind = named
    if not observed:
        return (vi, en), kind
    fell = next((day - timedelta(days=n) for n in range(1, 5)
                 if str(package.get(day - timedelta(days=n)) or "").startswith(base)
                 and (day - timedelta(days=n)).weekday() >= 5), None)
    short_vi, short_en = OCCASIONS.get(base, (base, base))
    if fell is None:
        return (f"Nghỉ bù {short_vi}", f"Day off in lieu of {short_en}"), kind
    return ((f"Nghỉ bù {short_vi} (trùng {_text_day(fell, 'vi')})",
             f"Day off in lieu of {short_en} (on {_text_day(fell, 'en')})"), kind)


def _swapped_days(year: int, package: Any) -> dict[date, date]:
    """The package's swaps of `year`: working weekend day → the day off given for it."""
    found = {}
    for day, name in package.items():
        if day.year in (year - 1, year, year + 1) and (swap := SWAP.match(str(name))):
            found[date(int(swap[3]), int(swap[2]), int(swap[1]))] = day
    return found


@cache
def _package_year(year: int) -> tuple[CalendarDay, ...]:
    """The package's days off and worked weekend days of `year`, named, with their source
    (before kiemtra's own layers)."""
    package = _public_holidays()
    package.get(date(year, 1, 1))  # fills in the year (and the package's working Saturdays)
    announced = announced_days().announced(year)
    days = []
    for day, name in sorted(package.items()):
        if day.year != year:
            continue
        pair, kind = _package_day(day, str(name), package)
        if kind == SOLAR or (announced and kind == LUNAR):
            source = Source.LAW  # the Labour Code's days (Tết: its five days, as announced)
        else:
            source = Source.ANNOUNCED if announced else Source.ESTIMATE
        days.append(CalendarDay(day, False, pair, source))
    swaps = _swapped_days(year, package)
    for day in sorted(d for d in package.weekend_workdays if d.year == year):
        off = swaps.get(day)
        pair = ((f"Làm bù cho ngày nghỉ {_text_day(off, 'vi')}",
                 f"Working day in exchange for {_text_day(off, 'en')}") if off else
                ("Ngày làm bù", "Make-up working day"))
        days.append(CalendarDay(day, True, pair,
                                Source.ANNOUNCED if announced else Source.ESTIMATE))
    return tuple(days)


PLAN_DAY_OFF: Pair = ("Ngày nghỉ theo kế hoạch", "Day off in the plan")
PLAN_WORKING_DAY: Pair = ("Ngày làm việc theo kế hoạch", "Working day in the plan")


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

    def year(self, year: int) -> list[CalendarDay]:
        """The days off of `year` (holidays on a weekend too, not ordinary weekends) and
        its worked weekend days, by date, each named and with its source: the layer that
        decides it."""
        days = {d.day: d for d in _package_year(year)}
        for day, reason in self.announced.days_off.items():
            days[day] = CalendarDay(day, False, (reason, self.announced.english[day]),
                                    Source.ANNOUNCED)
        for day, reason in self.announced.working_days.items():
            days[day] = CalendarDay(day, True, (reason, self.announced.english[day]),
                                    Source.ANNOUNCED)
        for day in self.extra_days_off:
            days[day] = CalendarDay(day, False, PLAN_DAY_OFF, Source.PLAN)
        for day in self.extra_working_days:
            days[day] = CalendarDay(day, True, PLAN_WORKING_DAY, Source.PLAN)
        return sorted((d for d in days.values() if d.day.year == year), key=lambda d: d.day)

    def named_day(self, day: date) -> CalendarDay | None:
        """What the calendar says of `day`, if it says anything beyond the weekday."""
        return next((d for d in self.year(day.year) if d.day == day), None)

    def day_off_reason(self, day: date, lang: str = "vi") -> str | None:
        """Why `day` is not a working day, in words (the holiday's name, or the weekday
        as written inside a sentence: "thứ Bảy"); None when it is one."""
        if self.is_working_day(day):
            return None
        named = self.named_day(day)
        if named is not None and not named.working:
            return named.name[0] if lang == "vi" else named.name[1]
        return weekday_in_text(day.weekday(), lang)

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
