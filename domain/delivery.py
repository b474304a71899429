"""The delivery ledger: one aggregate per reminder key, so each reminder goes out once.

The first event (`Claimed`) is version 1 of a stream whose id is derived from
the reminder's key, so the event store's primary key refuses a second claim of
the same key, from this process or any other. The Message-ID is chosen in the
claim and reused by every retry. A retry must append an `AttemptStarted` at the
next version, so two processes cannot retry the same reminder at once either.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kiemtra.domain.ledger import (
    FIRST_BACKOFF,
    MAX_BACKOFF,
    delivery_id,
    evolve_delivery,
    new_delivery,
)
from kiemtra.domain.record import RecordAttributes
from kiemtra.domain.topics import assign


@assign
class Delivery(RecordAttributes, Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:  # type: ignore[override]
        return delivery_id(key)

    @event("Claimed")
    def __init__(self, key: str, campaign: str, unit: str, kind: str, finding: int | None,
                 due: date, offset: int, recipients: list[str], message_id: str,
                 subject: str, claimed_at: datetime, claimant: str) -> None:
        self.record = new_delivery({
            "key": key, "campaign": campaign, "unit": unit, "kind": kind, "finding": finding,
            "due": due, "offset": offset, "recipients": recipients, "message_id": message_id,
            "subject": subject, "claimed_at": claimed_at})

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
        evolve_delivery(self.record, "AttemptStarted", {"at": at})

    @event("Sent")
    def _sent(self, at: datetime, refused: dict[str, str]) -> None:
        evolve_delivery(self.record, "Sent", {"at": at, "refused": refused})

    @event("FailedTemporarily")
    def _failed_temporarily(self, at: datetime, error: str, code: int | None,
                            retry_after: datetime) -> None:
        evolve_delivery(self.record, "FailedTemporarily",
                        {"error": error, "retry_after": retry_after})

    @event("FailedPermanently")
    def _failed_permanently(self, at: datetime, error: str, code: int | None) -> None:
        evolve_delivery(self.record, "FailedPermanently", {"error": error})
