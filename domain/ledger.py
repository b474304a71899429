"""The delivery ledger's record of one reminder: what each ledger event changes.

Pure functions shared by the `Delivery` aggregate (`delivery.py`) and the views, which
fold the same events into `view_deliveries` without loading the aggregate.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from kiemtra.domain.ids import NAMESPACE

CLAIMED, SENT, RETRY, FAILED = "claimed", "sent", "retry", "failed"
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


def delivery_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"reminder/{key}")


def new_delivery(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record a claim starts."""
    return {
        "key": data["key"], "campaign": data["campaign"], "unit": data["unit"],
        "kind": data["kind"], "finding": data["finding"], "due": data["due"],
        "offset": data["offset"], "recipients": list(data["recipients"]),
        "message_id": data["message_id"], "subject": data["subject"], "state": CLAIMED,
        "attempts": 1, "attempt_started_at": data["claimed_at"], "retry_after": None,
        "last_error": None, "refused": {}, "sent_at": None,
    }


def evolve_delivery(record: dict[str, Any], event: str, data: Mapping[str, Any]) -> None:
    """How each ledger event changes a delivery; shared by the aggregate and the view."""
    match event:
        case "AttemptStarted":
            record.update(state=CLAIMED, attempts=record["attempts"] + 1,
                          attempt_started_at=data["at"])
        case "Sent":
            record.update(state=SENT, sent_at=data["at"], refused=dict(data["refused"]))
        case "FailedTemporarily":
            record.update(state=RETRY, last_error=data["error"],
                          retry_after=data["retry_after"])
        case "FailedPermanently":
            record.update(state=FAILED, last_error=data["error"])


def may_retry(record: Mapping[str, Any], now: datetime, lease: timedelta,
              at_once: bool = False) -> bool:
    """A temporary failure whose back-off is over (or, `at_once`, whatever its back-off:
    someone asked), or an attempt abandoned by a crash."""
    if record["state"] == RETRY:
        return at_once or record["retry_after"] is None or now >= record["retry_after"]
    return bool(record["state"] == CLAIMED and now - record["attempt_started_at"] > lease)
