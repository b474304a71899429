"""Today and now in Vietnam: the default effective date of a step, and the moment of a
checkpoint or a bundle. (The event store stamps each event's recording time itself, and
the reminder ledger and the scheduler's lease keep their moments in UTC; the domain never
reads the clock.)"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")


def today() -> date:
    return datetime.now(VIETNAM).date()


def now() -> datetime:
    """The current moment, in Vietnam's time zone."""
    return datetime.now(VIETNAM)
