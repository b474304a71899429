"""One reminder tick: what is due today, claimed in the ledger, sent, recorded.

The tick reads the due view (not the log), so a day with nothing due costs one
indexed query. For each reminder due it consults the delivery ledger
(`domain/delivery.py`): a new key is claimed — the claim is an event whose
stream id comes from the key, so only one process can make it — then sent and
its outcome recorded. A temporary failure is retried by a later tick after a
back-off, with the same Message-ID; a permanent one is kept for
`kiemtra remind --failed`. What each outcome means is `domain/ledger.py`'s: a message
whose reply was lost after it was sent whole is of unknown outcome, never sent again in
the same tick; recipients refused temporarily are retried alone.

A server that does not answer within its timeout is not tried again in the same tick:
the messages left wait for the next one (`TickReport.server_timeout`), instead of each
spending the whole timeout in turn.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from kiemtra import workflow  # its event store is opened only when there is mail to send
from kiemtra.domain.delivery import Delivery
from kiemtra.domain.ledger import (
    CLAIMED,
    FAILED,
    HEADER,
    LEASE,
    NOT_TRIED,
    SENT,
    UNKNOWN,
    delivery_id,
    lease_end,
    may_retry,
    next_recipients,
    partly_sent,
    retry_to,
)
from kiemtra.notifications.message import (
    BadSender,
    Letter,
    UnsafeHeader,
    new_message_id,
    parse_sender,
)
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

__all__ = ["LEASE", "TickReport", "configured_sender", "run_tick", "sender_for"]

CHUNK = 20  # reminders claimed, and their outcomes recorded, per transaction


@dataclass
class TickReport:
    as_of: date
    transport: str
    sent: list[dict[str, Any]] = field(default_factory=list)  # to all, or to some
    already_sent: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    waiting: list[dict[str, Any]] = field(default_factory=list)  # back-off, or busy elsewhere
    unknown: list[dict[str, Any]] = field(default_factory=list)  # may have been delivered
    would_send: list[dict[str, Any]] = field(default_factory=list)  # --dry-run
    dry_run: bool = False
    server_timeout: float | None = None  # the server did not answer in this many seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(), "transport": self.transport,
            "sent": self.sent, "already_sent": self.already_sent, "failed": self.failed,
            "waiting": self.waiting, "unknown": self.unknown, "would_send": self.would_send,
            "dry_run": self.dry_run, "server_timeout": self.server_timeout,
        }


def configured_sender() -> tuple[str, str] | None:
    """KIEMTRA_MAIL_FROM as (name, address), None when unset; InvalidSetting (exit 2)
    when it is not one safe address — checked before anything is claimed."""
    configured = os.environ.get("KIEMTRA_MAIL_FROM", "")
    if not configured.strip():
        return None
    try:
        name, email = parse_sender(configured.strip(" "))
    except BadSender as exc:
        raise workflow.InvalidSetting(name="KIEMTRA_MAIL_FROM", detail=(exc.vi, exc.en)
                                      ) from None
    return name or "Tổ kiểm tra", email


def sender_for(plan: dict[str, Any]) -> tuple[str, str]:
    return configured_sender() or (f"Tổ kiểm tra — {plan['secretariat']['name']}",
                                   plan["secretariat"]["email"])


@dataclass
class Attempt:
    reminder: Reminder
    line: dict[str, Any]
    rendered: Rendered
    known: dict[str, Any] | None  # the ledger's record, when this is a retry
    delivery: Delivery | None = None
    sent_to: list[str] = field(default_factory=list)  # accepted in this attempt


def run_tick(database: Database, *, as_of: date, now: datetime, transport: Transport,
             claimant: str, dry_run: bool = False, retries_only: bool = False,
             at_once: bool = False) -> TickReport:
    """One tick; `at_once` (a person's `kiemtra remind`, not the scheduler) retries what
    waits after a temporary failure without waiting for its back-off."""
    configured_sender()  # a bad KIEMTRA_MAIL_FROM stops the tick before any claim
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
            report.failed.append(_outcome(line, known))
        elif known is not None and not may_retry(known, now, LEASE, at_once):
            _file(report, _outcome(line, known), known)
        else:
            rendered = render(reminder, plans[d.campaign], records[d.campaign, d.unit], as_of)
            line["subject"] = rendered.subject
            if dry_run:
                owed = next_recipients(known) if known is not None else []
                partial = known is not None and set(owed) != set(known["recipients"])
                report.would_send.append(dict(line, retry_to=owed) if partial else line)
            else:
                work.append(Attempt(reminder, line, rendered, known))
    if work:
        store = workflow.open_store(database)
        try:
            for i in range(0, len(work), CHUNK):
                if report.server_timeout is not None:  # the server stopped answering
                    report.waiting += [dict(a.line, reason=NOT_TRIED) for a in work[i:]]
                    break
                _send_chunk(store, work[i:i + CHUNK], plans, report, transport, now=now,
                            claimant=claimant)
        finally:
            transport.close()
            store.close()
    return report


def _outcome(line: dict[str, Any], record: dict[str, Any], *, attempted: bool = False
             ) -> dict[str, Any]:
    """A report line with what the ledger says of its reminder (with its Message-ID when
    this tick tried it); keys only where they say something (a whole message failed for
    good reads as it always did)."""
    line = dict(line, message_id=record["message_id"]) if attempted else dict(line)
    if record["state"] != SENT and record["last_error"]:
        line["error"] = record["last_error"]
    if record["reason"]:
        line["reason"] = record["reason"]
    if record["refused"] or (attempted and record["state"] == SENT):
        line["refused"] = dict(record["refused"] or {})  # a sent line always had the key
    if record["state"] == CLAIMED:
        line["retry_after"] = _iso(lease_end(record))
        line["reason"] = CLAIMED  # under way elsewhere, or left by a stopped run
    elif record["state"] != FAILED and record["state"] != SENT:
        line["retry_after"] = _iso(record["retry_after"])
    if retry_to(record) and (record["refused"] or partly_sent(record)):
        line["retry_to"] = retry_to(record)
    return line


def _file(report: TickReport, line: dict[str, Any], record: dict[str, Any], *,
          sent_now: bool = False) -> None:
    """Put a line in the report's list: sent when the server took it now (for all its
    recipients, or some), else by its delivery's state."""
    state = record["state"]
    if sent_now:
        report.sent.append(line)
    elif state == FAILED:
        report.failed.append(line)
    elif state == UNKNOWN:
        report.unknown.append(line)
    elif state == SENT:
        report.already_sent.append(line)
    else:
        report.waiting.append(line)


