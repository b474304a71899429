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

    @cached_property
    def plan(self) -> Plan:
        """The plan as imported, rebuilt once from the stored record."""
        return plan_from_record(self.plan_record)
