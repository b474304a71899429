"""The delivery ledger: one aggregate per reminder key, so each reminder goes out once.

The first event (`Claimed`) is version 1 of a stream whose id is derived from
the reminder's key, so the event store's primary key refuses a second claim of
the same key, from this process or any other. The Message-ID is chosen in the
claim and reused by every retry. A retry must append an `AttemptStarted` at the
next version, so two processes cannot retry the same reminder at once either.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from domain.ids import NAMESPACE

CLAIMED, SENT, RETRY, FAILED = "claimed", "sent", "retry", "failed"
FIRST_BACKOFF = timedelta(minutes=5)
MAX_BACKOFF = timedelta(hours=6)


def delivery_id(key: str) -> UUID:
    return uuid5(NAMESPACE, f"reminder/{key}")


class Delivery(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return delivery_id(key)

    @event("Claimed")
    def __init__(self, key: str, campaign: str, unit: str, kind: str, finding: int | None,
                 due: date, offset: int, recipients: list[str], message_id: str,
                 subject: str, claimed_at: datetime, claimant: str) -> None:
        self.key = key
        self.campaign, self.unit, self.kind, self.finding = campaign, unit, kind, finding
        self.due, self.offset = due, offset
        self.recipients = list(recipients)
        self.message_id = message_id
        self.subject = subject
        self.state = CLAIMED
        self.attempts = 1
        self.attempt_started_at = claimed_at
        self.retry_after: datetime | None = None
        self.last_error: str | None = None
        self.refused: dict[str, str] = {}
        self.sent_at: datetime | None = None

    def may_retry(self, now: datetime, lease: timedelta) -> bool:
        """A temporary failure whose back-off is over, or an attempt abandoned by a crash."""
        if self.state == RETRY:
            return self.retry_after is None or now >= self.retry_after
        return self.state == CLAIMED and now - self.attempt_started_at > lease

    def start_attempt(self, now: datetime, claimant: str) -> None:
        self._attempt_started(at=now, claimant=claimant)

    def record_sent(self, now: datetime, refused: dict[str, str]) -> None:
        self._sent(at=now, refused=dict(refused))

    def record_failure(self, now: datetime, error: str, code: int | None,
                       permanent: bool) -> None:
        if permanent:
            self._failed_permanently(at=now, error=error, code=code)
        else:
            backoff = min(FIRST_BACKOFF * 2 ** (self.attempts - 1), MAX_BACKOFF)
            self._failed_temporarily(at=now, error=error, code=code, retry_after=now + backoff)

    @event("AttemptStarted")
    def _attempt_started(self, at: datetime, claimant: str) -> None:
        self.state = CLAIMED
        self.attempts += 1
        self.attempt_started_at = at

    @event("Sent")
    def _sent(self, at: datetime, refused: dict[str, str]) -> None:
        self.state = SENT
        self.sent_at = at
        self.refused = dict(refused)

    @event("FailedTemporarily")
    def _failed_temporarily(self, at: datetime, error: str, code: int | None,
                            retry_after: datetime) -> None:
        self.state = RETRY
        self.last_error = error
        self.retry_after = retry_after

    @event("FailedPermanently")
    def _failed_permanently(self, at: datetime, error: str, code: int | None) -> None:
        self.state = FAILED
        self.last_error = error

    def summary(self) -> dict[str, Any]:
        return {
            "key": self.key, "campaign": self.campaign, "unit": self.unit, "kind": self.kind,
            "finding": self.finding, "due": self.due.isoformat(), "offset": self.offset,
            "state": self.state, "attempts": self.attempts, "recipients": self.recipients,
            "message_id": self.message_id, "subject": self.subject,
            "last_error": self.last_error, "refused": self.refused,
            "sent_at": self.sent_at.isoformat() if self.sent_at else None,
            "retry_after": self.retry_after.isoformat() if self.retry_after else None,
        }
