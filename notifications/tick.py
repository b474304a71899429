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

from domain.delivery import FAILED, SENT, Delivery, delivery_id
from domain.errors import ConcurrentChange
from notifications.message import UnsafeHeader, build, new_message_id
from notifications.render import render
from notifications.rules import LOOKAHEAD_DAYS, LOOKBACK_DAYS, Deadline, Reminder, reminders_due
from notifications.transports import DeliveryError, Transport
from projections.views import Views

if TYPE_CHECKING:
    from workflow.database import Database
    from workflow.store import EventStore

LEASE = timedelta(minutes=15)  # an attempt older than this was abandoned by a crash


@dataclass
class TickReport:
    as_of: date
    transport: str
    sent: list[dict[str, Any]] = field(default_factory=list)
    already_sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # back-off, or busy elsewhere
    would_send: list[dict[str, Any]] = field(default_factory=list)  # --dry-run

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "transport": self.transport,
            "sent": self.sent, "already_sent": self.already_sent, "failed": self.failed,
            "waiting": self.waiting, "would_send": self.would_send,
        }


def sender_for(plan: dict[str, Any]) -> tuple[str, str]:
    configured = os.environ.get("KIEMTRA_MAIL_FROM", "").strip()
    if configured:
        from email.utils import parseaddr

        name, email = parseaddr(configured)
        return name or "Tổ kiểm tra", email
    return f"Tổ kiểm tra — {plan['secretariat']['name']}", plan["secretariat"]["email"]


def run_tick(database: Database, *, as_of: date, now: datetime, transport: Transport,
             claimant: str, dry_run: bool = False, retries_only: bool = False) -> TickReport:
    report = TickReport(as_of=as_of, transport=transport.describe())
    views = Views(database).fresh()
    found = views.deadlines_between(as_of - timedelta(days=LOOKBACK_DAYS),
                                    as_of + timedelta(days=LOOKAHEAD_DAYS))
    context: dict[tuple[str, str], Any] = {}
    deadlines = []
    plans: dict[str, Any] = {}
    for item in found:
        row = item["row"]
        d = Deadline(row.record["campaign"], row.record["unit"], row.unit_name, item["kind"],
                     item["finding"], item["due"])
        deadlines.append(d)
        plans[d.campaign] = item["plan"]
        context[d.campaign, d.unit] = row.record
    due = reminders_due(deadlines, plans, as_of)
    if not due:
        return report
    store = database.open()
    try:
        for reminder in due:
            _deliver(store, reminder, plans[reminder.deadline.campaign],
                     context[reminder.deadline.campaign, reminder.deadline.unit],
                     report, transport, now=now, today=as_of, claimant=claimant,
                     dry_run=dry_run, retries_only=retries_only)
    finally:
        transport.close()
        store.close()
    return report


def _deliver(store: EventStore, reminder: Reminder, plan: dict[str, Any],
             record: dict[str, Any], report: TickReport, transport: Transport, *,
             now: datetime, today: date, claimant: str, dry_run: bool,
             retries_only: bool) -> None:
    d = reminder.deadline
    to = [email for _, email in reminder.recipients]
    line: dict[str, Any] = {
        "key": reminder.key, "campaign": d.campaign, "unit": d.unit, "kind": d.kind,
        "finding": d.finding, "due": d.due.isoformat(), "stage": reminder.stage, "to": to}
    delivery: Delivery | None = store.get(delivery_id(reminder.key))
    if delivery is None and retries_only:
        return
    if delivery is not None and delivery.state == SENT:
        report.already_sent.append(line)
        return
    if delivery is not None and delivery.state == FAILED:
        report.failed.append(dict(line, error=delivery.last_error))
        return
    if delivery is not None and not delivery.may_retry(now, LEASE):
        report.waiting.append(dict(line, retry_after=delivery.retry_after))
        return
    rendered = render(reminder, plan, record, today)
    line["subject"] = rendered.subject
    if dry_run:
        report.would_send.append(line)
        return
    sender = sender_for(plan)
    if delivery is None:
        delivery = Delivery(
            key=reminder.key, campaign=d.campaign, unit=d.unit, kind=d.kind,
            finding=d.finding, due=d.due, offset=reminder.offset,
            recipients=to, message_id=new_message_id(sender[1].split("@")[-1]),
            subject=rendered.subject, claimed_at=now, claimant=claimant)
    else:
        delivery.start_attempt(now, claimant)
    try:
        store.save_atomically(delivery)  # the claim: only one process gets past here
    except ConcurrentChange:
        report.waiting.append(dict(line, reason="claimed by another process"))
        return
    line["message_id"] = delivery.message_id
    try:
        message = build(sender=sender, to=list(reminder.recipients), subject=rendered.subject,
                        text=rendered.text, html=rendered.html,
                        message_id=delivery.message_id, date=now)
        refused = transport.send(message)
    except UnsafeHeader as exc:
        delivery.record_failure(now, str(exc), None, permanent=True)
    except DeliveryError as exc:
        delivery.record_failure(now, str(exc), exc.code, permanent=exc.permanent)
    else:
        delivery.record_sent(now, refused)
    store.save_atomically(delivery)
    if delivery.state == SENT:
        report.sent.append(dict(line, refused=delivery.refused))
    elif delivery.state == FAILED:
        report.failed.append(dict(line, error=delivery.last_error))
    else:
        report.waiting.append(dict(line, error=delivery.last_error,
                                   retry_after=delivery.retry_after))
