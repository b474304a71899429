"""Issuing a document: take the next number of its series, record it, store the file.

The number is printed in the document, and the register records the SHA-256 of the
document with that number, so the file is made inside the attempt that takes the number
(`render`). The series, the campaign's `DocumentIssued` and the file are saved in one
transaction: a second process that took the same number loses on the series' stream
version and tries again with the next one, so numbers never repeat and never skip.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from kiemtra.domain.campaign import Campaign
from kiemtra.domain.documents import (
    KINDS,
    DocumentDateTooEarly,
    DocumentSeries,
    Issuer,
    Kind,
    series_id,
)
from kiemtra.domain.documents import symbol as document_symbol
from kiemtra.domain.errors import UnknownCampaign
from kiemtra.domain.ids import campaign_id
from kiemtra.domain.plan import Plan
from kiemtra.domain.roles import actor_fields, authorize
from kiemtra.workflow.errors import ConcurrentChange, OutputExists
from kiemtra.workflow.files import AttachmentBlob
from kiemtra.workflow.store import EventStore

Render = Callable[[int | None, str], tuple[str, bytes]]
"""(number or None for a draft, the printed symbol) → (file name, the document's bytes)."""
TRIES = 8


@dataclass(frozen=True)
class Paper:
    """A document as made: numbered and recorded, or a draft (`number` None)."""

    kind: str
    campaign: str
    unit: str | None
    number: int | None
    symbol: str
    issued_on: date
    name: str
    content: bytes
    replaces: str | None = None

    @property
    def sha256(self) -> str:
        return AttachmentBlob.of_bytes(self.name, self.content).sha256


def issuer(plan: Plan, kind: Kind) -> tuple[str, str]:
    """(the issuing body as its series is kept, the symbol after the series)."""
    paper = plan.paperwork
    if KINDS[kind].issuer is Issuer.COMMITTEE:
        return plan.authority, paper.body_symbol
    return f"{plan.parent_body} / {paper.team_name}", paper.team_symbol


def draft(plan: Plan, kind: Kind, unit: str | None, issued_on: date, render: Render) -> Paper:
    """The same document with its number left blank; nothing is recorded."""
    _, tail = issuer(plan, kind)
    printed = document_symbol(None, plan.paperwork.series[kind.value], tail)
    name, content = render(None, printed)
    return Paper(kind.value, plan.code, unit, None, printed, issued_on, name, content)


def issue(store: EventStore, actor_id: str, code: str, kind: Kind, unit: str | None, *,
          issued_on: date, earliest: date, facts_through: int, render: Render) -> Paper:
    """Number, record and store the document; a refusal (role, date) writes nothing."""
    attempt = 0
    while True:
        attempt += 1
        campaign: Campaign | None = store.get(campaign_id(code))
        if campaign is None:
            raise UnknownCampaign(code=code)
        plan = campaign.plan
        actor = authorize(plan, actor_id, "document")
        if issued_on < earliest:
            raise DocumentDateTooEarly(day=issued_on, earliest=earliest,
                                       what=("ngày của bước mà văn bản ghi nhận",
                                             "the date of the step it records"))
        body, tail = issuer(plan, kind)
        series = plan.paperwork.series[kind.value]
        register_id = series_id(body, series, issued_on.year)
        register: DocumentSeries | None = store.get(register_id)
        if register is None:
            register = DocumentSeries(body=body, series=series, year=issued_on.year)
        number = register.next_number
        register.take(number=number, issued_on=issued_on, campaign=plan.code, kind=kind.value,
                      unit=unit)
        printed = document_symbol(number, series, tail)
        try:
            name, content = render(number, printed)
        except OutputExists:
            # a file named with this number is in the way — the file of another process
            # that took the number after this attempt read the register, or one really
            # there: only the register read again tells them apart
            if not _taken_meanwhile(store, register_id, number):
                raise
            if attempt == TRIES:
                raise ConcurrentChange() from None
            continue
        blob = AttachmentBlob.of_bytes(name, content)
        campaign.issue_document(kind=kind.value, unit=unit, number=number, symbol=printed,
                                series=series, issued_on=issued_on, name=name,
                                sha256=blob.sha256, size=len(content),
                                facts_through=facts_through, **actor_fields(actor))
        replaces = campaign.documents[-1]["replaces"]
        try:
            store.save_atomically(register, campaign, attachments=[blob])
        except ConcurrentChange:  # another process took this number first: take the next
            if attempt == TRIES:
                raise
            continue
        return Paper(kind.value, plan.code, unit, number, printed, issued_on, name, content,
                     replaces)


def _taken_meanwhile(store: EventStore, register_id: UUID, number: int) -> bool:
    """Whether the series' number `number` has been taken since it was read as free."""
    register: DocumentSeries | None = store.get(register_id)
    return register is not None and register.next_number > number