def _send_chunk(store: EventStore, chunk: list[Attempt], plans: dict[str, Any],
                report: TickReport, transport: Transport, *, now: datetime,
                claimant: str) -> None:
    """Claim a chunk in one transaction, send each, record the outcomes together.

    A crash after some messages left but before the outcomes were recorded means at
    most one chunk is sent again (with the same Message-IDs) after the lease. Once the
    server has not answered in time, the chunk's other claims are given back untried.
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
                report.waiting.append(dict(attempt.line, reason=CLAIMED))
    for attempt in claimed:
        assert attempt.delivery is not None
        if report.server_timeout is None:
            report.server_timeout = _send(attempt, plans, transport, now)
        else:
            attempt.delivery.record_not_tried(
                now, f"not tried: {transport.describe()} did not answer within "
                     f"{report.server_timeout:g} seconds earlier in this run")
    store.save_atomically(*[a.delivery for a in claimed])
    for attempt in claimed:
        delivery = attempt.delivery
        assert delivery is not None
        line = _outcome(attempt.line, delivery.record, attempted=True)
        if attempt.sent_to:
            line["sent_to"] = attempt.sent_to
        _file(report, line, delivery.record, sent_now=bool(attempt.sent_to))


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


def _send(attempt: Attempt, plans: dict[str, Any], transport: Transport,
          now: datetime) -> float | None:
    """Send one claimed reminder and record its outcome on the claim; the seconds waited
    in vain when the server did not answer (the tick then stops using it)."""
    delivery, r = attempt.delivery, attempt.reminder
    assert delivery is not None
    owed = next_recipients(delivery.record)
    # Owed to all: to the reminder's recipients as they stand (the plan may have changed
    # an address since the claim); else only to those still owed it.
    envelope = [] if set(owed) == set(delivery.recipients) else owed
    letter = Letter(sender=sender_for(plans[r.deadline.campaign]), to=list(r.recipients),
                    subject=attempt.rendered.subject, text=attempt.rendered.text,
                    html=attempt.rendered.html, message_id=delivery.message_id, date=now,
                    key=r.key, recipients=envelope)
    try:
        refused = transport.send(letter)
    except UnsafeHeader as exc:
        delivery.record_failure(now, str(exc), None, permanent=True, reason=HEADER)
    except DeliveryError as exc:
        if exc.unknown:
            delivery.record_unknown(now, str(exc), exc.reason or "")
        elif exc.refused:
            delivery.record_all_refused(now, str(exc), exc.refused)
        else:
            delivery.record_failure(now, str(exc), exc.code, permanent=exc.permanent,
                                    reason=exc.reason)
        return exc.timeout
    except Exception as exc:  # a claim is never left to crash every later tick
        delivery.record_failure(now, f"{type(exc).__name__}: {exc}", None, permanent=False)
    else:
        delivery.record_sent(now, refused)
        attempt.sent_to = [a for a in letter.envelope if a not in refused]
    return None


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
