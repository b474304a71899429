"""The campaign aggregate: one imported plan.

The plan is stored as the data the leader's file held (already validated),
so the audit trail shows exactly what was imported.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from kiemtra.domain.event_versions import WorkflowCreated, WorkflowEvent
from kiemtra.domain.ids import campaign_id
from kiemtra.domain.plan import Plan, plan_from_record
from kiemtra.domain.topics import assign


@assign
class Campaign(Aggregate):
    class Event(WorkflowEvent):
        pass

    class Created(Event, WorkflowCreated):
        pass

    @staticmethod
    def create_id(code: str) -> UUID:  # type: ignore[override]
        return campaign_id(code)

    @event("PlanImported")
    def __init__(self, code: str, plan: dict[str, Any], actor: str, actor_role: str | None,
                 effective_date: date) -> None:
        self.code = code
        self.plan_record = plan
        self.imported_by = actor
        self.imported_on = effective_date
        self.documents: list[dict[str, Any]] = []  # as issued, in the order issued
        self.plan_version = 1  # the import; each amendment adds one
        self.versions: list[tuple[date, dict[str, Any]]] = [(effective_date, plan)]
        self.withdrawn: list[str] = []  # codes of the units that left the plan

    def amend_plan(self, *, plan: dict[str, Any], reason: str, changes: list[dict[str, Any]],
                   added: list[str], withdrawn: list[str], actor: str, actor_role: str | None,
                   effective_date: date) -> None:
        """Record a new version of the plan (validated, and checked by `amendments.py`)."""
        self._plan_amended(code=self.code, plan=plan, plan_version=self.plan_version + 1,
                           reason=reason, changes=changes, added=added, withdrawn=withdrawn,
                           imported_on=self.imported_on, actor=actor, actor_role=actor_role,
                           effective_date=effective_date)

    @event("PlanAmended")
    def _plan_amended(self, code: str, plan: dict[str, Any], plan_version: int, reason: str,
                      changes: list[dict[str, Any]], added: list[str], withdrawn: list[str],
                      imported_on: date, actor: str, actor_role: str | None,
                      effective_date: date) -> None:
        self.plan_record = plan
        self.plan_version = plan_version
        self.versions = [*self.versions, (effective_date, plan)]
        self.withdrawn = [*self.withdrawn, *withdrawn]
        self.__dict__.pop("plan", None)  # the cached Plan of the version before

    def latest_document(self, kind: str, unit: str | None) -> dict[str, Any] | None:
        """The document in force of this kind (for this unit), issued last: a new one
        replaces it. A void document is in force no more."""
        return next((d for d in reversed(self.documents) if d["kind"] == kind
                     and d["unit"] == unit and not d.get("void")), None)

    def void_document(self, document: dict[str, Any], *, reason: str, actor: str,
                      actor_role: str | None, effective_date: date) -> None:
        """Record that an issued document is void (the step it recorded was retracted)."""
        self._document_voided(campaign=self.code, symbol=document["symbol"],
                              issued_on=document["issued_on"],
                              kind=document["kind"], unit=document["unit"],
                              reason=reason, actor=actor, actor_role=actor_role,
                              effective_date=effective_date)

    def issue_document(self, *, kind: str, unit: str | None, number: int, symbol: str,
                       series: str, issued_on: date, name: str, sha256: str, size: int,
                       facts_through: int, actor: str, actor_role: str | None) -> None:
        """Record an issued document; the file itself is stored as the event's attachment."""
        earlier = self.latest_document(kind, unit)
        self._document_issued(
            campaign=self.code, kind=kind, unit=unit, number=number, symbol=symbol, series=series,
            replaces=earlier["symbol"] if earlier else None, facts_through=facts_through,
            attachments=[{"name": name, "sha256": sha256, "size": size}],
            actor=actor, actor_role=actor_role, effective_date=issued_on)

    @event("DocumentVoided")
    def _document_voided(self, campaign: str, symbol: str, issued_on: date, kind: str,
                         unit: str | None,
                         reason: str, actor: str,
                         actor_role: str | None, effective_date: date) -> None:
        for document in self.documents:  # a number is one document in its year
            if document["symbol"] == symbol and document["issued_on"] == issued_on:
                document["void"] = True

    @event("DocumentIssued")
    def _document_issued(self, campaign: str, kind: str, unit: str | None, number: int, symbol: str,
                         series: str, replaces: str | None, facts_through: int,
                         attachments: list[dict[str, Any]], actor: str,
                         actor_role: str | None, effective_date: date) -> None:
        self.documents.append({"kind": kind, "unit": unit, "number": number, "symbol": symbol,
                               "issued_on": effective_date, "replaces": replaces,
                               "facts_through": facts_through,
                               "file": attachments[0]})

    def plan_on(self, day: date) -> Plan:
        """The plan in force on `day` by the versions' effective dates (the team that made a
        visit, for its minutes): the latest version dated on or before it, else the first."""
        dated = [record for effective, record in self.versions if effective <= day]
        record = dated[-1] if dated else self.versions[0][1]
        return self.plan if record is self.plan_record else plan_from_record(record)

    @cached_property
    def plan(self) -> Plan:
        """The plan in force (as imported, or as last amended), rebuilt once from its
        stored record."""
        return plan_from_record(self.plan_record)
