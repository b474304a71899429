"""The only place kiemtra reads the clock: today's date in Vietnam."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    return datetime.now(VIETNAM).date()


def now() -> datetime:
    """The current moment, in Vietnam's time zone."""
    return datetime.now(VIETNAM)
