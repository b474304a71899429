"""The delivery ledger's record of one reminder: what each ledger event changes.

Pure functions shared by the `Delivery` aggregate (`delivery.py`) and the views, which
fold the same events into `view_deliveries` without loading the aggregate.

A delivery is in one of five states:

- `claimed`: an attempt started (the claim, or a retry's `AttemptStarted`) and its outcome
  is not recorded yet — it is under way, or the process that made it was killed. After
  `LEASE` it counts as interrupted and a later run retries it.
- `sent`: the server took the message for every recipient still owed it. Recipients it
  refused for good (5xx) stay in `refused`: failures of their own.
- `retry`: a temporary failure (4xx, connection trouble, no answer), or recipients the
  server refused temporarily while it took the message for the others. A later run
  retries after a back-off, with the same Message-ID, to `pending` only.
- `unknown`: the connection was lost after the whole message had been sent, before the
  server's reply: it may have been delivered. Never resent in the same run; a later run
  retries it with the same Message-ID (so a mail client shows one message).
- `failed`: refused for good (5xx), or it cannot be sent at all (an address that needs
  SMTPUTF8 from a server without it, an unsafe header); never retried.

`pending` holds the recipients the next attempt goes to: every recipient until the
server took the message for some, then those it refused temporarily.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from kiemtra.domain.ids import NAMESPACE

CLAIMED, SENT, RETRY, FAILED, UNKNOWN = "claimed", "sent", "retry", "failed", "unknown"
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)
LEASE = timedelta(minutes=15)  # an attempt older than this was abandoned by a crash

# Why an attempt failed, when it is not a server's reply (kept in the failure events as a
# word, shown in the reader's language): the run stopped trying the server before this
# message; the server did not answer in time; the connection dropped; an address that
# only SMTPUTF8 can carry; a header value that is not safe.
NOT_TRIED, TIMEOUT, DISCONNECTED, SMTPUTF8, HEADER = (
    "not_tried", "timeout", "disconnected", "smtputf8", "header")


def delivery_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"reminder/{key}")


def backoff(attempts: int) -> timedelta:
    """How long a temporary failure waits for the scheduler: 5 minutes, doubling, at most
    6 hours."""
    wait: timedelta = FIRST_BACKOFF * 2 ** max(attempts - 1, 0)
    return min(wait, MAX_BACKOFF)


def is_temporary(code: int | None) -> bool:
    """An SMTP reply that asks to try again later (4xx)."""
    return code is not None and 400 <= code < 500


def new_delivery(data: Mapping[str, Any]) -> dict[str, Any]:
    """The record a claim starts."""
    return {
        "key": data["key"], "campaign": data["campaign"], "unit": data["unit"],
        "kind": data["kind"], "finding": data["finding"], "due": data["due"],
        "offset": data["offset"], "recipients": list(data["recipients"]),
        "message_id": data["message_id"], "subject": data["subject"], "state": CLAIMED,
        "attempts": 1, "attempt_started_at": data["claimed_at"], "retry_after": None,
        "last_error": None, "refused": {}, "sent_at": None,
        "pending": list(data["recipients"]), "reason": None,
        "claimant": data.get("claimant"),
    }


def evolve_delivery(record: dict[str, Any], event: str, data: Mapping[str, Any]) -> None:
    """How each ledger event changes a delivery; shared by the aggregate and the view.

    Events written by 0.1.0 have no `retry_to`, `reason` or per-recipient `refused` in
    their failures: they read as a whole message's outcome, and the recipients a `Sent`
    names as refused as refused for good (that release never retried them)."""
    match event:
        case "AttemptStarted":
            record.update(state=CLAIMED, attempts=record["attempts"] + 1,
                          attempt_started_at=data["at"], claimant=data.get("claimant"))
        case "Sent":
            refused = dict(record["refused"])
            for address in record["pending"]:  # those this attempt went to
                refused.pop(address, None)
            refused.update(data["refused"])
            pending = list(data.get("retry_to") or ())
            record.update(state=RETRY if pending else SENT, sent_at=data["at"],
                          refused=refused, pending=pending, last_error=None, reason=None,
                          retry_after=data.get("retry_after"))
        case "FailedTemporarily":
            _refusals(record, data)
            record.update(state=RETRY, last_error=data["error"],
                          retry_after=data["retry_after"], reason=data.get("reason"))
            if data.get("reason") == NOT_TRIED:  # claimed, then left: not an attempt
                record["attempts"] -= 1
        case "FailedPermanently":
            _refusals(record, data)
            record.update(state=FAILED, last_error=data["error"], reason=data.get("reason"))
        case "OutcomeUnknown":
            record.update(state=UNKNOWN, last_error=data["error"],
                          retry_after=data["retry_after"], reason=data.get("reason"))


def _refusals(record: dict[str, Any], data: Mapping[str, Any]) -> None:
    """A failure in which the server refused every recipient: each one's reply, and the
    recipients a retry goes to (those refused temporarily)."""
    if data.get("refused"):
        record["refused"] = {**record["refused"], **data["refused"]}
    if data.get("retry_to") is not None:
        record["pending"] = list(data["retry_to"])


def may_retry(record: Mapping[str, Any], now: datetime, lease: timedelta = LEASE,
              at_once: bool = False) -> bool:
    """A temporary failure or an unknown outcome whose back-off is over (or, `at_once`,
    whatever its back-off: someone asked), or an attempt abandoned by a crash."""
    if record["state"] in (RETRY, UNKNOWN):
        return at_once or record["retry_after"] is None or now >= record["retry_after"]
    return bool(record["state"] == CLAIMED and interrupted(record, now, lease))


def interrupted(record: Mapping[str, Any], now: datetime, lease: timedelta = LEASE) -> bool:
    """An attempt whose outcome was never recorded, started longer than `lease` ago: the
    process that made it was stopped (killed, or the machine went down)."""
    return bool(record["state"] == CLAIMED and now - record["attempt_started_at"] > lease)


def lease_end(record: Mapping[str, Any], lease: timedelta = LEASE) -> datetime:
    return record["attempt_started_at"] + lease  # type: ignore[no-any-return]


def next_recipients(record: Mapping[str, Any]) -> list[str]:
    """Who the next attempt goes to (the envelope; the message's To still names all)."""
    return list(record.get("pending") or record["recipients"])


def partly_sent(record: Mapping[str, Any]) -> bool:
    """The server took the message for some recipients and others are still owed it."""
    return bool(record["state"] != SENT and record["sent_at"] is not None)


def retry_to(record: Mapping[str, Any]) -> list[str]:
    """The recipients a later run will send to; none when nothing will be retried."""
    return next_recipients(record) if record["state"] in (RETRY, UNKNOWN, CLAIMED) else []


def refused_for_good(record: Mapping[str, Any]) -> dict[str, str]:
    """Recipients refused with no retry to come (address → the server's reply)."""
    later = set(retry_to(record))
    return {a: reply for a, reply in record["refused"].items() if a not in later}


def counts_as_failed(record: Mapping[str, Any]) -> bool:
    """What `status` and `due` mark "reminder failed": failed for good, or refused for
    some recipient (the same test as `views.FAILED_DELIVERY`)."""
    return record["state"] == FAILED or bool(record["refused"])


def needs_attention(record: Mapping[str, Any]) -> bool:
    """What `remind --failed` lists: every delivery not simply sent to all (the same test
    as `views.UNDELIVERED_SQL`)."""
    return record["state"] != SENT or bool(record["refused"])
