"""The delivery ledger: one aggregate per reminder key, so each reminder goes out once.

The first event (`Claimed`) is version 1 of a stream whose id is derived from
the reminder's key, so the event store's primary key refuses a second claim of
the same key, from this process or any other. The Message-ID is chosen in the
claim and reused by every retry. A retry must append an `AttemptStarted` at the
next version, so two processes cannot retry the same reminder at once either.

What each outcome means, and what a later run does with it, is `ledger.py`'s. Fields
added since 0.1.0 have defaults, so the events that release stored read as before
(`event_versions.py`): `Sent` — `retry_to`, `retry_after`; `FailedTemporarily` —
`reason`, `refused`, `retry_to`; `FailedPermanently` — `reason`, `refused`.
`OutcomeUnknown` is new.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kiemtra.domain.ledger import (
    NOT_TRIED,
    backoff,
    delivery_id,
    evolve_delivery,
    is_temporary,
    new_delivery,
)
from kiemtra.domain.record import RecordAttributes
from kiemtra.domain.topics import assign

Refusals = Mapping[str, tuple[int, str]]
"""Recipients a server refused: address → (reply code, reply text)."""


def _replies(refused: Refusals) -> dict[str, str]:
    return {address: f"{code} {text}".strip() for address, (code, text) in refused.items()}


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
            "subject": subject, "claimed_at": claimed_at, "claimant": claimant})

    def start_attempt(self, now: datetime, claimant: str) -> None:
        self._attempt_started(at=now, claimant=claimant)

    def record_sent(self, now: datetime, refused: Refusals | None = None) -> None:
        """The server took the message for the recipients it did not refuse; those it
        refused temporarily (4xx) are retried later, to them only."""
        refused = refused or {}
        temporary = [a for a, (code, _) in refused.items() if is_temporary(code)]
        if temporary:
            self._sent(at=now, refused=_replies(refused), retry_to=temporary,
                       retry_after=now + backoff(self.attempts))
        else:
            self._sent(at=now, refused=_replies(refused))

    def record_all_refused(self, now: datetime, error: str, refused: Refusals) -> None:
        """The server refused every recipient: retried for those refused temporarily, a
        failure for good when none was."""
        temporary = [a for a, (code, _) in refused.items() if is_temporary(code)]
        code = max(c for c, _ in refused.values())
        if temporary:
            self._failed_temporarily(at=now, error=error, code=code,
                                     retry_after=now + backoff(self.attempts),
                                     refused=_replies(refused), retry_to=temporary)
        else:
            self._failed_permanently(at=now, error=error, code=code, refused=_replies(refused))

    def record_failure(self, now: datetime, error: str, code: int | None,
                       permanent: bool, reason: str | None = None) -> None:
        if permanent:
            self._failed_permanently(at=now, error=error, code=code, reason=reason)
        else:
            self._failed_temporarily(at=now, error=error, code=code,
                                     retry_after=now + backoff(self.attempts), reason=reason)

    def record_unknown(self, now: datetime, error: str, reason: str) -> None:
        """The whole message went out and the server's reply never came."""
        self._outcome_unknown(at=now, error=error, retry_after=now + backoff(self.attempts),
                              reason=reason)

    def record_not_tried(self, now: datetime, error: str) -> None:
        """Claimed, then left untried (the run stopped using the server): due again at
        once, and not counted as an attempt."""
        self._failed_temporarily(at=now, error=error, code=None, retry_after=now,
                                 reason=NOT_TRIED)

    @event("AttemptStarted")
    def _attempt_started(self, at: datetime, claimant: str) -> None:
        evolve_delivery(self.record, "AttemptStarted", {"at": at, "claimant": claimant})

    @event("Sent")
    def _sent(self, at: datetime, refused: dict[str, str], retry_to: list[str] | None = None,
              retry_after: datetime | None = None) -> None:
        evolve_delivery(self.record, "Sent", {"at": at, "refused": refused,
                                              "retry_to": retry_to, "retry_after": retry_after})

    @event("FailedTemporarily")
    def _failed_temporarily(self, at: datetime, error: str, code: int | None,
                            retry_after: datetime, reason: str | None = None,
                            refused: dict[str, str] | None = None,
                            retry_to: list[str] | None = None) -> None:
        evolve_delivery(self.record, "FailedTemporarily",
                        {"error": error, "retry_after": retry_after, "reason": reason,
                         "refused": refused, "retry_to": retry_to})

    @event("FailedPermanently")
    def _failed_permanently(self, at: datetime, error: str, code: int | None,
                            reason: str | None = None,
                            refused: dict[str, str] | None = None) -> None:
        evolve_delivery(self.record, "FailedPermanently",
                        {"error": error, "reason": reason, "refused": refused})

    @event("OutcomeUnknown")
    def _outcome_unknown(self, at: datetime, error: str, retry_after: datetime,
                         reason: str | None = None) -> None:
        evolve_delivery(self.record, "OutcomeUnknown",
                        {"error": error, "retry_after": retry_after, "reason": reason})
