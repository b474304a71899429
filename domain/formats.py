"""Values as kiemtra writes and reads them: ISO text for machines; for people, dates as
DD/MM/YYYY and numbers as 1.250,5 in Vietnamese, ISO and 1,250.5 in English.

One home for the conversions the layers share: the views keep dates as ISO text, JSON
output uses ISO dates, and Vietnamese text uses DD/MM/YYYY (documents and letters:
"ngày 05 tháng 02 năm 2026").
"""

from __future__ import annotations

import re
from datetime import date, datetime, time, tzinfo
from typing import Any

ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
VN_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")  # ASCII digits only
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)
"""The days kiemtra accepts and computes on, everywhere: typed dates, a plan's dates, and
every deadline the date rules derive (a later one is refused, `rules.within_calendar`)."""
YEARS = f"{EARLIEST.year}–{LATEST.year}"


def parse_date(text: str) -> date:
    """A date typed as YYYY-MM-DD or as Vietnamese DD/MM/YYYY, between 2000 and 2100
    (`EARLIEST`, `LATEST`). Raises ValueError with the reason in both languages, "vi (en)"."""
    text = text.strip()
    try:
        if ISO_DATE.match(text):
            day = date.fromisoformat(text)
        elif m := VN_DATE.match(text):
            day = date(int(m[3]), int(m[2]), int(m[1]))
        else:
            msg = (f"“{text}” không phải ngày dạng YYYY-MM-DD hoặc DD/MM/YYYY "
                   f"('{text}' is not a date as YYYY-MM-DD or DD/MM/YYYY)")
            raise ValueError(msg)
    except ValueError as exc:
        if "“" in str(exc):
            raise
        msg = f"ngày “{text}” không tồn tại (the date '{text}' does not exist)"
        raise ValueError(msg) from None
    if not EARLIEST <= day <= LATEST:
        msg = f"ngày “{text}” nằm ngoài khoảng {YEARS} (the date '{text}' is outside {YEARS})"
        raise ValueError(msg)
    return day


def parse_year(text: str) -> int:
    """A year typed as four digits, between 2000 and 2100 (the years of `parse_date`).
    Raises ValueError with the reason in both languages, "vi (en)"."""
    text = text.strip()
    if not re.fullmatch(r"\d{4}", text):
        msg = f"“{text}” không phải một năm dạng YYYY ('{text}' is not a year as YYYY)"
        raise ValueError(msg)
    if not EARLIEST.year <= int(text) <= LATEST.year:
        msg = f"năm “{text}” nằm ngoài khoảng {YEARS} (the year '{text}' is outside {YEARS})"
        raise ValueError(msg)
    return int(text)


def parse_moment(text: str, zone: tzinfo) -> datetime:
    """A moment typed as a date (its end) or 'DATE HH:MM[:SS]', in `zone`."""
    day_part, _, time_part = text.strip().replace("T", " ").partition(" ")
    msg = (f"“{text}” không phải thời điểm dạng NGÀY [GIỜ:PHÚT[:GIÂY]] "
           f"('{text}' is not a moment as DATE [HH:MM[:SS]])")
    try:
        day = parse_date(day_part)
    except ValueError:
        if time_part:  # the whole of what was typed, named
            raise ValueError(msg) from None
        raise  # a date alone: the same words as every date option's
    try:
        if time_part and not re.fullmatch(r"[0-9]{2}:[0-9]{2}(:[0-9]{2})?", time_part):
            raise ValueError(time_part)
        moment = (datetime.combine(day, time.fromisoformat(time_part)) if time_part
                  else datetime.combine(day, time.max))
    except ValueError:
        raise ValueError(msg) from None
    return moment.replace(tzinfo=zone)


def iso(value: date | datetime | str | None) -> str | None:
    """ISO text of a date or a moment; text is taken as ISO already; None stays None."""
    if value is None or value == "":
        return None
    if isinstance(value, date):  # a datetime is a date too
        return value.isoformat()
    return str(value)


def as_date(value: Any) -> date | None:
    """A date from a date, ISO text or None (as the view tables and JSON give them)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def format_date(day: date, lang: str) -> str:
    """DD/MM/YYYY in Vietnamese, ISO in English."""
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()


def format_moment(at: datetime, lang: str) -> str:
    """A moment to the second, as its clock shows it: 'DD/MM/YYYY HH:MM:SS' in Vietnamese,
    'YYYY-MM-DD HH:MM:SS' in English (no zone: the caller says which)."""
    return at.strftime("%d/%m/%Y %H:%M:%S" if lang == "vi" else "%Y-%m-%d %H:%M:%S")


SHEET_FORMATS: dict[str, tuple[str, str]] = {
    "date": ("DD/MM/YYYY", "YYYY-MM-DD"),
    "moment": ("DD/MM/YYYY HH:MM:SS", "YYYY-MM-DD HH:MM:SS"),
}
"""The same, as a spreadsheet's number formats (vi, en)."""


def document_date(day: date) -> str:
    """'ngày 05 tháng 02 năm 2026', 'ngày 14 tháng 8 năm 2026': days below 10 and
    January and February take a leading zero on administrative documents (ND 30/2020)."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return f"ngày {day.day:02d} tháng {month} năm {day.year}"


def format_number(value: float, lang: str, decimals: int | None = None) -> str:
    """1250 → '1.250', 96.5 → '96,5' in Vietnamese; '1,250' and '96.5' in English.
    Whole values get no decimals unless `decimals` says."""
    if decimals is None:
        decimals = 0 if value == int(value) else 1
    text = f"{value:,.{decimals}f}"
    if lang == "vi":
        text = text.replace(",", "_").replace(".", ",").replace("_", ".")
    return text
