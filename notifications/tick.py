"""One reminder tick: what is due today, claimed in the ledger, sent, recorded.

The tick reads the due view (not the log), so a day with nothing due costs one
indexed query. For each reminder due it consults the delivery ledger
(`domain/delivery.py`): a new key is claimed — the claim is an event whose
stream id comes from the key, so only one process can make it — then sent and
its outcome recorded. A temporary failure is retried by a later tick after a
back-off, with the same Message-ID; a permanent one is kept for
`kiemtra remind --failed`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kiemtra import workflow  # its event store is opened only when there is mail to send
from kiemtra.domain.delivery import Delivery
from kiemtra.domain.ledger import FAILED, SENT, delivery_id, may_retry
from kiemtra.notifications.message import UnsafeHeader, build, new_message_id
from kiemtra.notifications.render import Rendered, render
from kiemtra.notifications.rules import (
    LOOKAHEAD_DAYS,
    LOOKBACK_DAYS,
    Deadline,
    Reminder,
    reminders_due,
)
from kiemtra.notifications.transports import DeliveryError, Transport
from kiemtra.projections.views import Views

if TYPE_CHECKING:
    from kiemtra.workflow import Database, EventStore

LEASE = timedelta(minutes=15)  # an attempt older than this was abandoned by a crash
CHUNK = 20  # reminders claimed, and their outcomes recorded, per transaction


@dataclass
class TickReport:
    as_of: date
    transport: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    already_sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # back-off, or busy elsewhere
    would_send: list[dict[str, Any]] = field(default_factory=list)  # --dry-run
    dry_run: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "transport": self.transport,
            "sent": self.sent, "already_sent": self.already_sent, "failed": self.failed,
            "waiting": self.waiting, "would_send": self.would_send, "dry_run": self.dry_run,
        }


def sender_for(plan: dict[str, Any]) -> tuple[str, str]:
    configured = os.environ.get("KIEMTRA_MAIL_FROM", "").strip()
    if configured:
        from email.utils import parseaddr

        name, email = parseaddr(configured)
        return name or "Tổ kiểm tra", email
    return f"Tổ kiểm tra — {plan['secretariat']['name']}", plan["secretariat"]["email"]


@dataclass
class Attempt:
    reminder: Reminder
    line: dict[str, Any]
    rendered: Rendered
    known: dict[str, Any] | None  # the ledger's record, when this is a retry
    delivery: Delivery | None = None


def run_tick(database: Database, *, as_of: date, now: datetime, transport: Transport,
             claimant: str, dry_run: bool = False, retries_only: bool = False,
             at_once: bool = False) -> TickReport:
    """One tick; `at_once` (a person's `kiemtra remind`, not the scheduler) retries what
    waits after a temporary failure without waiting for its back-off."""
    report = TickReport(as_of=as_of, transport=transport.describe(), dry_run=dry_run)
    views = Views(database).fresh()
    found = views.deadlines_between(as_of - timedelta(days=LOOKBACK_DAYS),
                                    as_of + timedelta(days=LOOKAHEAD_DAYS))
    records: dict[tuple[str, str], Any] = {}
    deadlines = []
    plans: dict[str, Any] = {}
    for item in found:
        row = item["row"]
        d = Deadline(row.record["campaign"], row.record["unit"], row.unit_name, item["kind"],
                     item["finding"], item["due"])
        deadlines.append(d)
        plans[d.campaign] = item["plan"]
        records[d.campaign, d.unit] = row.record
    visits = {key: record["on_site"] or record["planned_on_site"]
              for key, record in records.items()}
    due = reminders_due(deadlines, plans, as_of,
                        {k: _day(v) for k, v in visits.items() if v is not None})
    if not due:
        return report
    ledger = views.deliveries(r.key for r in due)
    work = []
    for reminder in due:
        d = reminder.deadline
        line: dict[str, Any] = {
            "key": reminder.key, "campaign": d.campaign, "unit": d.unit, "kind": d.kind,
            "finding": d.finding, "due": d.due.isoformat(), "stage": reminder.stage,
            "to": [email for _, email in reminder.recipients]}
        known = ledger.get(reminder.key)
        if known is None and retries_only:
            continue
        if known is not None and known["state"] == SENT:
            report.already_sent.append(line)
        elif known is not None and known["state"] == FAILED:
            report.failed.append(dict(line, error=known["last_error"]))
        elif known is not None and not may_retry(known, now, LEASE, at_once):
            report.waiting.append(dict(line, retry_after=_iso(known["retry_after"])))
        else:
            rendered = render(reminder, plans[d.campaign], records[d.campaign, d.unit], as_of)
            line["subject"] = rendered.subject
            if dry_run:
                report.would_send.append(line)
            else:
                work.append(Attempt(reminder, line, rendered, known))
    if work:
        store = workflow.open_store(database)
        try:
            for i in range(0, len(work), CHUNK):
                _send_chunk(store, work[i:i + CHUNK], plans, report, transport, now=now,
                            claimant=claimant)
        finally:
            transport.close()
            store.close()
    return report


def _send_chunk(store: EventStore, chunk: list[Attempt], plans: dict[str, Any],
                report: TickReport, transport: Transport, *, now: datetime,
                claimant: str) -> None:
    """Claim a chunk in one transaction, send each, record the outcomes together.

    A crash after some messages left but before the outcomes were recorded means at
    most one chunk is sent again (with the same Message-IDs) after the lease.
    """
    for attempt in chunk:
        attempt.delivery = _claim(store, attempt, plans, now, claimant)
    try:
        store.save_atomically(*[a.delivery for a in chunk])
        claimed = chunk
    except workflow.ConcurrentChange:  # another process claimed some: take the rest one by one
        claimed = []
        for attempt in chunk:
            attempt.delivery = _claim(store, attempt, plans, now, claimant)
            try:
                store.save_atomically(attempt.delivery)
                claimed.append(attempt)
            except workflow.ConcurrentChange:
                report.waiting.append(dict(attempt.line, reason="claimed by another process"))
    for attempt in claimed:
        _send(attempt, plans, transport, now)
    store.save_atomically(*[a.delivery for a in claimed])
    for attempt in claimed:
        delivery = attempt.delivery
        assert delivery is not None
        line = dict(attempt.line, message_id=delivery.message_id)
        if delivery.state == SENT:
            report.sent.append(dict(line, refused=delivery.refused))
        elif delivery.state == FAILED:
            report.failed.append(dict(line, error=delivery.last_error))
        else:
            report.waiting.append(dict(line, error=delivery.last_error,
                                       retry_after=_iso(delivery.retry_after)))


def _claim(store: EventStore, attempt: Attempt, plans: dict[str, Any], now: datetime,
           claimant: str) -> Delivery:
    r, d = attempt.reminder, attempt.reminder.deadline
    if attempt.known is None:
        domain = sender_for(plans[d.campaign])[1].split("@")[-1]
        return Delivery(key=r.key, campaign=d.campaign, unit=d.unit, kind=d.kind,
                        finding=d.finding, due=d.due, offset=r.offset,
                        recipients=attempt.line["to"], message_id=new_message_id(domain),
                        subject=attempt.rendered.subject, claimed_at=now, claimant=claimant)
    delivery: Delivery = store.load(delivery_id(r.key))
    delivery.start_attempt(now, claimant)
    return delivery


def _send(attempt: Attempt, plans: dict[str, Any], transport: Transport, now: datetime) -> None:
    delivery, r = attempt.delivery, attempt.reminder
    assert delivery is not None
    try:
        message = build(sender=sender_for(plans[r.deadline.campaign]), to=list(r.recipients),
                        subject=attempt.rendered.subject, text=attempt.rendered.text,
                        html=attempt.rendered.html, message_id=delivery.message_id, date=now)
        message["X-Kiemtra-Key"] = r.key  # what the reminder is (and its outbox file's name)
        refused = transport.send(message)
    except UnsafeHeader as exc:
        delivery.record_failure(now, str(exc), None, permanent=True)
    except DeliveryError as exc:
        delivery.record_failure(now, str(exc), exc.code, permanent=exc.permanent)
    else:
        delivery.record_sent(now, refused)


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
